"""Map layout time against clip count, per reducer (features excluded: random feature matrices).

Run (100 and 1 000 clips by default; PYSYNTH_BENCH_MAP_SIZES=100,1000,10000 adds 10 000)::

    /work/venv/bin/pytest benchmarks/test_map.py -o addopts="" --benchmark-only \
        --benchmark-columns=min,mean,rounds

Each layout is timed on what :func:`pysynth.map` hands the reducer: clustered Gaussian
features with as many columns as the real feature vector, standardized and reduced to 50
dimensions by PCA. Every result carries ``x_pca``: its best time relative to the PCA
reducer's best time on the same matrix in the same run, so the figures compare across
machines. ``clip_features`` throughput (the part excluded above) is measured separately.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from pysynth.mapping.features import FEATURE_NAMES, clip_features
from pysynth.registry import visualizers

SIZES = [int(s) for s in os.environ.get("PYSYNTH_BENCH_MAP_SIZES", "100,1000").split(",") if s]
REDUCERS = ["pca", "som", "tsne", "umap"]


def _matrix(n: int) -> np.ndarray:
    """What map() gives a reducer for n clips: standardized, PCA-reduced to 50 dims."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(n)
    d = len(FEATURE_NAMES)
    centers = rng.normal(scale=3.0, size=(12, d))
    X = centers[rng.integers(0, 12, n)] + rng.normal(size=(n, d))
    Z = (X - X.mean(0)) / X.std(0)
    return PCA(n_components=50, random_state=0).fit_transform(Z)


_MATRICES: dict[int, np.ndarray] = {}
_PCA_BEST: dict[int, float] = {}


def matrix(n: int) -> np.ndarray:
    if n not in _MATRICES:
        _MATRICES[n] = _matrix(n)
    return _MATRICES[n]


def pca_best(n: int) -> float:
    """Best-of-5 time of the PCA reducer on the n-clip matrix: the baseline of every ratio."""
    if n not in _PCA_BEST:
        R = matrix(n)
        cls = visualizers.get("pca")
        cls(seed=0).fit(R)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            cls(seed=0).fit(R)
            best = min(best, time.perf_counter() - t0)
        _PCA_BEST[n] = best
    return _PCA_BEST[n]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("reducer", REDUCERS)
def test_layout_seconds(benchmark, reducer, n):
    if reducer == "umap":
        pytest.importorskip("umap")
    R = matrix(n)
    cls = visualizers.get(reducer)
    cls(seed=0).fit(R[:50])  # lazy imports and numba compilation outside the timing
    rounds = 5 if n <= 100 or (reducer in ("pca", "som") and n <= 1000) else 1
    benchmark.pedantic(lambda: cls(seed=0).fit(R), rounds=rounds, iterations=1)
    best = benchmark.stats.stats.min
    benchmark.extra_info["clips"] = n
    benchmark.extra_info["seconds"] = round(best, 4)
    benchmark.extra_info["x_pca"] = round(best / pca_best(n), 1)


def test_clip_features_per_second(benchmark):
    """Feature extraction for one-second clips at 16 kHz (cached after the first map)."""
    sr = 16000
    rng = np.random.default_rng(0)
    clips = [(0.3 * rng.normal(size=sr)).astype(np.float32) for _ in range(20)]
    clip_features(clips[0], sr)

    def run():
        for y in clips:
            clip_features(y, sr)

    benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.min, 1)


# -- t-SNE at the size of a real library: scikit-learn (old) against openTSNE (new) ----------

#: Clips of the old-vs-new comparison; PYSYNTH_BENCH_TSNE_SIZES=20000 is the issue's size
#: (scikit-learn alone takes about 13 minutes there on 2 cores).
TSNE_SIZES = [int(s) for s in os.environ.get("PYSYNTH_BENCH_TSNE_SIZES", "2000").split(",") if s]
#: Above this many clips only the new layout is timed (0: no limit).
TSNE_OLD_MAX = int(os.environ.get("PYSYNTH_BENCH_TSNE_OLD_MAX", "0"))


def _clustered(n: int) -> tuple[np.ndarray, np.ndarray]:
    """matrix(n) and the cluster each row was drawn from (same seed, same draws)."""
    rng = np.random.default_rng(n)
    d = len(FEATURE_NAMES)
    rng.normal(scale=3.0, size=(12, d))
    return matrix(n), rng.integers(0, 12, n)


def _agreement(Y: np.ndarray, which: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest map neighbours from its own cluster (map quality)."""
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y)
    return float(np.mean(which[idx[:, 1:]] == which[:, None]))


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("n", TSNE_SIZES)
def test_tsne_old_vs_new(benchmark, bench_report, n):
    """pysynth's t-SNE (openTSNE from OPENTSNE_FROM clips) against scikit-learn's TSNE with
    the settings the reducer used before, on the same matrix in the same run."""
    pytest.importorskip("openTSNE")
    from sklearn.manifold import TSNE

    from pysynth.mapping.visualizers.tsne import TSNEReducer

    R, which = _clustered(n)
    new = benchmark.pedantic(lambda: TSNEReducer(seed=0).fit(R), rounds=1, iterations=1)
    assert new.backend_ == "openTSNE"
    new_s = benchmark.stats.stats.min
    line = f"t-SNE {n} clips: new (openTSNE) {new_s:.1f} s, agreement {_agreement(new.embedding_, which):.3f}"
    benchmark.extra_info.update(clips=n, new_seconds=round(new_s, 1))
    if not TSNE_OLD_MAX or n <= TSNE_OLD_MAX:
        t0 = time.perf_counter()
        old = TSNE(n_components=2, perplexity=30.0, init="pca", random_state=0,
                   learning_rate="auto").fit_transform(R)
        old_s = time.perf_counter() - t0
        benchmark.extra_info.update(old_seconds=round(old_s, 1), speedup=round(old_s / new_s, 1))
        line += (f"; old (scikit-learn) {old_s:.1f} s, agreement {_agreement(old, which):.3f}; "
                 f"{old_s / new_s:.1f}x faster")
    bench_report.append(line)
