"""Audio I/O and quantization: the single definitions every other part uses.

Loading returns float32 mono at a requested sample rate; saving is atomic. The mu-law
and linear quantizers here are the one source of truth for training, the numpy
reference, the compiled engine and the CUDA kernel (the engine receives the level
table computed here rather than re-deriving it).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .checks import check_choice, check_int
from .errors import AudioFileError, ParameterError
from .files import atomic_write_with

QUANTIZATIONS = ("mu-law", "linear")


def _check_sr(sr: int | None, name: str = "sr") -> None:
    if sr is not None:
        check_int(sr, name, lo=100, hi=768_000)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise AudioFileError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFileError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: file is empty (0 bytes)")


def load(
    path: str | os.PathLike,
    *,
    sr: int | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Load an audio file as float32.

    Parameters
    ----------
    path : path-like
        WAV, FLAC, OGG/Vorbis, AIFF, and MP3 where the installed libsndfile decodes it.
    sr : int or None
        Target sample rate; ``None`` keeps the file's rate. Resampling uses soxr (HQ).
    mono : bool
        Mix down to one channel (mean of channels). Otherwise shape is ``(channels, n)``.
    offset, duration : float
        Seconds to skip and to read (``None``: to the end).

    Returns
    -------
    y : np.ndarray
        float32 samples, shape ``(n,)`` when mono.
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    AudioFileError
        Missing, empty, truncated or undecodable files; the message names the file.
    """
    import soundfile as sf

    _check_sr(sr)
    path = Path(path)
    _check_readable(path)
    try:
        with sf.SoundFile(str(path)) as f:
            native_sr = int(f.samplerate)
            start = round(offset * native_sr)
            if start:
                f.seek(min(start, f.frames))
            frames = -1 if duration is None else round(duration * native_sr)
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    except AudioFileError:
        raise
    except Exception as exc:
        raise AudioFileError(f"{path}: not a readable audio file ({_short(exc)})") from None
    y = data.T  # (channels, n)
    if mono:
        y = y.mean(axis=0, dtype=np.float32) if y.shape[0] > 1 else y[0]
    if sr is not None and sr != native_sr:
        y = resample(y, orig_sr=native_sr, target_sr=sr)
    else:
        sr = native_sr
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


