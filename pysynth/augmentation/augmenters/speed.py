"""Speed shift: resample so pitch and tempo change together, like a tape played faster."""

from __future__ import annotations

import numpy as np

from ...registry import augmenters
from .base import RateAugmenter


def change_speed(y: np.ndarray, sr: int, rate: float) -> np.ndarray:
    """Play ``y`` ``rate`` times faster: ``len / rate`` samples, every frequency times ``rate``.

    Uses soxr (HQ), the same resampler as :func:`pysynth.audio.resample`; soxr accepts
    fractional rates, so any ``rate`` is exact rather than rounded to an integer ratio.
    """
    import soxr

    if rate == 1.0:
        return np.asarray(y, dtype=np.float32).copy()
    out = soxr.resample(np.asarray(y, dtype=np.float32), float(sr), float(sr) / rate, quality="HQ")
    return np.asarray(out, dtype=np.float32)


@augmenters.register("speed")
class SpeedShift(RateAugmenter):
    """Change speed by a factor ``rate`` drawn from a range: pitch and tempo together.

    A rate of 1.1 plays 10% faster and about 1.65 semitones higher.

    Parameters
    ----------
    rate : (float, float) or float
        Range of the speed factor, within [0.25, 4].
    keep_length : bool
        Crop (slower: longer) or zero-pad (faster: shorter) the result back to the input's
        length, as a dataset needs. ``False`` returns ``len / rate`` samples.
    p : float
        Probability of applying.
    """

    name = "speed"

    def change(self, y: np.ndarray, sr: int, rate: float) -> np.ndarray:
        return change_speed(y, sr, rate)
