"""The engine's shared per-sample math: counter-based uniforms and the sampling rule.

The numpy reference sampler (pysynth.sampling.sample_index) and the compiled rule
(pysynth::sample_logits, exposed as _engine.sample_logits) must pick the same index for
the same logits and uniform; the uniforms must depend only on (seed, stream, t).
"""

from __future__ import annotations

import numpy as np
import pytest

from pysynth import _engine
from pysynth.sampling import sample_index


def test_uniforms_shape_range_and_keying():
    u = _engine.uniforms(3, np.array([0, 1, 2], dtype=np.int32), 0, 1000)
    assert u.shape == (3, 1000)
    assert u.dtype == np.float32
    assert u.min() >= 0.0
    assert u.max() < 1.0
    # roughly uniform: mean 0.5, variance 1/12 (3000 draws: loose but falsifiable bounds)
    assert abs(u.mean() - 0.5) < 0.03
    assert abs(u.var() - 1 / 12) < 0.01
    # streams differ from each other
    assert not np.array_equal(u[0], u[1])


def test_uniforms_depend_only_on_seed_stream_and_time():
    a = _engine.uniforms(7, np.array([5], dtype=np.int32), 0, 100)
    # the same stream inside a larger batch, and a window starting later
    b = _engine.uniforms(7, np.array([1, 5, 9], dtype=np.int32), 0, 100)
    c = _engine.uniforms(7, np.array([5], dtype=np.int32), 40, 60)
    np.testing.assert_array_equal(a[0], b[1])
    np.testing.assert_array_equal(a[0, 40:], c[0])
    d = _engine.uniforms(8, np.array([5], dtype=np.int32), 0, 100)
    assert not np.array_equal(a, d)


@pytest.mark.parametrize("bad", [{"seed": -1}, {"streams": np.array([-2])}, {"n": -5}])
def test_uniforms_reject_bad_arguments(bad):
    kwargs = {"seed": 0, "streams": np.array([0], dtype=np.int32), "t0": 0, "n": 4}
    kwargs.update(bad)
    with pytest.raises(ValueError):
        _engine.uniforms(**kwargs)


def test_inverse_cdf_rule_on_known_distribution():
    # p = [0.25, 0.75]: u < 0.25 picks 0, u >= 0.25 picks 1 (cumsum > u * total)
    logits = np.log(np.array([[0.25, 0.75]] * 4, dtype=np.float32))
    u = np.array([0.0, 0.2, 0.3, 0.99], dtype=np.float32)
    expect = [0, 0, 1, 1]
    np.testing.assert_array_equal(_engine.sample_logits(logits, 1.0, u), expect)
    np.testing.assert_array_equal(sample_index(logits, 1.0, u), expect)


def test_temperature_zero_is_argmax_with_lowest_index_on_ties():
    logits = np.array([[0.0, 3.0, 3.0, 1.0], [5.0, -1.0, 5.0, 5.0]], dtype=np.float32)
    u = np.array([0.9, 0.1], dtype=np.float32)
    np.testing.assert_array_equal(_engine.sample_logits(logits, 0.0, u), [1, 0])
    np.testing.assert_array_equal(sample_index(logits, 0.0, u), [1, 0])


def test_temperature_sharpens():
    # at a low temperature almost every uniform lands on the most likely index
    rng = np.random.default_rng(0)
    logits = np.tile(np.array([0.0, 1.0, 0.5], dtype=np.float32), (2000, 1))
    u = rng.random(2000).astype(np.float32)
    hot = _engine.sample_logits(logits, 1.0, u)
    cold = _engine.sample_logits(logits, 0.05, u)
    assert (cold == 1).mean() > 0.99
    assert 0.3 < (hot == 1).mean() < 0.6  # softmax([0, 1, .5])[1] = 0.51


def test_numpy_rule_matches_compiled_rule_on_random_logits():
    rng = np.random.default_rng(1)
    logits = (rng.standard_normal((500, 256)) * 3).astype(np.float32)
    u = rng.random(500).astype(np.float32)
    for temperature in (1.0, 0.7, 1.5):
        np.testing.assert_array_equal(
            _engine.sample_logits(logits, temperature, u), sample_index(logits, temperature, u)
        )


