"""Time shift: move the clip in time, by rolling it round or by offsetting it with silence."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...checks import check_choice
from ...registry import augmenters
from .base import Augmenter, check_range, uniform

MODES = ("roll", "offset")


@augmenters.register("time_shift")
class TimeShift(Augmenter):
    """Shift the clip by ``shift_s`` seconds (positive: later), keeping its length.

    Parameters
    ----------
    shift_s : (float, float) or float
        Range of the shift in seconds, within [-60, 60]; clamped to the clip's length.
    mode : {"roll", "offset"}
        ``"roll"`` wraps the samples pushed off one end round to the other (circular);
        ``"offset"`` drops them and fills the gap with silence (a later or earlier start).
    p : float
        Probability of applying.
    """

    name = "time_shift"

    def __init__(self, shift_s: Any = (-0.25, 0.25), *, mode: str = "roll", p: float = 1.0) -> None:
        super().__init__(p=p)
        self.shift_s = check_range("shift_s", shift_s, low=-60.0, high=60.0, owner=self.name)
        self.mode = check_choice(mode, "mode", MODES, owner=self.name)

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        n = len(y)
        shift = round(uniform(rng, self.shift_s) * sr)
        shift = max(-n, min(n, shift))
        return {"shift_samples": int(shift), "mode": self.mode}

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        k = int(params["shift_samples"])
        if params.get("mode", self.mode) == "roll":
            return np.roll(y, k).astype(np.float32)
        out = np.zeros_like(y, dtype=np.float32)
        if k >= 0:
            out[k:] = y[: len(y) - k]
        else:
            out[: len(y) + k] = y[-k:]
        return out
