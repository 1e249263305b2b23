"""The dataset folder: clips/ of WAV files, manifest.jsonl, rejects.jsonl, dataset.json.

Every part that reads or writes a dataset (curate, augment, map, train) goes through this
module, so the layout is defined once::

    dataset/
      clips/<id>.wav     mono WAV at the dataset's sample rate
      manifest.jsonl     one JSON object per clip (see :class:`Clip`), written last
      rejects.jsonl      one JSON object per rejected input or clip, with its reason
      dataset.json       sample rate, clip length, and how the dataset was made

The manifest is the commit point: it is replaced atomically after every clip file exists,
so a dataset is either the old one or the new one, never half of each.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .checks import check_choice, check_int
from .errors import DatasetError, ParameterError
from .files import atomic_write_bytes, write_json
from .words import count

FORMAT = "pysynth-dataset"
VERSION = 1

MANIFEST = "manifest.jsonl"
REJECTS = "rejects.jsonl"
INFO = "dataset.json"
CLIPS_DIR = "clips"

#: The split names, in the order they are reported.
SPLITS = ("train", "validation", "test")


@dataclass
class Clip:
    """One clip of a dataset: one line of ``manifest.jsonl``.

    Attributes
    ----------
    id : str
        Unique within the dataset; also the stem of the clip's file name.
    path : str
        Path of the WAV file relative to the dataset root, e.g. ``"clips/<id>.wav"``
        (always with forward slashes).
    source : str
        The input file the clip was cut from (as given to curate), or for an augmented
        clip the source of the clip it was derived from.
    offset, duration : float
        Where in the source the clip starts and how long it is, in seconds.
    split : str
        ``"train"``, ``"validation"`` or ``"test"``. Every clip of one source file has the
        same split, so no recording leaks across splits.
    checksum : str
        ``"sha256:<hex>"`` of the clip's decoded samples (see :func:`audio_checksum`);
        equal audio gives equal checksums whatever the WAV header says.
    lineage : dict or None
        For augmented clips: what it was derived from and how (free-form JSON).
    label : str or None
        A class name, by default the source file's folder relative to the input root
        (``""`` for files at the root); used to colour maps and to condition models.
    extra : dict
        Any other keys found in the manifest line, kept so that round trips lose nothing.
    """

    id: str
    path: str
    source: str
    offset: float
    duration: float
    split: str
    checksum: str
    lineage: dict | None = None
    label: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest line as a dict (``extra`` keys merged in at the top level)."""
        d = asdict(self)
        extra = d.pop("extra")
        for k, v in extra.items():
            d.setdefault(k, v)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clip:
        """Build a clip from a manifest line; unknown keys go to ``extra``."""
        names = {f.name for f in fields(cls)} - {"extra"}
        missing = [n for n in ("id", "path", "source", "offset", "duration", "split", "checksum")
                   if n not in d]
        if missing:
            raise DatasetError(f"manifest line is missing {', '.join(missing)}: {d!r}")
        known = {k: v for k, v in d.items() if k in names}
        extra = {k: v for k, v in d.items() if k not in names}
        known["offset"] = float(known["offset"])
        known["duration"] = float(known["duration"])
        return cls(**known, extra=extra)


def audio_checksum(y: np.ndarray) -> str:
    """``"sha256:<hex>"`` of audio as float32 little-endian samples.

    Used for the manifest's ``checksum`` and for exact-duplicate detection: the same
    decoded audio gives the same checksum whatever container or header it came in.
    """
    data = np.ascontiguousarray(np.asarray(y, dtype="<f4"))
    return "sha256:" + hashlib.sha256(data.tobytes()).hexdigest()