def test_min_p_keeps_only_levels_near_the_most_likely_one():
    # p = [0.1, 0.3, 0.6]: min_p = 0.4 keeps 0.3 (ratio 0.5) and 0.6, drops 0.1 (ratio 0.17);
    # renormalized [0, 1/3, 2/3], so u < 1/3 picks 1 and u >= 1/3 picks 2
    logits = np.log(np.array([[0.1, 0.3, 0.6]] * 4, dtype=np.float32))
    u = np.array([0.0, 0.32, 0.34, 0.99], dtype=np.float32)
    expect = [1, 1, 2, 2]
    np.testing.assert_array_equal(_engine.sample_logits(logits, 1.0, u, 0.4), expect)
    np.testing.assert_array_equal(sample_index(logits, 1.0, u, 0.4), expect)
    # min_p = 0 is the plain rule (u = 0.05 picks level 0); the threshold applies after the
    # temperature: at T = 0.5 the weights are squared (0.028, 0.25, 1), so 0.2 keeps level 1
    # with a share of 0.25 / 1.25 = 0.2
    plain = _engine.sample_logits(logits[:1], 1.0, np.array([0.05], np.float32), 0.0)
    assert plain[0] == 0
    cold = np.array([0.05, 0.19, 0.21], np.float32)
    np.testing.assert_array_equal(_engine.sample_logits(logits[:3], 0.5, cold, 0.2), [1, 1, 2])
    np.testing.assert_array_equal(sample_index(logits[:3], 0.5, cold, 0.2), [1, 1, 2])


def test_min_p_one_keeps_only_the_most_likely_levels():
    logits = np.array([[0.0, 2.0, 2.0, 1.0]] * 2, dtype=np.float32)
    u = np.array([0.2, 0.8], dtype=np.float32)  # the two tied maxima share the mass
    np.testing.assert_array_equal(_engine.sample_logits(logits, 1.0, u, 1.0), [1, 2])
    np.testing.assert_array_equal(sample_index(logits, 1.0, u, 1.0), [1, 2])


def test_min_p_truncation_removes_the_tail_of_many_draws():
    # a peaked distribution over 256 levels with a long flat tail: min_p = 0.05 never draws
    # from the tail, min_p = 0 does about as often as the tail's mass says
    rng = np.random.default_rng(2)
    row = np.full(256, -4.0, np.float32)
    row[100:105] = [1.0, 2.0, 3.0, 2.0, 1.0]
    logits = np.tile(row, (4000, 1))
    u = rng.random(4000).astype(np.float32)
    tail = lambda q: ((q < 100) | (q >= 105)).mean()  # noqa: E731
    p = np.exp(row - row.max())
    p /= p.sum()
    assert abs(tail(_engine.sample_logits(logits, 1.0, u, 0.0)) - (1 - p[100:105].sum())) < 0.03
    assert tail(_engine.sample_logits(logits, 1.0, u, 0.05)) == 0.0


def test_numpy_rule_matches_compiled_rule_with_min_p():
    rng = np.random.default_rng(3)
    logits = (rng.standard_normal((500, 256)) * 3).astype(np.float32)
    u = rng.random(500).astype(np.float32)
    for temperature, min_p in ((1.0, 0.01), (0.7, 0.1), (1.5, 0.5), (1.0, 1.0)):
        np.testing.assert_array_equal(
            _engine.sample_logits(logits, temperature, u, min_p),
            sample_index(logits, temperature, u, min_p),
        )


@pytest.mark.parametrize("min_p", [-0.1, 1.5, float("nan")])
def test_sample_logits_rejects_bad_min_p(min_p):
    with pytest.raises(ValueError, match="min_p"):
        _engine.sample_logits(np.zeros((1, 4), np.float32), 1.0, np.zeros(1, np.float32), min_p)


def test_sample_logits_rejects_bad_shapes():
    with pytest.raises(ValueError):
        _engine.sample_logits(np.zeros((2, 4), np.float32), 1.0, np.zeros(3, np.float32))
    with pytest.raises(ValueError):
        _engine.sample_logits(np.zeros((2, 4), np.float32), -1.0, np.zeros(2, np.float32))


def test_seed_accepts_any_integer_type_up_to_64_bits():
    s = np.array([0, 1], dtype=np.int32)
    np.testing.assert_array_equal(_engine.uniforms(np.int64(5), s, 0, 8), _engine.uniforms(5, s, 0, 8))
    big = _engine.uniforms(2**64 - 1, s, 0, 8)
    assert not np.array_equal(big, _engine.uniforms(2**63 - 1, s, 0, 8))
    with pytest.raises(TypeError, match="seed must be an integer"):
        _engine.uniforms(1.5, s, 0, 8)
    with pytest.raises(ValueError, match="seed must be < 2"):
        _engine.uniforms(2**64, s, 0, 8)
