"""Parameter validation: one set of checks, one message shape, for every config and component.

Every check raises :class:`~pysynth.errors.ParameterError` with a sentence of the same
shape, naming the owner (when given), the parameter, what it must be, and what it got::

    train epochs must be an integer >= 1, got 0
    noise snr_db must be a number >= -20 and <= 60, got 99
    wavenet rnn_type must be one of 'gru', 'lstm', got 'rnn'

Integers are Python ints or numpy integers, never bools; numbers are finite ints or floats
(numpy scalars included), never bools. Each check returns the value converted to the plain
Python type, so callers can store what they checked.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import ParameterError

__all__ = ["check_bool", "check_choice", "check_int", "check_number", "is_int", "is_number"]


def is_int(value: Any) -> bool:
    """True for Python and numpy integers, False for bools and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for finite real numbers (ints, floats, numpy scalars), False for bools, NaN, inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(float(value))


def _who(name: str, owner: str | None) -> str:
    return f"{owner} {name}" if owner else name


def _bounds(lo, hi, lo_open: bool, hi_open: bool) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return (" " + " and ".join(parts)) if parts else ""


def _in_bounds(v, lo, hi, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (v <= lo if lo_open else v < lo):
        return False
    return not (hi is not None and (v >= hi if hi_open else v > hi))


def check_int(value: Any, name: str, *, lo: int | None = None, hi: int | None = None,
              owner: str | None = None) -> int:
    """Return ``int(value)`` if it is an integer within ``[lo, hi]``; else raise.

    >>> check_int(3, "epochs", lo=1, owner="train")
    3
    >>> check_int(0, "epochs", lo=1, owner="train")
    Traceback (most recent call last):
    ...
    pysynth.errors.ParameterError: train epochs must be an integer >= 1, got 0
    """
    if not is_int(value) or not _in_bounds(value, lo, hi, False, False):
        raise ParameterError(
            f"{_who(name, owner)} must be an integer{_bounds(lo, hi, False, False)}, got {value!r}"
        )
    return int(value)


def check_number(value: Any, name: str, *, lo: float | None = None, hi: float | None = None,
                 lo_open: bool = False, hi_open: bool = False, owner: str | None = None) -> float:
    """Return ``float(value)`` if it is a finite number within the bounds; else raise.

    ``lo_open``/``hi_open`` make a bound strict (``> lo`` rather than ``>= lo``).

    >>> check_number(0.5, "temperature", lo=0)
    0.5
    >>> check_number(float("nan"), "temperature", lo=0)
    Traceback (most recent call last):
    ...
    pysynth.errors.ParameterError: temperature must be a number >= 0, got nan
    """
    if not is_number(value) or not _in_bounds(float(value), lo, hi, lo_open, hi_open):
        raise ParameterError(
            f"{_who(name, owner)} must be a number{_bounds(lo, hi, lo_open, hi_open)}, "
            f"got {value!r}"
        )
    return float(value)


def check_choice(value: Any, name: str, choices: Iterable[Any], *, owner: str | None = None) -> Any:
    """Return ``value`` if it is one of ``choices``; else raise, listing them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{_who(name, owner)} must be one of {listed}, got {value!r}")
    return value


def check_bool(value: Any, name: str, *, owner: str | None = None) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (numpy bools too); else raise."""
    if not isinstance(value, (bool,)) and type(value).__name__ != "bool_":
        raise ParameterError(f"{_who(name, owner)} must be true or false, got {value!r}")
    return bool(value)
