"""Time stretch: change tempo without changing pitch (librosa's phase vocoder)."""

from __future__ import annotations

import numpy as np

from ...registry import augmenters
from .base import RateAugmenter


def stft_size(n: int) -> dict[str, int]:
    """librosa's STFT size (2048, hop 512), or a smaller power of two for clips shorter
    than that, so short clips are stretched rather than padded with a warning."""
    n_fft = 2048
    while n_fft > 64 and n_fft > n:
        n_fft //= 2
    return {"n_fft": n_fft, "hop_length": n_fft // 4}


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """Stretch ``y`` in time by ``1 / rate`` keeping its pitch (``rate > 1``: faster, shorter).

    librosa's STFT phase vocoder (n_fft 2048, hop 512; see :func:`stft_size`). The output has
    ``round(len / rate)`` samples.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if rate == 1.0:
        return y.copy()
    out = librosa.effects.time_stretch(y, rate=float(rate), **stft_size(len(y)))
    return np.asarray(out, dtype=np.float32)


@augmenters.register("time_stretch")
class TimeStretch(RateAugmenter):
    """Change tempo by ``rate`` (drawn from a range) keeping the pitch.

    Parameters
    ----------
    rate : (float, float) or float
        Range of the tempo factor, within [0.25, 4]; 1.25 is 25% faster.
    keep_length : bool
        Crop or zero-pad back to the input's length (what a dataset needs); ``False``
        returns about ``len / rate`` samples.
    p : float
        Probability of applying.
    """

    name = "time_stretch"

    def change(self, y: np.ndarray, sr: int, rate: float) -> np.ndarray:
        return time_stretch(y, rate)
