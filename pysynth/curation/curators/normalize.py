"""``normalize``: bring every segment to the same peak or loudness level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_choice, check_number
from ...registry import curators
from .base import Curator, Rejected, Segment, amp_to_db, db_to_amp

MODES = ("peak", "loudness")


@curators.register("normalize")
@dataclass
class Normalize(Curator):
    """Scale a segment so its peak (or loudness) is ``target_db``.

    Parameters
    ----------
    mode : {"peak", "loudness"}
        ``peak``: the largest ``|x|`` becomes ``target_db`` dBFS. ``loudness``: the RMS
        level (unweighted, dBFS) becomes ``target_db``, with the gain lowered where
        needed so the peak stays at or below ``max_peak_db``.
    target_db : float or None
        Target level in dBFS (default ``None``: -1 for peak, -20 for loudness).
    max_peak_db : float
        Ceiling for the peak in loudness mode (default -0.1 dBFS).

    Long recordings are normalized block by block (see ``decode``'s ``block_seconds``).
    """

    name = "normalize"

    mode: str = "peak"
    target_db: float | None = None
    max_peak_db: float = -0.1

    def __post_init__(self) -> None:
        check_choice(self.mode, "mode", MODES, owner="normalize")
        if self.target_db is not None:
            check_number(self.target_db, "target_db", lo=-100, hi=0, owner="normalize")
        check_number(self.max_peak_db, "max_peak_db", lo=-100, hi=0, owner="normalize")

    def apply(self, seg: Segment) -> list[Segment]:
        y = seg.y
        peak = float(np.max(np.abs(y))) if len(y) else 0.0
        if peak == 0.0:
            raise Rejected("silent", "all samples are zero")
        target = self.target_db
        if target is None:
            target = -1.0 if self.mode == "peak" else -20.0
        if self.mode == "peak":
            gain = db_to_amp(target) / peak
        else:
            rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
            gain = min(db_to_amp(target) / rms, db_to_amp(self.max_peak_db) / peak)
        out = seg.sub(0, len(y), (y * np.float32(gain)).astype(np.float32))
        out.meta["gain_db"] = round(amp_to_db(gain), 3)
        return [out]
