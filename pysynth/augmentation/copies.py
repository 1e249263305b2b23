"""Writing the augmented copies of every clip, spread over worker processes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..dataset import CLIPS_DIR, Clip, Dataset, audio_checksum
from ..workers import run_jobs
from .clip import augment_audio, clip_rng
from .recipe import AugmenterLike

#: Per clip of the input: the clip and its copies to make, as ``(copy index, new id)``.
Plan = list[tuple[Clip, list[tuple[int, str]]]]


def write_copies(ds: Dataset, plan: Plan, aug: AugmenterLike, out: Path, *, seed: int,
                 workers: int, progress: bool) -> list[list[Clip]]:
    """Make every copy of ``plan`` in ``out``; return the new manifest lines per input clip."""
    todo = [i for i, (_, ids) in enumerate(plan) if ids]
    made = run_jobs(
        augment_clip, [(ds, *plan[i], aug, out, seed) for i in todo],
        workers=workers, progress=progress, desc="augment", unit="clip",
        total=sum(len(ids) for _, ids in plan), advance=len,
        # one throw-away run before forking, so that lazy imports (librosa) and JIT
        # compilation happen once here and the workers inherit them
        warm_up=lambda: _warm_up(aug, ds.sample_rate),
    )
    results: list[list[Clip]] = [[] for _ in plan]
    for i, clips in zip(todo, made):
        results[i] = clips
    return results


def augment_clip(ds: Dataset, clip: Clip, ids: list[tuple[int, str]], aug: AugmenterLike,
                 out: Path, seed: int) -> list[Clip]:
    """Write the augmented copies ``ids`` of one clip; return their manifest lines."""
    from ..audio import load, save

    if not ids:
        return []
    y = ds.load(clip)
    subtype = _subtype(ds.path(clip))
    made = []
    for k, new_id in ids:
        z, info = augment_audio(y, ds.sample_rate, aug, rng=clip_rng(seed, clip.id, k))
        rel = f"{CLIPS_DIR}/{new_id}.wav"
        save(out / rel, z, ds.sample_rate, subtype=subtype)
        # the checksum is of the decoded samples, as curate computes it
        decoded, _ = load(out / rel, mono=True)
        made.append(Clip(
            id=new_id, path=rel, source=clip.source, offset=clip.offset,
            duration=clip.duration, split=clip.split, checksum=audio_checksum(decoded),
            lineage={"source_clip": clip.id, "copy": k, "seed": seed, **info},
            label=clip.label,
        ))
    return made


def _subtype(path: Path) -> str:
    """The input clip's sample format, kept by its copies (16-bit PCM if unusual)."""
    import soundfile as sf

    try:
        subtype = sf.info(str(path)).subtype
    except Exception:
        return "PCM_16"
    return subtype if subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE") else "PCM_16"


def _warm_up(aug: AugmenterLike, sr: int) -> None:
    t = np.arange(sr) / sr
    y = (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    for seed in range(4):
        aug(y, sr, rng=np.random.default_rng(seed))
