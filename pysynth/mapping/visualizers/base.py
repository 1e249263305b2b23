"""The reducer contract every visualizer (built-in or plugin) follows.

A reducer turns standardized feature vectors into 2-D map coordinates. Like a
scikit-learn estimator it does no work in ``__init__``; ``fit`` returns ``self`` and
sets ``embedding_``. Reducers that can place new points on an existing map (PCA, UMAP,
SOM, t-SNE) set ``supports_transform = True`` and implement ``transform``; for the others
:meth:`Reducer.embed` fits dataset and overlay points jointly. Reducers whose fit is slow
and whose ``transform`` needs only the fitted points and their positions (t-SNE) set
``reuses_layout = True``: :func:`pysynth.map` saves their layout in the dataset's cache
and hands it back (:meth:`Reducer.adopt`) instead of fitting again.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ...errors import ParameterError

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
        Whether :meth:`transform` places new points on a fitted map; if not,
        :meth:`embed` fits the map and the new points together.
    min_points : int
        The fewest points :meth:`fit` accepts.
    reuses_layout : bool
        Whether :meth:`adopt` can stand in for :meth:`fit` given the positions of an
        earlier fit (then :func:`pysynth.map` saves the layout and reuses it).
    pre_reduce : bool
        Whether :func:`pysynth.map` first reduces the standardized features to
        ``pca_dims`` dimensions with PCA (True: keeps non-linear reducers fast on wide
        features; a linear reducer gains nothing from it).
    embedding_ : np.ndarray
        ``(n, 2)`` coordinates of the fitted points, set by :meth:`fit`.
    """

    name = "reducer"
    supports_transform = False
    reuses_layout = False
    min_points = 2
    pre_reduce = True

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

    def adopt(self, X: np.ndarray, coords: np.ndarray) -> Reducer:
        """Take ``coords`` (``(n, 2)``, from an earlier :meth:`fit` on the same ``X`` and
        settings) as the fitted map instead of fitting; only for ``reuses_layout``."""
        if not self.reuses_layout:
            raise ParameterError(f"reducer {self.name!r} cannot reuse a saved layout")
        self.X_ = self._check(X)
        self.embedding_ = np.asarray(coords, dtype=np.float64).reshape(len(self.X_), 2)
        self.backend_ = "saved"
        return self

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """Fit and return ``embedding_``."""
        return self.fit(X).embedding_

    def embed(self, X: np.ndarray, X_new: np.ndarray | None = None, *,
              layout: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of ``X`` on a map fitted to it, and of ``X_new`` on the same map.

        With ``supports_transform`` the map is fitted to ``X`` alone and ``X_new`` placed on
        it, so the dataset's map does not depend on ``X_new``; otherwise both are fitted
        together. ``layout``: ``X``'s positions from an earlier fit, adopted instead of
        fitting when the reducer ``reuses_layout`` (ignored otherwise).

        Returns
        -------
        coords, new_coords : np.ndarray
            ``(len(X), 2)`` and ``(len(X_new), 2)`` float64 (``(0, 2)`` without ``X_new``).
        """
        if layout is not None and self.reuses_layout:
            coords = self.adopt(X, layout).embedding_
            new = self.transform(X_new) if X_new is not None else np.zeros((0, 2))
        elif X_new is not None and not self.supports_transform:
            both = self.fit(np.vstack([X, X_new])).embedding_
            coords, new = both[: len(X)], both[len(X):]
        else:
            coords = self.fit(X).embedding_
            new = self.transform(X_new) if X_new is not None else np.zeros((0, 2))
        return (np.asarray(coords, dtype=np.float64),
                np.asarray(new, dtype=np.float64).reshape(-1, 2))

    def fitted_grid(self) -> dict[str, np.ndarray] | None:
        """The fitted grid behind the points, if the reducer has one (a SOM), else None.

        Reducers with a grid set ``umatrix_`` and ``hits_``, both ``(rows, cols)``: the
        picture and the page draw it behind the clips.
        """
        if hasattr(self, "umatrix_") and hasattr(self, "hits_"):
            return {"umatrix": np.asarray(self.umatrix_), "hits": np.asarray(self.hits_)}
        return None

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
