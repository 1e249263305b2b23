"""t-SNE visualizer: local neighbourhoods preserved; new points need a joint embedding."""

from __future__ import annotations

import os

import numpy as np

from .base import Reducer, limit_threads

#: From this many points on, openTSNE (when installed) lays the map out instead of
#: scikit-learn: on the shared 2-core machine 1.8x faster at 2 000 clips, 3.7x at 5 000, and
#: 89 s for 20 000, where scikit-learn's takes about 13 minutes
#: (benchmarks/test_map.py::test_tsne_old_vs_new); below it both take seconds, and
#: scikit-learn keeps small maps exactly as they were.
OPENTSNE_FROM = 500


#: openTSNE runs its Barnes-Hut gradient (below 10 000 points) on one thread: its many short
#: parallel sections cost more than they save there (measured 3 s on one thread, 26 s on two
#: on a busy 2-core machine, 500 points); the FFT gradient above uses every core.
OPENTSNE_THREADS_FROM = 10_000


def _opentsne():
    try:
        import openTSNE
    except ImportError:
        return None
    return openTSNE


class TSNEReducer(Reducer):
    """t-SNE, seeded: scikit-learn's ``TSNE`` (Barnes-Hut, PCA initialisation) for small
    maps; openTSNE (FFT-accelerated interpolation for large maps, Barnes-Hut below 10 000
    points, PCA initialisation) from :data:`OPENTSNE_FROM` points when it is installed
    (``pip install "pysynth[umap]"``). Same data and seed, same map, whatever the number of
    threads (openTSNE's threads each compute their own points' gradients).

    Parameters
    ----------
    perplexity : float or None
        ``None`` picks ``min(30, (n - 1) / 3)`` so small datasets work.

    Attributes
    ----------
    backend_ : str
        ``"openTSNE"`` or ``"scikit-learn"``: which one laid the map out.
    """

    name = "tsne"
    supports_transform = False
    min_points = 2

    def __init__(self, *, seed: int = 0, perplexity: float | None = None) -> None:
        super().__init__(seed=seed)
        self.perplexity = perplexity

    def fit(self, X: np.ndarray) -> TSNEReducer:
        X = self._check(X)
        n = X.shape[0]
        perplexity = self.perplexity or max(min(30.0, (n - 1) / 3.0), 0.5)
        perplexity = min(perplexity, n - 1 - 1e-6)
        # PCA initialisation of identical points divides by a zero std, and the NaNs
        # then crash the Barnes-Hut tree: fall back to a (seeded) random start
        spread = float(np.ptp(X, axis=0).max()) if X.size else 0.0
        pca = min(X.shape) >= 2 and spread > 1e-12
        fast = _opentsne() if n >= OPENTSNE_FROM else None
        with limit_threads(n):
            if fast is not None:
                model = fast.TSNE(n_components=2, perplexity=perplexity,
                                  initialization="pca" if pca else "random",
                                  random_state=self.seed,
                                  n_jobs=(os.cpu_count() or 1) if n >= OPENTSNE_THREADS_FROM else 1)
                self.embedding_ = np.asarray(model.fit(X), dtype=np.float64)
                self.backend_ = "openTSNE"
            else:
                from sklearn.manifold import TSNE

                model = TSNE(n_components=2, perplexity=perplexity,
                             init="pca" if pca else "random", random_state=self.seed,
                             learning_rate="auto")
                self.embedding_ = model.fit_transform(X).astype(np.float64)
                self.backend_ = "scikit-learn"
        return self
