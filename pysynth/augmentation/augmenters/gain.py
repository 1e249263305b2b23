"""Gain: scale the clip by a random number of decibels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...registry import augmenters
from .base import Augmenter, check_range, uniform


@augmenters.register("gain")
class Gain(Augmenter):
    """Multiply the clip by ``10 ** (gain_db / 20)``, ``gain_db`` drawn from a range.

    Parameters
    ----------
    gain_db : (float, float) or float
        Range of the gain in dB, within [-60, 24].
    p : float
        Probability of applying.

    Examples
    --------
    >>> import numpy as np
    >>> y, _ = Gain(gain_db=-6.0)(np.ones(4), 8000, rng=np.random.default_rng(0))
    >>> round(float(y[0]), 3)
    0.501
    """

    name = "gain"

    def __init__(self, gain_db: Any = (-6.0, 6.0), *, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.gain_db = check_range("gain_db", gain_db, low=-60.0, high=24.0, owner=self.name)

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        return {"gain_db": uniform(rng, self.gain_db)}

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        return (y * np.float32(10.0 ** (params["gain_db"] / 20.0))).astype(np.float32)
