"""Composition of augmenters: Compose (all, in order), OneOf (one), SomeOf (a random subset).

Kept apart from the transforms: a composite is itself an :class:`Augmenter`, so chains nest,
and its records are the flat list of the leaf augmenters that actually ran, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...checks import is_int
from ...errors import ParameterError
from ...registry import augmenters
from .base import Augmenter, as_mono


def _check_children(children: Any, owner: str) -> list[Augmenter]:
    if isinstance(children, Augmenter) or not isinstance(children, Sequence) or not children:
        raise ParameterError(
            f"{owner} augmenters must be a non-empty list of augmenters, got {children!r}"
        )
    for a in children:
        if not callable(a) or isinstance(a, type):
            raise ParameterError(f"{owner} augmenters must hold augmenter instances, got {a!r}")
    return list(children)


def _run(
    chosen: list[Augmenter], y: np.ndarray, sr: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    for a in chosen:
        y, rec = a(y, sr, rng=rng)
        y = as_mono(y, name=f"output of {getattr(a, 'name', type(a).__name__)}")
        records.extend(rec)
    return y, records


@augmenters.register("compose")
class Compose(Augmenter):
    """Apply every augmenter in turn (each still tossing its own ``p``).

    Parameters
    ----------
    augmenters : list of Augmenter
    shuffle : bool
        Apply them in a random order (drawn from the same Generator) instead of as listed.
    p : float
        Probability of applying the whole chain.

    Examples
    --------
    >>> import numpy as np
    >>> from pysynth.augmentation.augmenters import Gain, Noise
    >>> chain = Compose([Gain(gain_db=(-3, 3)), Noise(snr_db=30)])
    >>> y, records = chain(np.zeros(100) + 0.1, 8000, rng=np.random.default_rng(1))
    >>> [r["name"] for r in records]
    ['gain', 'noise']
    """

    name = "compose"

    def __init__(self, augmenters: Sequence[Augmenter], *, shuffle: bool = False, p: float = 1.0):
        super().__init__(p=p)
        self.augmenters = _check_children(augmenters, self.name)
        self.shuffle = bool(shuffle)

    def __call__(self, y, sr, *, rng):
        y = as_mono(y)
        if not self.should_apply(rng):
            return y, []
        order = list(self.augmenters)
        if self.shuffle:
            order = [order[i] for i in rng.permutation(len(order))]
        return _run(order, y, sr, rng)


@augmenters.register("one_of")
class OneOf(Augmenter):
    """Apply exactly one augmenter, picked at random (optionally with ``weights``).

    Parameters
    ----------
    augmenters : list of Augmenter
    weights : list of float, optional
        Relative chances of each augmenter (non-negative, not all zero); default equal.
    p : float
        Probability of applying one at all.
    """

    name = "one_of"

    def __init__(
        self,
        augmenters: Sequence[Augmenter],
        *,
        weights: Sequence[float] | None = None,
        p: float = 1.0,
    ):
        super().__init__(p=p)
        self.augmenters = _check_children(augmenters, self.name)
        if weights is not None:
            try:
                w = np.asarray(weights, dtype=np.float64)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{self.name} weights must be a list of numbers, got {weights!r}"
                ) from None
            if (
                w.shape != (len(self.augmenters),)
                or not np.all(np.isfinite(w))
                or np.any(w < 0)
                or w.sum() <= 0
            ):
                raise ParameterError(
                    f"{self.name} weights must be {len(self.augmenters)} non-negative numbers, not all "
                    f"zero, one per augmenter; got {weights!r}"
                )
            weights = [float(x) for x in w]
        self.weights = weights

    def __call__(self, y, sr, *, rng):
        y = as_mono(y)
        if not self.should_apply(rng):
            return y, []
        n = len(self.augmenters)
        if self.weights is None:
            i = int(rng.integers(n))
        else:
            w = np.asarray(self.weights) / sum(self.weights)
            i = int(rng.choice(n, p=w))
        return _run([self.augmenters[i]], y, sr, rng)


@augmenters.register("some_of")
class SomeOf(Augmenter):
    """Apply a random subset of the augmenters, of a size drawn from ``n``.

    Parameters
    ----------
    augmenters : list of Augmenter
    n : int or (int, int)
        How many to apply: a fixed count, or a ``(min, max)`` range (inclusive); both
        within ``[0, len(augmenters)]``.
    shuffle : bool
        Apply the chosen ones in a random order; otherwise in the listed order.
    p : float
        Probability of applying any.
    """

    name = "some_of"

    def __init__(
        self,
        augmenters: Sequence[Augmenter],
        *,
        n: int | Sequence[int] = (1, 2),
        shuffle: bool = False,
        p: float = 1.0,
    ):
        super().__init__(p=p)
        self.augmenters = _check_children(augmenters, self.name)
        k = len(self.augmenters)
        pair = (n, n) if is_int(n) else n
        try:
            lo, hi = pair
            ok = is_int(lo) and is_int(hi) and 0 <= lo <= hi <= k
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ParameterError(
                f"{self.name} n must be a count or an inclusive (min, max) range of counts "
                f">= 0 and <= {k}, got {n!r}"
            )
        self.n = (int(lo), int(hi))
        self.shuffle = bool(shuffle)

    def __call__(self, y, sr, *, rng):
        y = as_mono(y)
        if not self.should_apply(rng):
            return y, []
        lo, hi = self.n
        count = int(rng.integers(lo, hi + 1))
        picked = rng.choice(len(self.augmenters), size=count, replace=False)
        if not self.shuffle:
            picked = np.sort(picked)
        return _run([self.augmenters[i] for i in picked], y, sr, rng)
