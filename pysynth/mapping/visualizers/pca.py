"""PCA visualizer: the first two principal components (linear, fast, places new points)."""

from __future__ import annotations

import numpy as np

from .base import Reducer, limit_threads, pad2


class PCAReducer(Reducer):
    """Project onto the two directions of largest variance (scikit-learn ``PCA``).

    Exact and deterministic (the seed only matters for the randomized solver sklearn
    picks for very large inputs). Axes are comparable across runs of the same dataset.
    """

    name = "pca"
    supports_transform = True
    pre_reduce = False  # the first two components are the same with or without it

    def fit(self, X: np.ndarray) -> PCAReducer:
        from sklearn.decomposition import PCA

        X = self._check(X)
        k = min(2, X.shape[0], X.shape[1])
        # identical points: sklearn's explained-variance ratio is 0 / 0 (harmless here)
        with limit_threads(len(X)), np.errstate(invalid="ignore", divide="ignore"):
            self.model_ = PCA(n_components=k, random_state=self.seed).fit(X)
            self.embedding_ = pad2(self.model_.transform(X))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return pad2(self.model_.transform(np.asarray(X, dtype=np.float64)))
