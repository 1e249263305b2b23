"""One augmented clip: its random stream and the dataset-safe result of a recipe on it."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..errors import PysynthError
from .recipe import AugmenterLike

#: Largest absolute sample value an augmented clip may have; above it the clip is scaled
#: down (never clipped) and the lineage says by how much.
PEAK_LIMIT = 1.0


def clip_rng(seed: int, clip_id: str, copy: int) -> np.random.Generator:
    """The Generator for copy ``copy`` of clip ``clip_id`` under ``seed``.

    Seeded with ``SeedSequence([seed, *sha256(clip_id)[:16] as 4 uint32 words, copy])``:
    a stable hash (not Python's salted ``hash()``), so it is the same in every process.
    """
    words = np.frombuffer(hashlib.sha256(clip_id.encode("utf-8")).digest()[:16], dtype="<u4")
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, words), int(copy)]))


def augment_audio(
    y: np.ndarray, sr: int, augmenter: AugmenterLike, *, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    """Augment one clip and make it dataset-safe: same length, no sample beyond ±1.

    Parameters
    ----------
    y : np.ndarray
        Mono float audio.
    sr : int
        Its sample rate.
    augmenter : augmenter
        Called as ``augmenter(y, sr, rng=rng) -> (y, records)``.
    rng : np.random.Generator
        The only source of randomness.

    Returns
    -------
    y : np.ndarray
        float32, ``len(y)`` samples, peak at most :data:`PEAK_LIMIT`.
    info : dict
        ``chain`` (the records of the augmenters that ran, with their parameters),
        ``peak_scale`` (1.0 unless the result was scaled down to avoid clipping), and
        ``length_fixed`` (``{"from": n}`` if the chain changed the length and it was
        cropped or zero-padded back).
    """
    y = np.asarray(y, dtype=np.float32)
    n = len(y)
    out, records = augmenter(y, sr, rng=rng)
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 1:
        raise PysynthError(f"augmenter returned audio of shape {out.shape}; expected mono (n,)")
    if not np.all(np.isfinite(out)):
        names = ", ".join(r.get("name", "?") for r in records)
        raise PysynthError(f"augmenters [{names}] produced NaN or infinite samples")
    info: dict[str, Any] = {"chain": records}
    if len(out) != n:
        info["length_fixed"] = {"from": len(out)}
        out = out[:n] if len(out) > n else np.concatenate([out, np.zeros(n - len(out))])
    peak = float(np.max(np.abs(out))) if n else 0.0
    scale = 1.0
    if peak > PEAK_LIMIT:
        scale = PEAK_LIMIT / peak
        out = np.clip(out * scale, -PEAK_LIMIT, PEAK_LIMIT)  # the clip only trims rounding
    info["peak_scale"] = scale
    return out.astype(np.float32), info
