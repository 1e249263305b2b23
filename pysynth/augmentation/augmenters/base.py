"""The augmenter contract: sample parameters with an explicit Generator, then apply them.

Every augmenter (built-in or plugin) has the same small shape, so a reader learns it once:
``sample(y, sr, rng)`` draws the parameters of one application from the ranges given to
``__init__``; ``apply(y, sr, params)`` is a pure function of the audio and those parameters;
``__call__`` ties them together with the probability ``p`` and returns what was actually
done, for the lineage of an augmented clip.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from ...checks import check_number, is_number
from ...errors import ParameterError

Range = tuple[float, float]


def check_range(name: str, value: Any, *, low: float, high: float,
                owner: str | None = None) -> Range:
    """Validate a ``(min, max)`` range (or one number, meaning a fixed value).

    Both ends must be finite numbers in ``[low, high]`` with ``min <= max``. The message
    has the shape of :mod:`pysynth.checks`: ``"{owner} {name} must be ..., got {value}"``.

    Raises
    ------
    ParameterError
        Naming ``name`` and the bad value (a ``ValueError``).

    Examples
    --------
    >>> check_range("gain_db", [-3, 3], low=-60, high=24)
    (-3.0, 3.0)
    >>> check_range("gain_db", 99, low=-60, high=24, owner="gain")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pysynth.errors.ParameterError: gain gain_db must be a number or ... <= 24, got 99
    """
    who = f"{owner} {name}" if owner else name
    pair = (value, value) if is_number(value) else value
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        lo = hi = None
    if not (is_number(lo) and is_number(hi) and low <= lo and hi <= high):
        raise ParameterError(f"{who} must be a number or a (min, max) pair of numbers "
                             f">= {low:g} and <= {high:g}, got {value!r}")
    if lo > hi:
        raise ParameterError(f"{who} must be a (min, max) pair with min <= max, got {value!r}")
    return float(lo), float(hi)


def uniform(rng: np.random.Generator, r: Range) -> float:
    """One draw from ``[r[0], r[1]]`` as a plain float (always consumes one draw)."""
    u = float(rng.random())
    return r[0] + (r[1] - r[0]) * u


def as_mono(y: np.ndarray, name: str = "y") -> np.ndarray:
    """Check the audio is 1-D finite float and return it as float32."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"{name} must be mono audio of shape (n,), got shape {y.shape}")
    return y


def fix_length(y: np.ndarray, n: int) -> np.ndarray:
    """Crop to the first ``n`` samples or pad the end with zeros up to ``n``."""
    if len(y) >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - len(y), dtype=y.dtype)])


def _plain(v: Any) -> Any:
    """JSON-friendly copy of a parameter value (numpy scalars and tuples made plain)."""
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


class Augmenter:
    """Base class of every augmenter.

    Subclasses set the class attribute ``name`` (the registry name), validate and store
    their ``__init__`` arguments under attributes of the same names (so :meth:`get_config`
    can rebuild them, as in scikit-learn), and implement :meth:`sample` and :meth:`apply`.

    Parameters
    ----------
    p : float
        Probability in [0, 1] that the augmenter is applied to a given clip.
    """

    name: ClassVar[str] = "augmenter"
    #: ``__init__`` arguments that are file-system paths (resolved against a recipe's folder).
    path_params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, p: float = 1.0) -> None:
        self.p = check_number(p, "p", lo=0, hi=1, owner=self.name)

    # -- the contract --------------------------------------------------------------
    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        """Draw the parameters of one application (plain JSON-able values)."""
        return {}

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        """Apply the augmentation with fixed ``params``: deterministic, float32 mono out."""
        raise NotImplementedError

    def __call__(
        self, y: np.ndarray, sr: int, *, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Apply with probability ``p``, parameters drawn from ``rng``.

        Returns
        -------
        y : np.ndarray
            The (possibly) augmented audio, float32.
        records : list of dict
            ``[{"name": ..., "params": {...}}]`` for each augmenter actually applied (empty
            if the coin toss said no): the parameters that were really used.
        """
        y = as_mono(y)
        if not self.should_apply(rng):
            return y, []
        params = _plain(self.sample(y, sr, rng))
        out = np.asarray(self.apply(y, sr, params), dtype=np.float32)
        return out, [{"name": self.name, "params": params}]

    def should_apply(self, rng: np.random.Generator) -> bool:
        """The probability-``p`` coin toss (always consumes one draw, so streams stay aligned)."""
        return bool(rng.random() < self.p)

    # -- description -----------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """``{"name": ..., **init arguments}``: a recipe entry that rebuilds this augmenter."""
        config: dict[str, Any] = {"name": self.name}
        for pname in inspect.signature(type(self).__init__).parameters:
            if pname == "self":
                continue
            value = getattr(self, pname)
            if isinstance(value, list) and value and isinstance(value[0], Augmenter):
                value = [a.get_config() for a in value]
            config[pname] = _plain(value)
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class RateAugmenter(Augmenter):
    """Base of the augmenters that change tempo by a factor ``rate`` drawn from a range.

    Subclasses implement :meth:`change` (``rate > 1``: faster, about ``len / rate``
    samples); this class draws the rate and, with ``keep_length``, crops or zero-pads the
    result back to the input's length, as a dataset needs.

    Parameters
    ----------
    rate : (float, float) or float
        Range of the factor, within [0.25, 4].
    keep_length : bool
        Crop or zero-pad back to the input's length; ``False`` returns the changed length.
    p : float
        Probability of applying.
    """

    def __init__(
        self, rate: Any = (0.9, 1.1), *, keep_length: bool = True, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        self.rate = check_range("rate", rate, low=0.25, high=4.0, owner=self.name)
        self.keep_length = bool(keep_length)

    def change(self, y: np.ndarray, sr: int, rate: float) -> np.ndarray:
        """The transform at a fixed ``rate`` (float32 mono in and out)."""
        raise NotImplementedError

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        return {"rate": uniform(rng, self.rate)}

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        out = self.change(y, sr, params["rate"])
        return fix_length(out, len(y)) if self.keep_length else out
