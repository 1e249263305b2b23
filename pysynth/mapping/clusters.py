"""Clusters of a map's clips, for colours: k-means or DBSCAN in the reduced feature space."""

from __future__ import annotations

import numpy as np

#: The clusterings :func:`cluster_clips` knows.
CLUSTERINGS = ("kmeans", "dbscan")


def cluster_clips(R: np.ndarray, method: str, n_clusters: int | None, seed: int) -> np.ndarray:
    """Cluster index per row of ``R`` (``-1``: DBSCAN noise).

    ``kmeans`` makes ``n_clusters`` clusters (default ``min(8, max(2, round(sqrt(n / 2))))``,
    never more than there are distinct rows); ``dbscan`` takes its radius from the data.
    """
    n = len(R)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        c = n_clusters or min(8, max(2, round(np.sqrt(n / 2))))
        c = min(c, len(np.unique(R, axis=0)))  # no more clusters than distinct clips
        return KMeans(n_clusters=c, n_init=10, random_state=seed).fit_predict(R).astype(int)
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    min_samples = min(5, n)
    # eps from the data: the 90th percentile of each point's distance to its
    # min_samples-th neighbour, so dense regions form clusters and outliers are noise
    dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(R).kneighbors(R)
    eps = float(np.percentile(dist[:, -1], 90)) or 1e-6
    return DBSCAN(eps=eps, min_samples=min_samples).fit_predict(R).astype(int)
