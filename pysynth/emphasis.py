"""Pre-emphasis: the first-order high-pass a model may learn its audio through, and its inverse.

A model trained with ``preemphasis = a`` (a program key, 0 = off) sees
``e[n] = (x[n] - a x[n-1]) / (1 + a)`` instead of the audio ``x`` (``x[-1] = 0``, the
silence before a clip, as the models' zero padding assumes). Generation inverts it on the
way out, ``x[n] = (1 + a) e[n] + a x[n-1]``, a one-pole low-pass. The quantization and
sampling noise the model adds to ``e`` is white; after the low-pass it falls off towards
high frequencies like the spectrum of most recordings, so it sits under the signal rather
than as a flat hiss over its quiet, bright parts (LPCNet, Valin and Skoglund 2019, uses
a = 0.85 for its 8-bit mu-law output). The 1 / (1 + a) keeps every full-scale signal within
[-1, 1], where quantization does not clip it.

Both directions are scipy's ``lfilter`` (what librosa's own pre-emphasis runs on), here with
the gain and the zero initial state written out, so that training, scoring, priming and
generation agree to the last sample.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .checks import check_number

__all__ = ["check_preemphasis", "deemphasize", "preemphasize"]


def check_preemphasis(coef, owner: str | None = None) -> float:
    """``coef`` as a float in [0, 1): 0 is off; 1 would make the inverse filter unstable."""
    return check_number(coef, "preemphasis", lo=0.0, hi=1.0, hi_open=True, owner=owner)


def preemphasize(x: np.ndarray, coef: float) -> np.ndarray:
    """``(x[n] - coef x[n-1]) / (1 + coef)`` along the last axis, starting from silence.

    ``coef = 0`` returns ``x`` as float32 unchanged.

    >>> preemphasize(np.array([1.0, 1.0, 1.0]), 0.5).tolist()
    [0.6666666865348816, 0.3333333432674408, 0.3333333432674408]
    """
    x = np.asarray(x, dtype=np.float32)
    if coef == 0:
        return x
    return lfilter([1.0 / (1.0 + coef), -coef / (1.0 + coef)], [1.0], x, axis=-1).astype(np.float32)


def deemphasize(e: np.ndarray, coef: float, last: np.ndarray | float = 0.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`preemphasize` along the last axis: ``x[n] = (1 + coef) e[n] + coef x[n-1]``.

    ``last`` is ``x[-1]`` (per row for 2-D input): 0 for a clip's start, or the last sample of
    the previous block (or of a prime) when audio is made block by block. Returns ``(x,
    x[..., -1])`` (float64), the second to pass as ``last`` with the next block.

    >>> x, _ = deemphasize(preemphasize(np.array([0.1, -0.4, 0.3]), 0.85), 0.85)
    >>> [round(float(v), 6) for v in x]
    [0.1, -0.4, 0.3]
    """
    e = np.asarray(e, dtype=np.float64)
    last = np.broadcast_to(np.asarray(last, dtype=np.float64), e.shape[:-1])
    if coef == 0 or e.shape[-1] == 0:
        return e.astype(np.float32), (e[..., -1] if e.shape[-1] else last.copy())
    x, _ = lfilter([1.0 + coef], [1.0, -coef], e, axis=-1, zi=(coef * last)[..., None])
    # the state stays float64, so audio made block by block equals audio made whole
    return x.astype(np.float32), x[..., -1]
