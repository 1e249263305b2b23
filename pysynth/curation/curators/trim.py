"""``trim``: remove leading and trailing silence.

Silence is a frame whose RMS is more than ``trim_db`` below the loudest frame of the
segment, or below ``floor_db`` dBFS, so a quiet one-shot is trimmed as well as a loud one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...registry import curators
from .base import Curator, Segment, check_levels, loud_frames


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
