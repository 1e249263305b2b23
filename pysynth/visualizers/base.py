"""The reducer contract every visualizer (built-in or plugin) follows.

A reducer turns standardized feature vectors into 2-D map coordinates. Like a
scikit-learn estimator it does no work in ``__init__``; ``fit`` returns ``self`` and
sets ``embedding_``. Reducers that can place new points on an existing map (PCA, UMAP,
SOM) set ``supports_transform = True`` and implement ``transform``; for the others
(t-SNE) :func:`pysynth.map` embeds dataset and overlay points jointly.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..errors import ParameterError

#: Below this many points, reducers run BLAS and OpenMP on one thread.
SMALL = 5000


def limit_threads(n: int):
    """One BLAS/OpenMP thread for inputs of fewer than :data:`SMALL` points.

    Why: on small inputs thread start-up and, on a busy 2-core machine, contention cost
    far more than they save (PCA of 100 x 50: 140 ms with two contended OpenBLAS threads,
    1.5 ms with one; t-SNE of 12 points: 6 s against 0.2 s). Large inputs keep every core.
    """
    if n >= SMALL:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class Reducer:
    """Base class of 2-D reducers.

    Parameters
    ----------
    seed : int
        Seeds every random choice the reducer makes: same seed, same map.

    Attributes
    ----------
    name : str
        The registry name (class attribute).
    supports_transform : bool
        Whether :meth:`transform` places new points on a fitted map.
    min_points : int
        The fewest points :meth:`fit` accepts.
    embedding_ : np.ndarray
        ``(n, 2)`` coordinates of the fitted points, set by :meth:`fit`.
    """

    name = "reducer"
    supports_transform = False
    min_points = 2

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, X: np.ndarray) -> Reducer:  # pragma: no cover - abstract
        """Fit the map on ``X`` (``(n, d)``) and set ``embedding_``; returns ``self``."""
        raise NotImplementedError

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Coordinates of new points on the fitted map."""
        raise ParameterError(
            f"reducer {self.name!r} cannot place new points on a fitted map; "
            "embed them jointly with the dataset instead"
        )

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit and return ``embedding_``."""
        return self.fit(X).embedding_

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ParameterError(f"features must be a 2-D (clips, features) array, got {X.shape}")
        if X.shape[0] < self.min_points:
            raise ParameterError(
                f"reducer {self.name!r} needs at least {self.min_points} clips, got {X.shape[0]}"
            )
        if not np.all(np.isfinite(X)):
            raise ParameterError("features contain NaN or infinite values")
        return X


def pad2(Y: np.ndarray) -> np.ndarray:
    """Pad a ``(n, k)`` embedding with zero columns to ``(n, 2)`` (k < 2 for tiny data)."""
    if Y.shape[1] >= 2:
        return Y[:, :2]
    return np.hstack([Y, np.zeros((Y.shape[0], 2 - Y.shape[1]))])
