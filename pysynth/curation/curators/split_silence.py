"""``split_silence``: split a long recording into separate segments at internal silences.

Useful for a recording of many one-shots in a row: each becomes its own segment (then
its own clip or clips) rather than clips that straddle two sounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_number
from ...registry import curators
from .base import Curator, Rejected, Segment, check_levels, loud_frames


@curators.register("split_silence")
@dataclass
class SplitSilence(Curator):
    """Split at every silence at least ``min_silence_seconds`` long.

    Parameters
    ----------
    split_db : float
        Frames more than this many dB below the loudest frame are silence (default 40).
    floor_db : float
        Frames below this absolute level in dBFS are silence too (default -70).
    min_silence_seconds : float
        Shorter gaps do not split (default 0.3 s).
    min_seconds : float
        Pieces shorter than this are discarded as part of the silence (default 0.05 s).
    frame_seconds : float
        Frame length of the level measurement (default 0.01 s).
    """

    name = "split_silence"

    split_db: float = 40.0
    floor_db: float = -70.0
    min_silence_seconds: float = 0.3
    min_seconds: float = 0.05
    frame_seconds: float = 0.01

    def __post_init__(self) -> None:
        check_levels("split_silence", "split_db", self.split_db, self.floor_db,
                     self.frame_seconds)
        check_number(self.min_silence_seconds, "min_silence_seconds", lo=0, lo_open=True,
                     owner="split_silence")
        check_number(self.min_seconds, "min_seconds", lo=0, owner="split_silence")

    def apply(self, seg: Segment) -> list[Segment]:
        frame, loud = loud_frames(seg, self.frame_seconds, self.split_db, self.floor_db, "split")
        min_gap = max(1, round(self.min_silence_seconds * seg.sr / frame))
        # runs of loud frames, merging runs separated by gaps shorter than min_gap
        edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
        runs = list(zip(edges[::2], edges[1::2]))
        merged = [list(runs[0])]
        for a, b in runs[1:]:
            if a - merged[-1][1] < min_gap:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        out = []
        for a, b in merged:
            start, stop = a * frame, min(len(seg.y), b * frame)
            if (stop - start) / seg.sr >= self.min_seconds:
                out.append(seg.sub(start, stop))
        if not out:
            raise Rejected("too_short", f"no piece between silences lasts {self.min_seconds} s")
        return out
