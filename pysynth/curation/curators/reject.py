"""``reject``: drop segments that are too short, silent or near-silent, or heavily clipped.

Placed right after ``decode`` it judges the raw recording (clipping can only be seen
before normalization); placed after ``cut`` it judges each clip (a silent stretch in a
long recording becomes a rejected clip, not a silent training example).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_number
from ...registry import curators
from .base import Curator, Rejected, Segment, amp_to_db


@curators.register("reject")
@dataclass
class Reject(Curator):
    """Reject a segment for one of these reasons, checked in this order.

    Parameters
    ----------
    min_seconds : float
        ``too_short`` below this duration (default 0.05 s).
    silence_db : float
        ``silent`` when the peak is below this level in dBFS (default -50): covers
        digital silence, hiss and hum with nothing in it. The peak is measured after
        removing the mean, since a DC offset is inaudible (a constant is silence).
    clip_level : float
        A sample counts as clipped when ``|x| >= clip_level`` (default 0.999).
    max_clipped : float
        ``clipped`` when more than this fraction of samples are clipped (default 0.01).
        ``1`` disables the check.
    """

    name = "reject"

    min_seconds: float = 0.05
    silence_db: float = -50.0
    clip_level: float = 0.999
    max_clipped: float = 0.01

    def __post_init__(self) -> None:
        check_number(self.min_seconds, "min_seconds", lo=0, owner="reject")
        check_number(self.silence_db, "silence_db", hi=0, owner="reject")
        check_number(self.clip_level, "clip_level", lo=0, hi=1, lo_open=True, owner="reject")
        check_number(self.max_clipped, "max_clipped", lo=0, hi=1, owner="reject")

    def apply(self, seg: Segment) -> list[Segment]:
        y = seg.y
        if seg.duration < self.min_seconds:
            raise Rejected("too_short", f"{seg.duration:.3f} s < min_seconds {self.min_seconds} s")
        if not np.all(np.isfinite(y)):
            raise Rejected("non_finite", "NaN or infinite samples")
        peak = float(np.max(np.abs(y - np.mean(y, dtype=np.float64)))) if len(y) else 0.0
        if amp_to_db(peak) < self.silence_db:
            raise Rejected("silent", f"peak {amp_to_db(peak):.1f} dBFS < silence_db "
                           f"{self.silence_db} dBFS")
        if self.max_clipped < 1:
            frac = float(np.mean(np.abs(y) >= self.clip_level))
            if frac > self.max_clipped:
                raise Rejected("clipped", f"{100 * frac:.2f}% of samples at full scale "
                               f"(max_clipped {100 * self.max_clipped:.2f}%)")
        return [seg]
