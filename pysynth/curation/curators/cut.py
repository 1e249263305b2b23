"""``cut``: cut segments into fixed-length clips, padding or dropping short one-shots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_choice, check_number
from ...registry import curators
from .base import Curator, Rejected, Segment

SHORT = ("pad", "drop")


@curators.register("cut")
@dataclass
class Cut(Curator):
    """Cut into clips of ``clip_seconds`` every ``hop_seconds``.

    Clips start at ``0, hop, 2 hop, ...`` while a whole clip fits; the remainder at the
    end of a segment that gave at least one clip is dropped. A segment shorter than one
    clip (a one-shot) is zero-padded at the end to a whole clip when ``short="pad"`` and
    it lasts at least ``min_seconds``, and is rejected as ``too_short`` otherwise.

    Parameters
    ----------
    clip_seconds : float
        Clip length (default 1 s).
    hop_seconds : float or None
        Distance between clip starts; smaller than ``clip_seconds`` makes clips overlap.
        ``None``: equal to ``clip_seconds``.
    short : {"pad", "drop"}
        What to do with segments shorter than one clip (default ``"pad"``).
    min_seconds : float
        Shortest segment that is padded (default 0.1 s).
    """

    name = "cut"

    clip_seconds: float = 1.0
    hop_seconds: float | None = None
    short: str = "pad"
    min_seconds: float = 0.1

    def __post_init__(self) -> None:
        # a clip is one training example: an hour is already far beyond any use
        check_number(self.clip_seconds, "clip_seconds", lo=0, hi=3600, lo_open=True,
                     owner="cut")
        if self.hop_seconds is not None:
            check_number(self.hop_seconds, "hop_seconds", lo=0, hi=3600, lo_open=True,
                         owner="cut")
        check_choice(self.short, "short", SHORT, owner="cut")
        check_number(self.min_seconds, "min_seconds", lo=0, owner="cut")

    @property
    def hop(self) -> float:
        return self.clip_seconds if self.hop_seconds is None else self.hop_seconds

    def block_alignment(self) -> float:
        """The hop: blocks that are whole multiples of it are cut as one recording is."""
        return self.hop

    def apply(self, seg: Segment) -> list[Segment]:
        n = round(self.clip_seconds * seg.sr)
        hop = max(1, round(self.hop * seg.sr))
        length = len(seg.y)
        if length >= n:
            return [seg.sub(s, s + n) for s in range(0, length - n + 1, hop)]
        if self.short == "drop":
            raise Rejected("too_short", f"{seg.duration:.3f} s is shorter than one clip "
                           f"({self.clip_seconds} s) and short='drop'")
        if seg.duration < self.min_seconds:
            raise Rejected("too_short", f"{seg.duration:.3f} s < min_seconds {self.min_seconds} s")
        y = np.zeros(n, dtype=np.float32)
        y[:length] = seg.y
        out = seg.sub(0, length, y)
        out.meta["padded"] = round((n - length) / seg.sr, 6)
        return [out]
