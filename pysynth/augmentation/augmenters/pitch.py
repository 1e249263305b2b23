"""Pitch shift: move the pitch by semitones keeping the tempo (librosa's phase vocoder)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...registry import augmenters
from .base import Augmenter, check_range, uniform
from .stretch import stft_size


def pitch_shift(y: np.ndarray, sr: int, semitones: float) -> np.ndarray:
    """Shift ``y`` by ``semitones`` (every frequency times ``2 ** (semitones / 12)``).

    librosa: phase-vocoder time stretch by ``2 ** (-semitones/12)`` then soxr (HQ)
    resampling back to the original duration; the length is unchanged.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if semitones == 0.0:
        return y.copy()
    out = librosa.effects.pitch_shift(
        y, sr=sr, n_steps=float(semitones), res_type="soxr_hq", **stft_size(len(y))
    )
    return np.asarray(out, dtype=np.float32)


@augmenters.register("pitch_shift")
class PitchShift(Augmenter):
    """Shift pitch by ``semitones`` drawn from a range, keeping tempo and length.

    Parameters
    ----------
    semitones : (float, float) or float
        Range of the shift, within [-24, 24].
    p : float
        Probability of applying.
    """

    name = "pitch_shift"

    def __init__(self, semitones: Any = (-2.0, 2.0), *, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.semitones = check_range("semitones", semitones, low=-24.0, high=24.0,
                                     owner=self.name)

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        return {"semitones": uniform(rng, self.semitones)}

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        return pitch_shift(y, sr, params["semitones"])
