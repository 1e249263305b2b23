"""The curator contract: what a step of ``pysynth curate`` receives, returns and raises.

A curator is a small dataclass whose fields are its parameters (validated in
``__post_init__``, so a bad recipe fails before any file is read). There are three stages:

- ``"decode"``: the first step; turns an input file into a stream of mono blocks
  (:meth:`Curator.blocks`), so memory stays bounded for hour-long files.
- ``"segment"``: runs in the worker processes, one :class:`Segment` at a time
  (:meth:`Curator.apply` returns zero or more segments, or raises :class:`Rejected`).
  Trimming, splitting, normalizing, cutting and rejecting are segment curators.
- ``"dataset"``: runs once over every clip of every file in the main process
  (:meth:`Curator.select`), after :meth:`Curator.annotate` computed what it needs per
  clip inside the workers. Deduplication and the train/validation/test split are
  dataset curators.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...checks import check_number


class Rejected(Exception):
    """Raised by a curator to reject the segment (or, from decode, the whole file).

    Parameters
    ----------
    reason : str
        A short machine-readable reason (``"silent"``, ``"clipped"``, ``"too_short"``...).
    detail : str
        One human-readable sentence with the measured value.
    """

    def __init__(self, reason: str, detail: str = "", **info: Any) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.info = info


@dataclass
class Segment:
    """A piece of mono audio on its way to becoming a clip.

    Attributes
    ----------
    y : np.ndarray
        float32 mono samples at ``sr``.
    sr : int
    source : str
        The input file it came from.
    offset : float
        Start of ``y`` in the source, in seconds.
    label : str
        The source file's folder relative to the input root.
    meta : dict
        What curators want to pass down the pipeline (e.g. the gain applied).
    """

    y: np.ndarray
    sr: int
    source: str
    offset: float
    label: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.y) / self.sr

    def sub(self, start: int, stop: int, y: np.ndarray | None = None) -> Segment:
        """The samples ``[start, stop)`` as a new segment with the right offset."""
        part = self.y[start:stop] if y is None else y
        return Segment(part, self.sr, self.source, float(self.offset + start / self.sr), self.label,
                       dict(self.meta))


@dataclass
class ClipRecord:
    """A written clip as the dataset curators see it: manifest fields plus features."""

    id: str
    path: str
    source: str
    offset: float
    duration: float
    checksum: str
    label: str
    split: str = "train"
    features: dict = field(default_factory=dict)


class Curator:
    """Base class of every curator. Subclasses are dataclasses; their fields are parameters."""

    name: ClassVar[str] = ""
    stage: ClassVar[str] = "segment"

    def params(self) -> dict[str, Any]:
        """The parameters as plain JSON values (recorded in ``dataset.json``)."""
        return asdict(self)  # type: ignore[call-overload]

    def block_alignment(self) -> float | None:
        """Seconds that the decode step's blocks should be a whole multiple of, or ``None``.

        A hook for steps that cut at fixed positions (``cut`` returns its hop):
        :func:`~pysynth.curation.build_pipeline` gives the first value a step returns to the
        decode step as its ``align_seconds`` parameter (unless the recipe sets it), so a long
        recording read in blocks loses nothing at the block seams.
        """
        return None

    # decode stage
    def blocks(self, path: str, *, source: str, label: str) -> Iterator[Segment]:
        raise NotImplementedError

    # segment stage
    def apply(self, seg: Segment) -> list[Segment]:
        raise NotImplementedError

    # dataset stage
    def annotate(self, seg: Segment, record: ClipRecord) -> None:
        """Compute per-clip features in the worker (default: nothing)."""

    def select(
        self, records: list[ClipRecord]
    ) -> tuple[list[ClipRecord], list[tuple[ClipRecord, Rejected]]]:
        raise NotImplementedError


# -- shared helpers -----------------------------------------------------------------------


def db_to_amp(db: float) -> float:
    """Decibels (re full scale) to linear amplitude."""
    return float(10.0 ** (db / 20.0))


def amp_to_db(a: float) -> float:
    """Linear amplitude to dB re full scale (``-inf`` for zero)."""
    return 20.0 * math.log10(a) if a > 0 else -math.inf


def frame_rms_db(y: np.ndarray, frame: int) -> np.ndarray:
    """RMS of consecutive non-overlapping frames of ``frame`` samples, in dBFS.

    The last partial frame counts as a frame of its own. Used by trim and split so that
    both agree on what silence is.
    """
    n = len(y)
    if n == 0:
        return np.zeros(0)
    pad = (-n) % frame
    yy = np.concatenate([y, np.zeros(pad, dtype=y.dtype)]) if pad else y
    frames = yy.reshape(-1, frame).astype(np.float64)
    power = np.mean(frames * frames, axis=1)
    if pad:  # mean over the real samples only
        power[-1] *= frame / (frame - pad)
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def check_levels(owner: str, rel_name: str, rel_db: float, floor_db: float,
                 frame_seconds: float) -> None:
    """Check the parameters of :func:`loud_frames` (trim and split_silence)."""
    check_number(rel_db, rel_name, lo=0, lo_open=True, owner=owner)
    check_number(floor_db, "floor_db", hi=0, owner=owner)
    check_number(frame_seconds, "frame_seconds", lo=0, hi=1, lo_open=True, owner=owner)


def loud_frames(seg: Segment, frame_seconds: float, rel_db: float, floor_db: float,
                what: str) -> tuple[int, np.ndarray]:
    """The frame length in samples and the boolean mask of the frames of ``seg`` that are
    not silence (trim and split_silence); :class:`Rejected` ``silent`` if there are none."""
    frame = max(1, round(frame_seconds * seg.sr))
    db = frame_rms_db(seg.y, frame)
    loud = (db >= db.max() - rel_db) & (db >= floor_db) if len(db) else np.zeros(0, dtype=bool)
    if not loud.any():
        raise Rejected("silent", f"nothing above the {what} threshold")
    return frame, loud
