"""The t-SNE reducer at the size of a real library: openTSNE from OPENTSNE_FROM points,
seeded, and as good a map as scikit-learn's on clusters whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from pysynth.mapping.visualizers.tsne import OPENTSNE_FROM, TSNEReducer


def _clusters(n, seed=0):
    """n points in 4 well-separated Gaussian clusters in 20-D, and each one's cluster."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=8.0, size=(4, 20))
    which = rng.integers(0, 4, n)
    return centers[which] + rng.normal(size=(n, 20)), which


def _neighbours_agree(Y, which, k=10):
    """Share of each point's k nearest map neighbours in its own cluster."""
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y)
    return float(np.mean(which[idx[:, 1:]] == which[:, None]))


def test_large_maps_use_opentsne_seeded_and_keep_the_clusters():
    pytest.importorskip("openTSNE")
    X, which = _clusters(OPENTSNE_FROM)
    a = TSNEReducer(seed=3).fit(X)
    assert a.backend_ == "openTSNE"
    assert a.embedding_.shape == (OPENTSNE_FROM, 2)
    assert _neighbours_agree(a.embedding_, which) > 0.98
    np.testing.assert_array_equal(TSNEReducer(seed=3).fit(X).embedding_, a.embedding_)
    assert not np.array_equal(TSNEReducer(seed=4).fit(X).embedding_, a.embedding_)


def test_small_maps_stay_with_scikit_learn():
    X, which = _clusters(60)
    r = TSNEReducer(seed=0).fit(X)
    assert r.backend_ == "scikit-learn"
    assert _neighbours_agree(r.embedding_, which, k=5) > 0.95


def test_new_points_land_in_their_own_cluster_of_a_finished_map():
    """Generated clips are placed on the dataset's map (not embedded with it): the dataset's
    positions do not move, and each new point sits among its own cluster's points."""
    pytest.importorskip("openTSNE")
    X, which = _clusters(OPENTSNE_FROM + 40, seed=1)
    X_map, X_new = X[:OPENTSNE_FROM], X[OPENTSNE_FROM:]
    alone = TSNEReducer(seed=0).fit(X_map).embedding_
    red = TSNEReducer(seed=0)
    coords, new = red.embed(X_map, X_new)
    np.testing.assert_array_equal(coords, alone)
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=10).fit(coords).kneighbors(new)
    assert np.mean(which[:OPENTSNE_FROM][idx] == which[OPENTSNE_FROM:, None]) > 0.98
    # an exact copy of a map point lands on it
    np.testing.assert_allclose(red.transform(X_map[:3]), alone[:3], atol=1e-6)
