"""The feature space a map is laid out in: standardized by the dataset, then PCA-reduced."""

from __future__ import annotations

import numpy as np


def standardize(X: np.ndarray, X_new: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` and ``X_new`` in units of ``X``'s per-column std, centred on ``X``'s mean.

    ``X_new`` (generated clips) uses the dataset's statistics so both are measured on one
    scale; constant columns are left unscaled rather than divided by zero.
    """
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std < 1e-12] = 1.0
    return (X - mean) / std, ((X_new - mean) / std if X_new is not None else None)


def pre_reduce(Z: np.ndarray, Z_new: np.ndarray | None, dims: int,
               seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``Z`` and ``Z_new`` projected onto ``Z``'s first ``dims`` principal components.

    Inputs with ``dims`` columns or fewer are returned as they are.
    """
    if Z.shape[1] <= dims:
        return Z, Z_new
    from sklearn.decomposition import PCA

    with np.errstate(invalid="ignore", divide="ignore"):  # identical clips: 0 / 0
        pca = PCA(n_components=min(dims, *Z.shape), random_state=seed).fit(Z)
    return pca.transform(Z), (pca.transform(Z_new) if Z_new is not None else None)
