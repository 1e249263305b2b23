"""The Fréchet distance between two sets of clip embeddings, and its 0-1 noise scale:
0 is what two halves of the real clips score, 1 what white noise at the data's loudness scores
(the loudness of a real clip segment by segment: noise with the right attack and decay).
"""

from __future__ import annotations

import numpy as np

from .embedding import N_SEGMENTS

#: Seeded reference splits the floor, ceiling and generated distances are averaged over.
N_SPLITS = 5


def frechet_distance(X: np.ndarray, Y: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of ``X`` and of ``Y``.

    ``|mu_x - mu_y|^2 + tr(S_x + S_y - 2 (S_x S_y)^(1/2))``, with Ledoit-Wolf shrunk
    covariances: the sets here are often smaller than the embedding's dimension, where the
    sample covariance is singular.

    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    >>> frechet_distance(X, X) < 1e-6, frechet_distance(X, Y + 3) > 20
    (True, True)
    """
    from scipy.linalg import eigh
    from sklearn.covariance import LedoitWolf

    sx = LedoitWolf().fit(X).covariance_
    sy = LedoitWolf().fit(Y).covariance_
    # tr (S_x S_y)^(1/2) = tr (S_x^(1/2) S_y S_x^(1/2))^(1/2): a symmetric matrix, so eigh
    # gives it exactly where scipy.linalg.sqrtm of the non-symmetric product can turn complex.
    w, v = eigh(sx)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.clip(eigh(root @ sy @ root, eigvals_only=True), 0, None)
    diff = X.mean(axis=0) - Y.mean(axis=0)
    return float(diff @ diff + np.trace(sx) + np.trace(sy) - 2 * np.sqrt(inner).sum())


def reference_splits(n_ref: int, m: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``N_SPLITS`` seeded splits of the reference into A (``m`` clips) and B (the rest)."""
    out = []
    for s in range(N_SPLITS):
        order = np.random.default_rng([seed, s]).permutation(n_ref)
        out.append((order[:m], order[m:]))
    return out


def white_noise_like(facts: np.ndarray, envelopes: np.ndarray, m: int, seed: int) -> list[np.ndarray]:
    """``m`` white-noise clips, each as long and as loud (RMS) as a randomly chosen reference
    clip and following its loudness envelope (``facts`` rows as in
    :data:`~pysynth.evaluation.embedding.FACT_NAMES`, ``envelopes`` rows as in
    :func:`~pysynth.evaluation.embedding.envelope_shape`).

    Following the envelope makes the ceiling "noise that only got the loudness over time
    right": with flat noise the ceiling sits so far from one-shots that a burst of noise with
    a decay scored near the real clips, whatever its sound.
    """
    rng = np.random.default_rng([seed, N_SPLITS])
    picks = rng.choice(len(facts), size=m, replace=m > len(facts))
    out = []
    for i in picks:
        n = int(facts[i, 4])
        # segment levels at segment centres, interpolated in dB between them
        centres = (np.arange(N_SEGMENTS) + 0.5) * n / N_SEGMENTS
        gain = 10 ** (np.interp(np.arange(n), centres, envelopes[i]) / 20)
        y = rng.standard_normal(n) * gain
        y *= facts[i, 2] / max(float(np.sqrt(np.mean(y**2))), 1e-12)
        out.append(np.clip(y, -1, 1).astype(np.float32))
    return out


def floor_and_ceiling(Z_ref: np.ndarray, Z_noise: np.ndarray, m: int, seed: int) -> dict:
    """Per split, FD(A, B) (the floor) and FD(noise, B) (the ceiling)."""
    floor, ceiling = [], []
    for a, b in reference_splits(len(Z_ref), m, seed):
        floor.append(frechet_distance(Z_ref[a], Z_ref[b]))
        ceiling.append(frechet_distance(Z_noise, Z_ref[b]))
    return {"floor": floor, "ceiling": ceiling}


def generated_distances(Z_ref: np.ndarray, Z_gen: np.ndarray, m: int, seed: int) -> list[float]:
    """Per split, FD(m generated clips, B): a seeded choice of m when there are more."""
    out = []
    for s, (_, b) in enumerate(reference_splits(len(Z_ref), m, seed)):
        rng = np.random.default_rng([seed, s, 1])
        pick = rng.choice(len(Z_gen), size=m, replace=False) if len(Z_gen) > m else slice(None)
        out.append(frechet_distance(Z_gen[pick], Z_ref[b]))
    return out
