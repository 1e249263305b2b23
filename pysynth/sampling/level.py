"""Generated clips at the level of the data: each clip's peak scaled to the training
clips' typical peak.

Curated one-shots are peak-normalized (``pysynth curate``'s ``normalize`` step: -1 dBFS),
so a set of real hits is uniformly loud. A model reproduces that level only roughly: a
WaveNet trained for 10 minutes on the drum corpus peaks 4 dB low on the median, with twice
the data's spread (docs/benchmarks.md, "Silence, sounding windows and WaveNet's rule"). An
artist would normalize such clips before use; ``pysynth sample`` does it by default, to the
level ``pysynth export`` measured on the validation clips (model metadata ``peak_db``).
``pysynth.sample`` itself returns the audio as generated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["LEVELS", "MAX_GAIN_DB", "QUIET_DB", "data_peak_db", "peak_db_of", "to_peak"]

#: the ``level`` choices of the commands that generate (sample, pick): ``"data"`` puts each
#: generated clip's peak at the data's (:func:`to_peak`), ``"off"`` keeps it as generated
LEVELS = ("data", "off")

#: the largest boost given to a clip: a clip this much quieter than the data stays quieter
MAX_GAIN_DB = 20.0
#: clips whose peak is below this (dBFS) are left as they are: silence is not made loud
QUIET_DB = -60.0


def peak_db_of(clips: Sequence[np.ndarray]) -> float | None:
    """The median peak (dBFS) of the clips that are not silent, or None without any."""
    peaks = [float(np.max(np.abs(y))) for y in clips if np.size(y)]
    peaks = [p for p in peaks if p > 10 ** (QUIET_DB / 20)]
    return round(float(20 * np.log10(np.median(peaks))), 2) if peaks else None


def data_peak_db(model: Any) -> float | None:
    """The typical peak of a model's training data (dBFS) from its metadata, or None (a
    model file exported before ``peak_db`` was recorded, or without readable data)."""
    value = (getattr(model, "metadata", None) or {}).get("peak_db")
    return None if value is None else float(value)


def to_peak(audio: np.ndarray, peak_db: float | None) -> np.ndarray:
    """Scale each clip (row of ``audio``, or a single 1-D clip) so its peak is ``peak_db``
    dBFS, boosting by at most ``MAX_GAIN_DB``; clips quieter than ``QUIET_DB`` and
    ``peak_db=None`` are returned unchanged.

    >>> to_peak(np.array([[0.0, 0.25, -0.5]]), -6.0206).round(3).tolist()
    [[0.0, 0.25, -0.5]]
    >>> to_peak(np.array([0.0, 0.1, -0.2]), 0.0).round(3).tolist()
    [0.0, 0.5, -1.0]
    """
    y = np.asarray(audio, dtype=np.float32)
    if peak_db is None:
        return y
    rows = y.reshape(-1, y.shape[-1]) if y.ndim else y.reshape(1, 1)
    peak = np.max(np.abs(rows), axis=-1, keepdims=True) if rows.size else np.zeros((len(rows), 1))
    loud = peak > 10 ** (QUIET_DB / 20)
    gain = np.where(loud, 10 ** (float(peak_db) / 20) / np.where(loud, peak, 1.0), 1.0)
    gain = np.minimum(gain, 10 ** (MAX_GAIN_DB / 20))
    return (rows * gain).astype(np.float32).reshape(y.shape)
