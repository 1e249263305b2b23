"""t-SNE visualizer: local neighbourhoods preserved; new points need a joint embedding."""

from __future__ import annotations

import numpy as np

from .base import Reducer


class TSNEReducer(Reducer):
    """scikit-learn ``TSNE`` (Barnes-Hut, PCA initialisation), seeded.

    Parameters
    ----------
    perplexity : float or None
        ``None`` picks ``min(30, (n - 1) / 3)`` so small datasets work.
    threads : int or None
        OpenMP threads for the gradient; ``None`` uses one below 5000 points (thread
        start-up and contention on a busy 2-core machine cost more than they save: 12
        points took 6 s with 2 contended threads, 0.2 s with one) and all cores above.
    """

    name = "tsne"
    supports_transform = False
    min_points = 2

    def __init__(
        self, *, seed: int = 0, perplexity: float | None = None, threads: int | None = None
    ) -> None:
        super().__init__(seed=seed)
        self.perplexity = perplexity
        self.threads = threads

    def fit(self, X: np.ndarray) -> TSNEReducer:
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        X = self._check(X)
        n = X.shape[0]
        perplexity = self.perplexity or max(min(30.0, (n - 1) / 3.0), 0.5)
        perplexity = min(perplexity, n - 1 - 1e-6)
        init = "pca" if min(X.shape) >= 2 else "random"
        model = TSNE(
            n_components=2, perplexity=perplexity, init=init, random_state=self.seed,
            learning_rate="auto",
        )
        threads = self.threads or (1 if n < 5000 else None)
        with threadpool_limits(limits=threads, user_api="openmp"):
            self.embedding_ = model.fit_transform(X).astype(np.float64)
        return self