def readable_audio(
    paths: Sequence[str | os.PathLike],
    *,
    sr: int | None = None,
    progress: bool = False,
    desc: str = "read",
) -> Iterator[tuple[Path, np.ndarray]]:
    """``(path, y)`` for each file of ``paths`` that loads (:func:`load`, mono, at ``sr``),
    skipping the others with a warning that names the file and why: a folder of clips with
    one bad file in it is read, not refused. Every command that reads a folder of clips
    (score, map's overlay, evaluate) reads it through here.

    Shows a progress bar on stderr with ``progress``.

    Raises
    ------
    ParameterError
        If none of the files could be read (with the first one's reason), once the
        iteration reaches the end.
    """
    from .words import count
    from .workers import progress_bar

    read, first = 0, None
    with progress_bar(len(paths), desc=desc, unit="file", enabled=progress) as bar:
        for p in paths:
            try:
                y, _ = load(p, sr=sr)
            except AudioFileError as exc:
                first = first or str(exc)
                warnings.warn(f"skipping {exc}", stacklevel=2)
                continue
            finally:
                bar.update(1)
            read += 1
            yield Path(p), y
    if not read:
        raise ParameterError(f"none of the {count(len(paths), 'audio file')} could be read"
                             + (f" ({first})" if first else ""))


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality resampling with soxr (along the last axis), float32 out."""
    import soxr

    _check_sr(orig_sr, "orig_sr")
    _check_sr(target_sr, "target_sr")
    if orig_sr == target_sr:
        return np.asarray(y, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        return soxr.resample(y, orig_sr, target_sr, quality="HQ").astype(np.float32, copy=False)
    out = soxr.resample(y.T, orig_sr, target_sr, quality="HQ")  # soxr wants (n, channels)
    return np.ascontiguousarray(out.T, dtype=np.float32)


def save(
    path: str | os.PathLike, y: np.ndarray, sr: int, *, subtype: str = "PCM_16"
) -> Path:
    """Save audio as WAV atomically (temporary file in the same folder, then rename).

    ``y`` is float in [-1, 1], shape ``(n,)`` or ``(channels, n)``. Values outside
    [-1, 1] are clipped for integer subtypes. NaN or inf raise ``ParameterError``.
    """
    import soundfile as sf

    _check_sr(sr)
    y = np.asarray(y, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise ParameterError(f"cannot save {path}: audio contains NaN or infinite samples")
    data = y.T if y.ndim == 2 else y
    if subtype.startswith("PCM"):
        data = np.clip(data, -1.0, 1.0)
    return atomic_write_with(
        path, lambda tmp: sf.write(tmp, data, int(sr), subtype=subtype, format="WAV"),
        suffix=".tmp.wav")


# --------------------------------------------------------------------------------------
# Quantization. Index q in [0, levels); audio x in [-1, 1].
# --------------------------------------------------------------------------------------


def _check_levels(levels: int) -> None:
    check_int(levels, "levels", lo=2, hi=65536)


def silence_level(levels: int) -> int:
    """The level an exact 0 quantizes to, and which decodes to exactly 0 (``levels // 2``,
    for mu-law and linear levels alike): the digital silence that pads one-shots.

    >>> silence_level(256), int(quantize(np.zeros(1), 256)[0])
    (128, 128)
    """
    return levels // 2


#: Audio closer to 0 than this share of the silence level's own centre (8.6e-5 for 256
#: mu-law levels, 1.5e-5 for 65536 linear ones) quantizes to that level: far under a level
#: step and a 16-bit file's step, so only float round-off around an exact 0 is moved.
SILENCE = 0.01


def _silence_in(x: np.ndarray, q: np.ndarray, levels: int, centre: float) -> np.ndarray:
    """``q`` with the silence level where ``|x| < SILENCE * centre``: 0 decodes to exactly 0
    and sits on the boundary between two levels, so without this a round trip through
    filters (a de-emphasis and the pre-emphasis that undoes it) turned silence into either
    level."""
    if levels % 2 == 0:
        q = np.where(np.abs(x) < SILENCE * centre, silence_level(levels), q)
    return q


def _exact_silence(q: np.ndarray, x: np.ndarray, levels: int) -> np.ndarray:
    """``x`` with 0 where ``q`` is the level silence quantizes to.

    With an even number of levels no level's centre is 0: silence (an exact 0, the tail of
    most one-shots) quantizes to ``levels // 2``, whose centre is a small positive value
    (8.6e-5 for 256 mu-law levels). Decoded as that centre, every stretch of silence a model
    generates became a DC offset, which the de-emphasis filter (DC gain 12.3 at 0.85) lifted
    to -60 dBFS: a generated clip never fell silent where its data does. Decoding that one
    level as 0 keeps ``encode(decode(q)) == q`` for every level (0 encodes to it).
    """
    if levels % 2 == 0:
        x = np.where(q == silence_level(levels), 0.0, x)
    return x


def mu_law_encode(x: np.ndarray, levels: int = 256) -> np.ndarray:
    """Mu-law compand and quantize audio in [-1, 1] to integer indices in [0, levels).

    ``mu = levels - 1``; ``f = sign(x) * log1p(mu |x|) / log1p(mu)``;
    ``q = floor((f + 1) / 2 * mu + 0.5)``. Input outside [-1, 1] is clipped.

    Examples
    --------
    >>> int(mu_law_encode(np.array([0.0]))[0]), int(mu_law_encode(np.array([1.0]))[0])
    (128, 255)
    """
    _check_levels(levels)
    mu = float(levels - 1)
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    f = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    q = np.floor((f + 1.0) / 2.0 * mu + 0.5)
    centre = np.expm1(np.log1p(mu) / mu) / mu  # what level levels // 2 used to decode to
    return _silence_in(x, np.clip(q, 0, levels - 1), levels, centre).astype(np.int32)


def mu_law_decode(q: np.ndarray, levels: int = 256) -> np.ndarray:
    """Inverse of :func:`mu_law_encode`: indices to float32 audio in [-1, 1], the level of
    silence (``levels // 2``) as exactly 0.

    >>> mu_law_decode(np.array([0, 128, 255])).tolist()
    [-1.0, 0.0, 1.0]
    """
    _check_levels(levels)
    mu = float(levels - 1)
    q = np.asarray(q)
    f = 2.0 * q.astype(np.float64) / mu - 1.0
    x = np.sign(f) * np.expm1(np.abs(f) * np.log1p(mu)) / mu
    return _exact_silence(q, x, levels).astype(np.float32)


def linear_encode(x: np.ndarray, levels: int = 256) -> np.ndarray:
    """Uniformly quantize audio in [-1, 1] to indices in [0, levels): ``round((x+1)/2*(levels-1))``."""
    _check_levels(levels)
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    q = np.floor((x + 1.0) / 2.0 * (levels - 1) + 0.5)
    return _silence_in(x, np.clip(q, 0, levels - 1), levels, 1.0 / (levels - 1)).astype(np.int32)


def linear_decode(q: np.ndarray, levels: int = 256) -> np.ndarray:
    """Inverse of :func:`linear_encode`: ``2 q / (levels-1) - 1`` as float32, the level of
    silence (``levels // 2``) as exactly 0."""
    _check_levels(levels)
    q = np.asarray(q)
    x = 2.0 * q.astype(np.float64) / (levels - 1) - 1.0
    return _exact_silence(q, x, levels).astype(np.float32)


def level_values(q: np.ndarray, levels: int) -> np.ndarray:
    """The values ``2 q / (levels-1) - 1`` (float64) of linear levels ``q`` as a model reads
    its past, 0 where ``q`` is negative ("nothing", before the clip)."""
    q = np.asarray(q)
    return np.where(q >= 0, 2.0 * q / (levels - 1) - 1.0, 0.0)


def quantize(x: np.ndarray, levels: int = 256, kind: str = "mu-law") -> np.ndarray:
    """Quantize audio with ``kind`` in {"mu-law", "linear"} to int32 indices."""
    encode, _ = _CODECS[check_choice(kind, "quantization", QUANTIZATIONS)]
    return encode(x, levels)


def dequantize(q: np.ndarray, levels: int = 256, kind: str = "mu-law") -> np.ndarray:
    """Map indices back to float32 audio with ``kind`` in {"mu-law", "linear"}."""
    _, decode = _CODECS[check_choice(kind, "quantization", QUANTIZATIONS)]
    return decode(q, levels)


_CODECS = {"mu-law": (mu_law_encode, mu_law_decode), "linear": (linear_encode, linear_decode)}


def level_table(levels: int = 256, kind: str = "mu-law") -> np.ndarray:
    """The audio value of every index, float32 of shape ``(levels,)``: what the engine uses."""
    return dequantize(np.arange(levels), levels, kind)

