"""pysynth.score: the negative log-likelihood of audio under a model, in bits per sample,
for arrays, audio files, dataset folders and folders of audio files.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import audio as _audio
from ..checks import check_choice
from ..errors import AudioFileError, ParameterError
from ..files import audio_files
from ..mixture import MOL_LEVELS, mulaw8_equivalent_bits, output_of
from ..modelfile import ModelFile
from .engines import load, runner
from .names import label_in_name
from .plan import cond_ids, encode
from .reference import reference_nll

# Clips scored together at most: the engine's per-stream state stays small.
_SCORE_BATCH = 64

__all__ = ["clip_paths", "score", "score_clips"]


def clip_paths(path: str | os.PathLike) -> list[Path]:
    """The audio files a path stands for: itself if a file; a dataset folder's clips in
    manifest order; otherwise every audio file under the folder (sorted, hidden files
    such as unfinished ``pysynth sample`` outputs skipped).

    Raises
    ------
    AudioFileError
        If the path does not exist or a folder holds no audio files.
    """
    from ..dataset import MANIFEST, Dataset

    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"{path}: no such file or folder")
    if not path.is_dir():
        return [path]
    if (path / MANIFEST).exists():
        ds = Dataset.open(path)
        return [ds.path(c) for c in ds.clips()]
    files = audio_files(path)
    if not files:
        raise AudioFileError(f"{path}: folder holds no audio files (and is not a dataset)")
    return files


@dataclass
class _Clip:
    """One clip to score: its audio, its dataset label (None when it comes from no
    dataset), a name for messages and the file it was read from (None for an array)."""

    audio: np.ndarray
    label: str | None
    name: str
    path: str | None = None


def _as_clips(audio: Any, sr: int, progress: bool = False) -> list[_Clip]:
    """Audio arrays or paths (files, dataset or audio folders) -> clips (1-D float32),
    labelled when they come from a dataset folder. Files that cannot be read are skipped
    with a warning naming them (:func:`pysynth.audio.readable_audio`)."""
    from ..dataset import MANIFEST, Dataset

    if isinstance(audio, (str, os.PathLike)):
        path = Path(audio)
        if path.is_dir() and (path / MANIFEST).exists():
            ds = Dataset.open(path)
            clip_of = {ds.path(c): c for c in ds.clips()}
            return [_Clip(y, clip_of[p].label or "", clip_of[p].id, str(p))
                    for p, y in _audio.readable_audio(list(clip_of), sr=sr, progress=progress)]
        return [_Clip(y, None, str(p), str(p))
                for p, y in _audio.readable_audio(clip_paths(path), sr=sr, progress=progress)]
    if isinstance(audio, np.ndarray):
        if audio.ndim == 1:
            return [_Clip(audio, None, "0")]
        if audio.ndim == 2:
            return [_Clip(x, None, str(i)) for i, x in enumerate(audio)]
        raise ParameterError(f"audio must be 1-D or (clips, samples), got shape {audio.shape}")
    if isinstance(audio, Iterable):
        clips: list[_Clip] = []
        for item in audio:
            clips.extend(_as_clips(item, sr, progress))
        return clips
    raise ParameterError(f"audio must be an array, a file or folder path, or a list of them, "
                         f"got {type(audio).__name__}")


def _label_ids(clips: list[_Clip], mf: ModelFile) -> np.ndarray | None:
    """Class ids of a conditioned model from the clips' dataset labels, mapped through
    the model file's ``labels`` (what ``pysynth export`` stores: class id i is labels[i]);
    None for a model that is not conditioned."""
    classes = int(mf.program.get("conditioning_classes", 0) or 0)
    if not classes:
        return None
    names = list(mf.metadata.get("labels") or [])
    # a clip from outside a dataset: the class its file name carries, as pysynth sample and
    # pick name a conditioned model's clips ("...-003-kick.wav")
    clips = [c if c.label is not None or c.path is None
             else dataclasses.replace(c, label=label_in_name(Path(c.path), names))
             for c in clips]
    unlabelled = next((c for c in clips if c.label is None), None)
    if unlabelled is not None:
        raise ParameterError(
            f"this model is conditioned on {classes} classes: pass cond (a class id in "
            f"[0, {classes}) or one per clip); clip {unlabelled.name!r} comes from no "
            "dataset folder and its name ends in none of the model's labels"
        )
    if not names:
        raise ParameterError("this model file names no labels for its classes: pass cond "
                             "(a class id, or one per clip)")
    for c in clips:
        if c.label not in names:
            raise ParameterError(
                f"clip {c.name!r} has label {c.label!r}, which is not one of the model's "
                f"labels ({', '.join(map(repr, names))}); pass cond to choose its class"
            )
    return np.array([names.index(c.label) for c in clips], dtype=np.int32)


def index_nll(engine, ref, q: np.ndarray, cond: np.ndarray | None) -> np.ndarray:
    """Bits of each index of ``q`` (B, T) given the ones before it, float64 (B, T): the
    compiled engine's, or the plugin reference's for a family the engine does not know
    (``runner``'s pair)."""
    if engine is not None:
        return np.asarray(engine.nll(q, cond), dtype=np.float64)
    return reference_nll(ref.logits(q, cond), q, ref.output, ref.levels)


#: the scales a score can be reported on
SCALES = ("native", "mulaw8")


def index_mulaw8_bits(engine, ref, q: np.ndarray, cond: np.ndarray | None) -> np.ndarray:
    """Bits of each sample's 8-bit mu-law bin under a mol16 model (B, T): the mass its
    mixture puts between the mu-law decision edges around each level
    (:func:`pysynth.mixture.mulaw8_equivalent_bits`), from the engine's parameters or the
    reference's."""
    params = engine.logits(q, cond) if engine is not None else ref.logits(q, cond)
    return mulaw8_equivalent_bits(params, q, MOL_LEVELS)


def _scorer(mf: ModelFile, scale: str):
    """The per-sample scorer of ``scale`` for this model: the model's own NLL
    (``"native"``), or its 8-bit mu-law figure (``"mulaw8"``: a mol16 model's mass in each
    mu-law bin; a softmax over 256 mu-law levels is that scale already)."""
    scale = check_choice(scale, "scale", SCALES, owner="score")
    output, _ = output_of(mf.program)
    if scale == "native" or (output == "softmax" and _mulaw8_native(mf)):
        return index_nll
    if output == "mol16":
        return index_mulaw8_bits
    raise ParameterError(
        f"score scale 'mulaw8' needs a mol16 model or a softmax over 256 mu-law levels; this "
        f"model has {mf.program['levels']} {mf.program['quantization']} levels")


def _mulaw8_native(mf: ModelFile) -> bool:
    return int(mf.program["levels"]) == 256 and mf.program["quantization"] == "mu-law"


def score_clips(
    model: str | os.PathLike | ModelFile,
    audio: Any,
    *,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    threads: int = 0,
    progress: bool = False,
    return_names: bool = False,
    weights: str = "float32",
    scale: str = "native",
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-clip NLL: ``(bits per sample of each clip, length of each clip)``, and with
    ``return_names`` the clips' names (their files' paths; array indices for arrays).

    Takes the same arguments as :func:`score`; clips come in the order given (dataset
    folders expand to their clips in manifest order). Unreadable files are skipped with
    a warning naming them; ``progress`` shows bars on stderr (reading, scoring).
    """
    from ..workers import progress_bar

    mf = load(model)
    per_sample = _scorer(mf, scale)
    items = _as_clips(audio, mf.sample_rate, progress)
    if not items:
        raise ParameterError("no audio to score")
    for i, c in enumerate(items):
        if c.audio.size == 0:
            raise ParameterError(f"clip {i} is empty")
        if not np.all(np.isfinite(c.audio)):
            raise ParameterError(f"clip {i} contains NaN or infinite samples")
    ids = _label_ids(items, mf) if cond is None else cond_ids(cond, mf, len(items))
    clips = [c.audio for c in items]
    engine, ref = runner(mf, device=device, threads=threads, weights=weights)
    bits = np.zeros(len(clips))
    # Clips of equal length are scored together (datasets have fixed-length clips).
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(clips):
        by_length.setdefault(len(x), []).append(i)
    batches = [same[k : k + _SCORE_BATCH] for same in by_length.values()
               for k in range(0, len(same), _SCORE_BATCH)]
    with progress_bar(len(clips), desc="score", unit="clip", enabled=progress) as bar:
        for idx in batches:
            q = np.stack([encode(mf, clips[i]) for i in idx])
            bits[idx] = per_sample(engine, ref, q, None if ids is None else ids[idx]).mean(axis=1)
            bar.update(len(idx))
    lengths = np.array([len(x) for x in clips], dtype=np.int64)
    return (bits, lengths, [c.path or c.name for c in items]) if return_names else (bits, lengths)


def score(
    model: str | os.PathLike | ModelFile,
    audio: Any,
    *,
    cond: int | Sequence[int] | np.ndarray | None = None,
    per_clip: bool = False,
    device: str = "auto",
    threads: int = 0,
    weights: str = "float32",
    scale: str = "native",
) -> float | np.ndarray:
    """Negative log-likelihood of audio under a model, in bits per sample.

    Parameters
    ----------
    model : path or ModelFile
    audio : array (samples,) or (clips, samples), audio file path, dataset folder, folder
        of audio files, or a list of these (see :func:`clip_paths`). Files are loaded at
        the model's sample rate; audio is quantized with the model's quantization. Each
        clip is scored from its first sample.
    cond : int or one int per clip, for a conditioned model. Without it, the clips of
        dataset folders are scored with their own labels' classes (the model file's
        ``labels`` name them); other clips need ``cond``.
    per_clip : bool
        Return one mean NLL per clip instead of the mean over every sample.
        Files that cannot be read are skipped with a warning naming them and why; a
        ``ParameterError`` only when none can be.
    device, threads, weights : as for :func:`sample` (``weights="bf16"`` measures what the
        bfloat16 engine option costs in likelihood).
    scale : {"native", "mulaw8"}
        ``"native"``: the model's own bits per sample (16-bit levels for a mol16 model).
        ``"mulaw8"``: bits per sample of the 8-bit mu-law bins, comparable across 8-bit
        and 16-bit models: a mol16 model's mass in each sample's mu-law bin; a softmax
        over 256 mu-law levels reports its native figure (other models raise).

    Returns
    -------
    float, or ndarray float64 (clips,) with ``per_clip``.

    Examples
    --------
    >>> pysynth.score("model.pysynth", "dataset/")  # doctest: +SKIP
    5.83
    """
    bits, lengths = score_clips(model, audio, cond=cond, device=device, threads=threads,
                                weights=weights, scale=scale)
    if per_clip:
        return bits
    return float(np.sum(bits * lengths) / np.sum(lengths))