def read_manifest(path: str | os.PathLike) -> list[Clip]:
    """Read a ``manifest.jsonl`` (or any JSON-lines file of clips) into a list of clips.

    Raises
    ------
    DatasetError
        If the file is missing or a line is not a valid clip (the message names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such manifest")
    clips = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                clips.append(Clip.from_dict(json.loads(line)))
            except (json.JSONDecodeError, TypeError, ValueError, DatasetError) as exc:
                raise DatasetError(f"{path}:{lineno}: not a valid clip line ({exc})") from None
    return clips


def read_rejects(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read a ``rejects.jsonl`` into a list of dicts (empty if the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r, sort_keys=False) + "\n" for r in rows).encode("utf-8")


def write_dataset(
    root: str | os.PathLike,
    clips: list[Clip],
    info: dict[str, Any],
    *,
    rejects: list[dict[str, Any]] | None = None,
) -> None:
    """Write a dataset's ``dataset.json``, ``rejects.jsonl`` and (last) ``manifest.jsonl``.

    The clip files must already exist under ``root``. Every file is written atomically and
    the manifest goes last, so an interrupted write leaves the previous dataset readable.

    Parameters
    ----------
    root : path-like
        The dataset folder.
    clips : list of Clip
        The manifest, in order.
    info : dict
        Contents of ``dataset.json``; must hold ``sample_rate``. ``format`` and
        ``version`` are filled in.
    rejects : list of dict, optional
        Lines of ``rejects.jsonl`` (each with at least ``source`` and ``reason``);
        ``None`` leaves an existing rejects file as it is.
    """
    root = Path(root)
    check_int(info.get("sample_rate"), "sample_rate", lo=1, owner="dataset info")
    ids = set()
    for c in clips:
        if c.id in ids:
            raise ParameterError(f"clips: duplicate clip id {c.id!r}")
        ids.add(c.id)
        check_choice(c.split, "split", SPLITS, owner=f"clip {c.id!r}")
    info = {"format": FORMAT, "version": VERSION, **info}
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / INFO, info, sort_keys=False)
    if rejects is not None:
        atomic_write_bytes(root / REJECTS, _jsonl(rejects))
    atomic_write_bytes(root / MANIFEST, _jsonl(c.to_dict() for c in clips))


def write_clips(
    root: str | os.PathLike,
    clips,
    *,
    sr: int,
    info: dict[str, Any] | None = None,
    rejects: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a dataset folder from audio in memory: ``clips`` are ``(id, y, split, label)``
    tuples (``label`` may be None). Each clip is saved as 16-bit WAV under ``clips/`` and its
    checksum taken from the decoded file, exactly as curate does; then :func:`write_dataset`.
    Returns ``root``. For tests, examples and scripts that make their own sounds.
    """
    from .audio import load, save

    root = Path(root)
    records = []
    for cid, y, split, label in clips:
        rel = f"{CLIPS_DIR}/{cid}.wav"
        save(root / rel, y, sr)
        decoded, _ = load(root / rel)
        records.append(Clip(id=cid, path=rel, source=f"{label or 'src'}/{cid}.wav", offset=0.0,
                            duration=len(y) / sr, split=split, checksum=audio_checksum(decoded),
                            label=label))
    write_dataset(root, records, {"sample_rate": sr, **(info or {})}, rejects=rejects)
    return root


class Dataset:
    """A curated dataset folder, opened for reading.

    Attributes
    ----------
    root : Path
    sample_rate : int
    clip_seconds : float or None
        The fixed clip length, or ``None`` if clips vary in length.
    info : dict
        The contents of ``dataset.json``.

    Examples
    --------
    >>> ds = Dataset.open("dataset")                      # doctest: +SKIP
    >>> y = ds.load(ds.clips("train")[0])                 # doctest: +SKIP
    """

    def __init__(self, root: Path, info: dict[str, Any], clips: list[Clip]) -> None:
        self.root = Path(root)
        self.info = info
        self.sample_rate = int(info["sample_rate"])
        cs = info.get("clip_seconds")
        self.clip_seconds = None if cs is None else float(cs)
        self._clips = clips

    @classmethod
    def open(cls, root: str | os.PathLike) -> Dataset:
        """Open the dataset at ``root``.

        Raises
        ------
        DatasetError
            If ``root`` is missing, is not a dataset (no ``dataset.json`` or
            ``manifest.jsonl``), or its manifest is malformed or empty.
        """
        root = Path(root)
        if not root.exists():
            raise DatasetError(f"{root}: no such dataset folder")
        if not root.is_dir():
            raise DatasetError(f"{root}: is a file, not a dataset folder")
        info_path = root / INFO
        if not info_path.is_file():
            raise DatasetError(
                f"{root}: not a pysynth dataset (no {INFO}); make one with `pysynth curate`"
            )
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{info_path}: not valid JSON ({exc})") from None
        if not isinstance(info, dict) or not isinstance(info.get("sample_rate"), int):
            raise DatasetError(f"{info_path}: missing an integer 'sample_rate'")
        if info.get("format", FORMAT) != FORMAT:
            raise DatasetError(f"{info_path}: format is {info.get('format')!r}, not {FORMAT!r}")
        manifest = root / MANIFEST
        if not manifest.is_file():
            raise DatasetError(f"{root}: not a pysynth dataset (no {MANIFEST})")
        clips = read_manifest(manifest)
        if not clips:
            raise DatasetError(f"{manifest}: the dataset has no clips")
        return cls(root, info, clips)

    def clips(self, split: str | None = None) -> list[Clip]:
        """The clips of one split (``None``: all of them), in manifest order."""
        if split is None:
            return list(self._clips)
        check_choice(split, "split", SPLITS)
        return [c for c in self._clips if c.split == split]

    def __len__(self) -> int:
        return len(self._clips)

    def __repr__(self) -> str:
        return f"Dataset({str(self.root)!r}, {count(len(self), 'clip')}, sr={self.sample_rate})"

    def path(self, clip: Clip) -> Path:
        """Absolute path of a clip's WAV file."""
        return self.root / clip.path

    def load(self, clip: Clip) -> np.ndarray:
        """A clip's audio as float32 mono at :attr:`sample_rate`."""
        from .audio import load

        y, _ = load(self.path(clip), sr=self.sample_rate, mono=True)
        return y

    def labels(self) -> list[str]:
        """The distinct clip labels, sorted (clips without a label count as ``""``)."""
        return sorted({c.label or "" for c in self._clips})

    def rejects(self) -> list[dict[str, Any]]:
        """The lines of ``rejects.jsonl`` (empty if there is none)."""
        return read_rejects(self.root / REJECTS)

    def duration(self, split: str | None = None) -> float:
        """Total seconds of audio in one split (``None``: all)."""
        return float(sum(c.duration for c in self.clips(split)))
