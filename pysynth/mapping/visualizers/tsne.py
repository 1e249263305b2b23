"""t-SNE visualizer: local neighbourhoods preserved; new points need a joint embedding."""

from __future__ import annotations

import numpy as np

from .base import Reducer, limit_threads


class TSNEReducer(Reducer):
    """scikit-learn ``TSNE`` (Barnes-Hut, PCA initialisation), seeded.

    Parameters
    ----------
    perplexity : float or None
        ``None`` picks ``min(30, (n - 1) / 3)`` so small datasets work.
    """

    name = "tsne"
    supports_transform = False
    min_points = 2

    def __init__(self, *, seed: int = 0, perplexity: float | None = None) -> None:
        super().__init__(seed=seed)
        self.perplexity = perplexity

    def fit(self, X: np.ndarray) -> TSNEReducer:
        from sklearn.manifold import TSNE

        X = self._check(X)
        n = X.shape[0]
        perplexity = self.perplexity or max(min(30.0, (n - 1) / 3.0), 0.5)
        perplexity = min(perplexity, n - 1 - 1e-6)
        # PCA initialisation of identical points divides by a zero std, and the NaNs
        # then crash the Barnes-Hut tree: fall back to a (seeded) random start
        spread = float(np.ptp(X, axis=0).max()) if X.size else 0.0
        init = "pca" if min(X.shape) >= 2 and spread > 1e-12 else "random"
        model = TSNE(
            n_components=2, perplexity=perplexity, init=init, random_state=self.seed,
            learning_rate="auto",
        )
        with limit_threads(n):
            self.embedding_ = model.fit_transform(X).astype(np.float64)
        return self
