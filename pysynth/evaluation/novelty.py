"""Novelty: how far each generated clip lies from its nearest training clip in the embedding,
beside how far unseen real clips lie; and near-copies found by waveform cross-correlation."""

from __future__ import annotations

import numpy as np

#: Training clips nearest in the embedding whose waveforms are compared with a generated clip.
N_CANDIDATES = 3
#: A generated clip whose normalized cross-correlation with a training clip exceeds this is a
#: near-copy.
COPY_CORRELATION = 0.9


def nearest(Z_train: np.ndarray, Z: np.ndarray, k: int, *, leave_one_out: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """Distances to and indices of the ``k`` nearest training rows of each row of ``Z``
    (``leave_one_out``: ``Z`` is ``Z_train`` and a row's own match is skipped)."""
    from sklearn.neighbors import NearestNeighbors

    extra = int(leave_one_out)
    k = min(k + extra, len(Z_train))
    d, idx = NearestNeighbors(n_neighbors=k).fit(Z_train).kneighbors(Z)
    return d[:, extra:], idx[:, extra:]


def max_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |normalized cross-correlation| of two waveforms over every lag: 1 for a copy
    (shifted, or inverted), near 0 for unrelated noise; 0 if either is silent.

    >>> x = np.random.default_rng(0).standard_normal(1000)
    >>> round(max_correlation(x, np.r_[np.zeros(10), -0.5 * x]), 6)
    1.0
    """
    from scipy.signal import correlate

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    if norm == 0:
        return 0.0
    return float(np.abs(correlate(a, b, mode="full", method="fft")).max() / norm)
