"""t-SNE visualizer: local neighbourhoods preserved; new points placed among their nearest clips."""

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

    New points (generated clips) are placed on the finished map by :meth:`transform`, so the
    dataset's map is the same with or without them, and a map saved earlier
    (:meth:`Reducer.adopt`) takes every later batch.

    Attributes
    ----------
    backend_ : str
        ``"openTSNE"``, ``"scikit-learn"`` or ``"saved"`` (a layout given to ``adopt``): what
        laid the map out.
    """

    name = "tsne"
    supports_transform = True
    reuses_layout = True
    min_points = 2
    #: New points sit at the inverse-squared-distance weighted mean of this many nearest
    #: fitted points (see :meth:`transform`).
    place_k = 5

    def __init__(self, *, seed: int = 0, perplexity: float | None = None) -> None:
        super().__init__(seed=seed)
        self.perplexity = perplexity

    def fit(self, X: np.ndarray) -> TSNEReducer:
        X = self._check(X)
        self.X_ = X
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

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Place new points on the fitted map: each at the mean of its :attr:`place_k` nearest
        fitted points' positions, weighted by inverse squared distance in feature space.

        Why not openTSNE's ``transform``: it optimises each new point against the whole map,
        and on small maps it pushed an exact copy of a dataset clip well outside that clip's
        own cluster (measured on three clusters of six points: 30 units out of a cluster 8
        wide), while this places a copy on its clip, a blend between the clips it blends,
        and needs neither openTSNE nor the fitted optimiser (a saved layout is enough).
        """
        from sklearn.neighbors import NearestNeighbors

        X = np.asarray(X, dtype=np.float64)
        k = min(self.place_k, len(self.X_))
        d, idx = NearestNeighbors(n_neighbors=k).fit(self.X_).kneighbors(X)
        w = 1.0 / (d**2 + 1e-12)
        w /= w.sum(axis=1, keepdims=True)
        return np.einsum("ik,ikj->ij", w, self.embedding_[idx])
