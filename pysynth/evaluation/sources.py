"""What is evaluated against what: generated clips (files, folders or arrays) with the class
each was meant to be, and the reference (a dataset folder or a folder of audio files)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_int
from ..errors import ParameterError
from ..files import AUDIO_EXTENSIONS, audio_files
from ..sampling.names import label_in_name
from ..words import count


@dataclass
class Reference:
    """The real clips: names, loaders, labels, splits, and cache keys when it is a dataset.

    ``splits`` and ``keys`` are None for a plain folder of audio files; ``dataset`` is the
    opened :class:`pysynth.dataset.Dataset` (None for a folder).
    """

    names: list[str]
    loaders: list[Callable[[], np.ndarray]]
    labels: list[str | None]
    splits: list[str] | None
    sample_rate: int
    keys: list[str] | None = None
    dataset: Any = None

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class Generated:
    """The generated clips, loaded at the reference's rate, and their intended labels."""

    names: list[str]
    audio: list[np.ndarray]
    labels: list[str | None]

    def __len__(self) -> int:
        return len(self.names)


def open_reference(reference: str | os.PathLike, *, what: str = "reference") -> Reference:
    """Open a dataset folder (labels and splits from its manifest) or a folder of audio files
    (no labels; loaded at the first file's sample rate; unreadable files skipped with a warning
    naming each, :func:`pysynth.audio.readable_audio`).

    Raises
    ------
    ParameterError
        If the folder does not exist, holds no audio, or fewer than 2 readable clips.
    """
    from ..dataset import MANIFEST, Dataset

    root = Path(reference)
    if not root.is_dir():
        raise ParameterError(f"{what} must be a dataset folder or a folder of audio files, "
                             f"got {str(root)!r} ({'a file' if root.exists() else 'no such folder'})")
    if (root / MANIFEST).exists():
        ds = Dataset.open(root)
        clips = ds.clips()
        ref = Reference(
            names=[c.id for c in clips],
            loaders=[(lambda c=c: ds.load(c)) for c in clips],
            labels=[c.label or None for c in clips],
            splits=[c.split for c in clips],
            sample_rate=ds.sample_rate,
            keys=[f"{c.checksum}|{c.path}|{ds.path(c).stat().st_size}" for c in clips],
            dataset=ds,
        )
    else:
        ref = _folder_reference(root, what)
    if len(ref) < 2:
        raise ParameterError(f"{what} {str(root)!r} has {count(len(ref), 'clip')}; evaluation needs "
                             "at least 2 real clips")
    return ref


def _folder_reference(root: Path, what: str) -> Reference:
    import soundfile as sf

    from ..audio import load, readable_audio

    files = audio_files(root)
    if not files:
        raise ParameterError(f"{what} folder {str(root)!r} holds no audio files "
                             f"({', '.join(AUDIO_EXTENSIONS)}) and is not a dataset")
    # read once here, so that a file that cannot be decoded is skipped (and named) now
    # rather than failing the evaluation half-way; the clips are loaded again when embedded
    readable = [p for p, _ in readable_audio(files)]
    sr = int(sf.info(str(readable[0])).samplerate)
    return Reference(
        names=[str(p.relative_to(root)) for p in readable],
        loaders=[(lambda p=p: load(p, sr=sr)[0]) for p in readable],
        labels=[None] * len(readable), splits=None, sample_rate=sr,
    )


def load_generated(generated: Any, *, sr: int, sample_rate: int | None = None,
                   labels: Sequence[str | None] | None = None,
                   known_labels: Sequence[str] = ()) -> Generated:
    """The generated clips at ``sr`` with their intended labels.

    ``generated`` is a folder of audio files (searched recursively), an audio file, a list
    of paths, a ``(clips, samples)`` array or a list of 1-D arrays at ``sample_rate``
    (default: ``sr``; other rates are resampled). Unreadable files are skipped with a warning
    naming them. Intended labels: ``labels`` if given (one per clip, None for unknown),
    else for files the parent folder's name if it is one of ``known_labels``, else the last
    ``-``-separated token of the file's stem if it is one (``NAME-seed0-007-kick.wav``).

    Raises
    ------
    ParameterError
        No clips, no readable file, empty or non-finite audio, labels of the wrong length
        or not among ``known_labels``.
    """
    from ..audio import readable_audio, resample

    items = _items(generated)
    if not items:
        raise ParameterError("generated: no clips to evaluate")
    names, audio, guessed = [], [], []
    rate = sr if sample_rate is None else check_int(sample_rate, "sample_rate", lo=100,
                                                    owner="evaluate")
    files = [item for item in items if isinstance(item, Path)]
    read = dict(readable_audio(files, sr=sr)) if files else {}  # the unreadable are named
    keep = []
    for i, item in enumerate(items):
        if isinstance(item, Path):
            if item not in read:
                continue
            y = read[item]
            names.append(str(item))
            guessed.append(label_in_name(item, known_labels))
        else:
            y = np.asarray(item, dtype=np.float32)
            if y.ndim != 1:
                raise ParameterError(f"generated clip {i} must be 1-D audio, got shape {y.shape}")
            y = resample(y, orig_sr=rate, target_sr=sr) if rate != sr else y
            names.append(f"clip {i}")
            guessed.append(None)
        if y.size == 0:
            raise ParameterError(f"generated {names[-1]} is empty (no samples)")
        if not np.all(np.isfinite(y)):
            raise ParameterError(f"generated {names[-1]} contains NaN or infinite samples")
        audio.append(y)
        keep.append(i)
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise ParameterError(f"evaluate labels must give one label per generated clip "
                                 f"({len(items)}), got {len(labels)}")
        for lab in labels:
            if lab is not None and lab not in known_labels:
                known = ", ".join(map(repr, known_labels)) or "none (the reference has no labels)"
                raise ParameterError(f"evaluate label {lab!r} is not one of the reference's "
                                     f"labels: {known}")
        guessed = [labels[i] for i in keep]
    return Generated(names, audio, guessed)


def _items(generated: Any) -> list:
    """Paths (folders expanded) or 1-D arrays."""
    if isinstance(generated, (str, os.PathLike)):
        p = Path(generated)
        if p.is_dir():
            files = audio_files(p)
            if not files:
                raise ParameterError(f"generated folder {str(p)!r} holds no audio files "
                                     f"({', '.join(AUDIO_EXTENSIONS)})")
            return files
        if not p.exists():
            raise ParameterError(f"generated {str(p)!r}: no such file or folder")
        return [p]
    if isinstance(generated, np.ndarray):
        if generated.ndim == 2:
            return list(generated)
        raise ParameterError(f"generated must be a (clips, samples) array, got shape "
                             f"{generated.shape}")
    if isinstance(generated, Sequence):
        out: list = []
        for g in generated:
            out += _items(g) if isinstance(g, (str, os.PathLike)) else [g]
        return out
    raise ParameterError(f"generated must be a folder, a file, a list of paths, or audio arrays, "
                         f"got {type(generated).__name__}")


