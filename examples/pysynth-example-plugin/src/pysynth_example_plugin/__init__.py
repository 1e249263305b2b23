"""An example pysynth plugin: one augmenter and one visualizer, registered by entry points."""

from __future__ import annotations

import numpy as np

from pysynth.augmentation import Augmenter, check_range, uniform
from pysynth.mapping import Reducer

__all__ = ["BitCrush", "RandomProjection"]


class BitCrush(Augmenter):
    """Quantize audio to ``bits`` bits (uniform levels in [-1, 1]): lo-fi grit.

    Parameters
    ----------
    bits : float or (min, max)
        Bit depth, drawn per clip and rounded to an integer, in [1, 16].
    p : float
        Probability of applying it.
    """

    name = "bitcrush"

    def __init__(self, *, bits=(4, 8), p: float = 1.0) -> None:
        super().__init__(p=p)
        self.bits = check_range("bits", bits, low=1, high=16)

    def sample(self, y, sr, rng):
        return {"bits": round(uniform(rng, self.bits))}

    def apply(self, y, sr, params):
        steps = 2 ** (int(params["bits"]) - 1)
        return (np.round(np.asarray(y, dtype=np.float64) * steps) / steps).astype(np.float32)


class RandomProjection(Reducer):
    """Project standardized features onto two seeded Gaussian random directions."""

    name = "random_projection"
    supports_transform = True

    def fit(self, X):
        from sklearn.random_projection import GaussianRandomProjection

        X = self._check(X)
        self.model_ = GaussianRandomProjection(n_components=2, random_state=self.seed).fit(X)
        self.embedding_ = self.model_.transform(X)
        return self

    def transform(self, X):
        return self.model_.transform(np.asarray(X, dtype=np.float64))
