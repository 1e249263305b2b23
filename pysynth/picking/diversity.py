"""Keeping a chosen set diverse: k clips shared among the kinds of sound the data has (its
classes, in the data's proportions) and spread within each over the embedding, rather than
k versions of the one sound the model makes best."""

from __future__ import annotations

import numpy as np

from ..checks import check_choice

#: :func:`spread` spreads its choice over this many times ``k`` of the best candidates: on
#: drums, spreading over every candidate reached clips the classifier was unsure of (class
#: score 2.48 against 2.90 with the shortlist; docs/pick.md)
SHORTLIST = 3

#: How :func:`spread` chooses: the best of each of k clusters, farthest-point from the best,
#: or simply the k best.
METHODS = ("clusters", "farthest", "best")


def spread(Z: np.ndarray, badness: np.ndarray, k: int, *, method: str = "clusters",
           seed: int = 0, shortlist: int = SHORTLIST) -> tuple[np.ndarray, np.ndarray]:
    """Choose ``k`` rows of ``Z`` (one clip each) that are good and spread out: of the best
    ``shortlist * k`` candidates, ``k`` that cover their spread.

    Parameters
    ----------
    Z : (m, dims) float
        The candidates' standardized embeddings.
    badness : (m,) float
        Lower is better (the rank score).
    k : int
        How many to choose; all ``m`` are chosen when ``m <= k``.
    method : {"clusters", "farthest", "best"}
        ``clusters``: k-means into ``k`` groups, the best of each (every group of similar
        clips is heard once). ``farthest``: the best first, then repeatedly the candidate
        farthest from every chosen one (covers the extremes; greedy k-center). ``best``: the
        ``k`` best, no diversity.
    seed : int
        Seeds k-means.
    shortlist : int
        Only the best ``shortlist * k`` candidates are considered (0: all).

    Returns
    -------
    chosen : (min(k, m),) int, sorted
    group : (m,) int: the cluster of each candidate (``clusters``), the chosen candidate it is
        nearest to (``farthest``), or -1 (``best`` and candidates off the shortlist).

    >>> Z = np.array([[0.0], [0.1], [10.0], [10.2], [20.0]])
    >>> spread(Z, np.array([1.0, 0.5, 0.7, 0.9, 2.0]), 3, shortlist=0)[0].tolist()
    [1, 2, 4]
    """
    method = check_choice(method, "diversity", METHODS, owner="pick")
    Z, badness = np.asarray(Z, dtype=np.float64), np.asarray(badness, dtype=np.float64)
    m = len(Z)
    if m <= k:
        return np.arange(m), np.arange(m)
    if method == "best":
        return np.sort(np.argsort(badness, kind="stable")[:k]), np.full(m, -1)
    if shortlist and m > shortlist * k:
        best = np.sort(np.argsort(badness, kind="stable")[: shortlist * k])
        chosen, g = spread(Z[best], badness[best], k, method=method, seed=seed, shortlist=0)
        group = np.full(m, -1)
        # a group is named by shortlist indices: map them back to candidate indices
        group[best] = best[g] if method == "farthest" else g
        return best[chosen], group
    if method == "farthest":
        chosen = [int(np.argmin(badness))]
        d = np.linalg.norm(Z - Z[chosen[0]], axis=1)
        for _ in range(k - 1):
            chosen.append(int(np.argmax(d)))
            d = np.minimum(d, np.linalg.norm(Z - Z[chosen[-1]], axis=1))
        dist = np.stack([np.linalg.norm(Z - Z[c], axis=1) for c in chosen], axis=1)
        return np.sort(chosen), np.array(chosen)[dist.argmin(axis=1)]
    from sklearn.cluster import KMeans

    from ..mapping.features import _one_thread

    with _one_thread():  # small matrices: BLAS threads only contend
        group = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(Z)
    chosen = [int(np.flatnonzero(group == g)[np.argmin(badness[group == g])])
              for g in np.unique(group)]
    return np.sort(chosen), group


def class_quotas(available: dict[str, int], shares: dict[str, float], k: int) -> dict[str, int]:
    """How many of ``k`` clips each class gets: in proportion to ``shares`` (the real clips'
    class shares), one slot at a time to the class furthest below its share, never more
    than it has ``available``; a class without clips gives its slots to the others.

    >>> class_quotas({"kick": 10, "hat": 1, "tom": 10}, {"kick": 1/3, "hat": 1/3, "tom": 1/3}, 6)
    {'kick': 2, 'hat': 1, 'tom': 3}
    """
    quota = dict.fromkeys(available, 0)
    for _ in range(min(k, sum(available.values()))):
        open_ = [c for c in available if quota[c] < available[c]]
        # deficit against the share, ties to the larger share, then the name (deterministic)
        c = max(open_, key=lambda c: (shares.get(c, 0.0) * k - quota[c], shares.get(c, 0.0), c))
        quota[c] += 1
    return quota
