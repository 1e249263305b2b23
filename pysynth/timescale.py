"""Sizes counted in samples, carried to another sample rate so that they cover the same
time: what lets a preset mean the same at 16, 22.05, 44.1 and 48 kHz.

A config's ``sizes_rate`` (both built-in families) names the rate its sample-counted sizes
were written for; ``prepare`` rescales them to the dataset's rate with these helpers and
records the new rate, so that a resumed run is not rescaled twice.
"""

from __future__ import annotations

import math

from .checks import check_int

__all__ = ["check_sizes_rate", "power_of_two_below", "power_of_two_stack", "scaled_count",
           "scaled_multiple"]


def check_sizes_rate(rate, owner: str) -> int:
    """``sizes_rate`` checked: 0 (sizes are samples as given) or a sample rate in Hz."""
    rate = check_int(rate, "sizes_rate", lo=0, hi=768_000, owner=owner)
    if 0 < rate < 100:
        check_int(rate, "sizes_rate", lo=100, owner=owner)  # the sample rates' own floor
    return rate


def scaled_count(n: int, ratio: float) -> int:
    """``n`` samples at another rate: ``round(n * ratio)``, at least 1.

    >>> scaled_count(256, 44100 / 16000), scaled_count(4, 0.1)
    (706, 1)
    """
    return max(1, round(int(n) * ratio))


def scaled_multiple(n: int, ratio: float, unit: int) -> int:
    """``n * ratio`` rounded to a multiple of ``unit`` (at least one ``unit``)."""
    return max(1, round(int(n) * ratio / unit)) * int(unit)


def power_of_two_stack(span: int, top: int) -> list[int]:
    """Dilations ``1, 2, 4, ...`` whose sum is as close to ``span`` as the greedy fill gets
    from below: whole stacks ``1 .. top`` while they fit, then one rising partial stack,
    then the largest powers of two that still fit (so the sum is within the smallest
    dilation of ``span``).

    >>> power_of_two_stack(510, 128) == [1, 2, 4, 8, 16, 32, 64, 128] * 2
    True
    >>> sum(power_of_two_stack(1534, 256))
    1534
    """
    stack = [1 << i for i in range(int(top).bit_length())]
    out: list[int] = []
    while sum(out) + sum(stack) <= span:
        out += stack
    for d in stack:
        if sum(out) + d > span:
            break
        out.append(d)
    for d in reversed(stack):
        if sum(out) + d <= span:
            out.append(d)
    return out or [1]


def power_of_two_below(x: float) -> int:
    """The largest power of two not above ``x`` (at least 1)."""
    return 1 << max(0, math.floor(math.log2(max(x, 1.0))))
