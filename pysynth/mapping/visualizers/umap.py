"""UMAP visualizer (optional extra ``pysynth[umap]``): keeps global shape, places new points."""

from __future__ import annotations

import sys
import warnings

import numpy as np

from ...errors import ParameterError
from .base import Reducer, limit_threads


def _import_umap():
    """Import umap-learn without its TensorFlow-based ParametricUMAP (saves ~10 s)."""
    if sys.modules.get("umap") is not None:
        return sys.modules["umap"]
    blocked = "umap.parametric_umap" not in sys.modules and "tensorflow" not in sys.modules
    if blocked:  # a None entry makes `import umap.parametric_umap` fail fast; umap falls back
        sys.modules["umap.parametric_umap"] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap
    except ImportError as exc:
        raise ParameterError(
            "reducer 'umap' needs the optional package umap-learn, which is not installed "
            f"({exc}); install it with: pip install 'pysynth[umap]'"
        ) from None
    finally:
        if blocked:
            sys.modules.pop("umap.parametric_umap", None)
    return umap


class UMAPReducer(Reducer):
    """umap-learn ``UMAP``, seeded (which also makes it single-threaded and repeatable).

    Parameters
    ----------
    n_neighbors : int
        Clipped to ``n - 1`` for small datasets.
    min_dist : float
    """

    name = "umap"
    supports_transform = True
    min_points = 3

    def __init__(self, *, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> None:
        super().__init__(seed=seed)
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist

    def fit(self, X: np.ndarray) -> UMAPReducer:
        umap = _import_umap()
        X = self._check(X)
        n = X.shape[0]
        k = max(2, min(self.n_neighbors, n - 1))
        # spectral initialisation needs a connected graph of more points than dimensions
        init = "spectral" if n > 10 else "random"
        self.model_ = umap.UMAP(
            n_components=2, n_neighbors=k, min_dist=self.min_dist, random_state=self.seed,
            init=init, n_jobs=1,
        )
        with warnings.catch_warnings(), limit_threads(n):
            warnings.simplefilter("ignore")
            self.embedding_ = np.asarray(self.model_.fit_transform(X), dtype=np.float64)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.model_.transform(np.asarray(X, np.float64)), dtype=np.float64)
