"""``trim``: remove leading and trailing silence.

Silence is a frame whose RMS is more than ``trim_db`` below the loudest frame of the
segment, or below ``floor_db`` dBFS, so a quiet one-shot is trimmed as well as a loud one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_number
from ...registry import curators
from .base import Curator, Rejected, Segment, frame_rms_db


@curators.register("trim")
@dataclass
class Trim(Curator):
    """Trim leading and trailing silence, to a frame boundary.

    Parameters
    ----------
    trim_db : float
        Frames more than this many dB below the loudest frame are silence (default 50).
    floor_db : float
        Frames below this absolute level in dBFS are silence too (default -70).
    frame_seconds : float
        Frame length of the level measurement (default 0.01 s).
    """

    name = "trim"

    trim_db: float = 50.0
    floor_db: float = -70.0
    frame_seconds: float = 0.01

    def __post_init__(self) -> None:
        check_levels("trim", "trim_db", self.trim_db, self.floor_db, self.frame_seconds)

    def apply(self, seg: Segment) -> list[Segment]:
        frame, loud = loud_frames(seg, self.frame_seconds, self.trim_db, self.floor_db, "trim")
        idx = np.flatnonzero(loud)
        start, stop = idx[0] * frame, min(len(seg.y), (idx[-1] + 1) * frame)
        if start == 0 and stop == len(seg.y):
            return [seg]
        out = seg.sub(start, stop)
        out.meta["trimmed"] = [start / seg.sr, (len(seg.y) - stop) / seg.sr]
        return [out]


def check_levels(owner: str, rel_name: str, rel_db: float, floor_db: float,
                 frame_seconds: float) -> None:
    """Check the parameters of :func:`loud_frames` (shared with split_silence)."""
    check_number(rel_db, rel_name, lo=0, lo_open=True, owner=owner)
    check_number(floor_db, "floor_db", hi=0, owner=owner)
    check_number(frame_seconds, "frame_seconds", lo=0, hi=1, lo_open=True, owner=owner)


def loud_frames(seg: Segment, frame_seconds: float, rel_db: float, floor_db: float,
                what: str) -> tuple[int, np.ndarray]:
    """The frame length in samples and the boolean mask of the frames of ``seg`` that are
    not silence (shared with split_silence); :class:`Rejected` ``silent`` if there are none."""
    frame = max(1, round(frame_seconds * seg.sr))
    db = frame_rms_db(seg.y, frame)
    loud = (db >= db.max() - rel_db) & (db >= floor_db) if len(db) else np.zeros(0, dtype=bool)
    if not loud.any():
        raise Rejected("silent", f"nothing above the {what} threshold")
    return frame, loud
