"""Pre-emphasis (pysynth.emphasis): the filter pair models may learn audio through."""

from __future__ import annotations

import numpy as np
import pytest

from pysynth.emphasis import check_preemphasis, deemphasize, preemphasize
from pysynth.errors import ParameterError

SR = 16000


def test_deemphasis_inverts_preemphasis():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 2000)).astype(np.float32)
    for a in (0.5, 0.85, 0.97):
        y, last = deemphasize(preemphasize(x, a), a)
        np.testing.assert_allclose(y, x, atol=2e-6)
        np.testing.assert_allclose(last, x[:, -1], atol=2e-6)


def test_block_by_block_equals_whole():
    e = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 1000))
    whole, _ = deemphasize(e, 0.85)
    parts, last = [], 0.0
    for k in range(0, 1000, 137):
        y, last = deemphasize(e[:, k:k + 137], 0.85, last)
        parts.append(y)
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


@pytest.mark.parametrize("freq", [100.0, 1000.0, 6000.0])
def test_preemphasis_has_the_first_order_high_pass_response(sine, freq):
    # steady-state gain |1 - a e^{-jw}| / (1 + a) at w = 2 pi f / sr
    a = 0.85
    x = sine(freq, sr=SR, seconds=0.5, amp=0.5)
    y = preemphasize(x, a)
    w = 2 * np.pi * freq / SR
    want = 0.5 * abs(1 - a * np.exp(-1j * w)) / (1 + a)
    got = np.sqrt(2) * np.sqrt(np.mean(y[SR // 10:].astype(np.float64) ** 2))
    assert got == pytest.approx(want, rel=0.01)


def test_full_scale_input_stays_within_full_scale():
    # the worst case for a high-pass: +1, -1, +1, ... gives (1 + a) / (1 + a) = 1
    x = np.tile([1.0, -1.0], 500).astype(np.float32)
    assert np.abs(preemphasize(x, 0.85)).max() <= 1.0 + 1e-6


def test_zero_is_off():
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    np.testing.assert_array_equal(preemphasize(x, 0.0), x)
    np.testing.assert_array_equal(deemphasize(x, 0.0)[0], x)


@pytest.mark.parametrize("bad", [1.0, -0.1, float("nan"), "0.5x"])
def test_bad_coefficients_are_refused(bad):
    with pytest.raises(ParameterError, match="preemphasis"):
        check_preemphasis(bad)
