"""Self-organizing map visualizer (minisom): clips fall into the cells of a 2-D grid."""

from __future__ import annotations

import numpy as np

from ...errors import ParameterError
from .base import Reducer, limit_threads


class SOMReducer(Reducer):
    """A rectangular self-organizing map; each clip sits in its best-matching cell.

    Coordinates are the cell's (column, row) plus a seeded jitter of up to ±0.35 so that
    clips sharing a cell stay visible. After :meth:`fit`, ``umatrix_`` (mean distance of
    each cell's weights to its neighbours) and ``hits_`` (clips per cell), both shaped
    ``(rows, cols)``, describe the grid for the U-matrix image.

    Parameters
    ----------
    grid : tuple of int or None
        ``(rows, cols)``; ``None`` uses about ``5 sqrt(n)`` cells (Vesanto's rule),
        between 2x2 and 40x40.
    iterations : int or None
        Training steps; ``None`` uses ``min(max(500, 5 n), 20000)``.
    """

    name = "som"
    supports_transform = True
    min_points = 2
    jitter = 0.35

    def __init__(
        self, *, seed: int = 0, grid: tuple[int, int] | None = None, iterations: int | None = None
    ) -> None:
        super().__init__(seed=seed)
        self.grid = grid
        self.iterations = iterations

    def _grid(self, n: int) -> tuple[int, int]:
        if self.grid is not None:
            rows, cols = (int(v) for v in self.grid)
            if rows < 1 or cols < 1 or rows * cols < 2:
                raise ParameterError(
                    f"grid must be (rows, cols) of at least 2 cells, got {self.grid!r}"
                )
            return rows, cols
        side = int(np.clip(np.ceil(np.sqrt(5 * np.sqrt(n))), 2, 40))
        return side, side

    def fit(self, X: np.ndarray) -> SOMReducer:
        X = self._check(X)
        with limit_threads(len(X)):
            return self._fit(X)

    def _fit(self, X: np.ndarray) -> SOMReducer:
        from minisom import MiniSom

        n, d = X.shape
        rows, cols = self._grid(n)
        sigma = max(1.0, max(rows, cols) / 4.0)
        self.model_ = MiniSom(
            rows, cols, d, sigma=sigma, learning_rate=0.5, random_seed=self.seed,
            neighborhood_function="gaussian",
        )
        if n >= rows * cols:
            self.model_.pca_weights_init(X)
        else:
            self.model_.random_weights_init(X)
        iters = self.iterations or int(min(max(500, 5 * n), 20000))
        self.model_.train(X, iters, random_order=True)
        with np.errstate(invalid="ignore", divide="ignore"):  # all-equal weights: 0 / 0
            um = np.asarray(self.model_.distance_map(), dtype=np.float64)
        self.umatrix_ = np.nan_to_num(um, nan=0.0)
        bmu = self._bmu(X)
        hits = np.zeros((rows, cols), dtype=int)
        np.add.at(hits, (bmu[:, 0], bmu[:, 1]), 1)
        self.hits_ = hits
        self.bmu_ = bmu
        self.embedding_ = self._place(bmu, np.random.default_rng(self.seed))
        return self

    def _bmu(self, X: np.ndarray) -> np.ndarray:
        w = self.model_.get_weights()  # (rows, cols, d)
        flat = w.reshape(-1, w.shape[-1])
        # squared distances without a (n, cells, d) temporary
        d2 = (X**2).sum(1)[:, None] - 2 * X @ flat.T + (flat**2).sum(1)[None, :]
        idx = np.argmin(d2, axis=1)
        return np.stack(np.unravel_index(idx, w.shape[:2]), axis=1)

    def _place(self, bmu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        jit = rng.uniform(-self.jitter, self.jitter, size=(len(bmu), 2))
        return np.stack([bmu[:, 1], bmu[:, 0]], axis=1).astype(np.float64) + jit

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return self._place(self._bmu(X), np.random.default_rng([self.seed, 1]))
