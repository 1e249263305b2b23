"""The 16-bit mixture-of-logistics output (pysynth.mixture) on known answers.

The likelihood is checked against scipy's logistic CDF over each level's bin, the sampling
rule against scipy's logistic quantile, the compiled twins (``_engine.mixture_nll``,
``_engine.sample_mixture``) against the numpy ones, the Keras training loss against the
numpy likelihood, and the "8-bit equivalent" against the mass in each mu-law bin.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pysynth import _engine
from pysynth.audio import linear_decode, mu_law_encode
from pysynth.errors import ParameterError
from pysynth.mixture import (
    LOG_SCALE_MIN,
    MOL_LEVELS,
    mixture_log_prob,
    mixture_nll_bits,
    mulaw8_equivalent_bits,
    sample_mixture,
)

Q = MOL_LEVELS
H = 1.0 / (Q - 1)


def _params(rng, n, k, *, mu_spread=0.5, log_s=(-9.0, -3.0)):
    a = rng.normal(size=(n, k))
    mu = rng.uniform(-mu_spread, mu_spread, size=(n, k))
    ls = rng.uniform(*log_s, size=(n, k))
    return np.concatenate([a, mu, ls], axis=1)


def _scipy_mass(params, q):
    """The mixture's mass on level q by scipy's logistic CDF (the definition)."""
    k = params.shape[-1] // 3
    w = np.exp(params[:k] - params[:k].max())
    w /= w.sum()
    mu, s = params[k:2 * k], np.exp(np.maximum(params[2 * k:], LOG_SCALE_MIN))
    x = 2.0 * q * H - 1.0
    hi = np.inf if q == Q - 1 else x + H
    lo = -np.inf if q == 0 else x - H
    return float(np.sum(w * (stats.logistic.cdf(hi, mu, s) - stats.logistic.cdf(lo, mu, s))))


def test_log_prob_is_the_logistic_mass_of_each_bin():
    rng = np.random.default_rng(0)
    p = _params(rng, 40, 3, log_s=(-6.0, -2.0))
    q = np.clip(np.round((p[:, 3] + 1) / 2 * (Q - 1)).astype(int) + rng.integers(-50, 50, 40),
                0, Q - 1)
    q[:2] = [0, Q - 1]  # the open end bins
    got = np.exp(mixture_log_prob(p, q))
    want = np.array([_scipy_mass(p[i], q[i]) for i in range(len(q))])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(mixture_nll_bits(p, q), -np.log2(got), rtol=1e-12)


def test_masses_sum_to_one_over_every_level():
    p = np.array([0.3, -0.2, 0.1, -0.5, 0.6, -0.1, -8.0, -7.0, -9.0])
    total = np.exp(mixture_log_prob(np.broadcast_to(p, (Q, 9)), np.arange(Q))).sum()
    assert total == pytest.approx(1.0, abs=1e-9)


def test_narrow_component_puts_its_mass_on_one_level_without_cancellation():
    # s = e^-13, under a level's half-width: sigmoid(h/s) - sigmoid(-h/s) = tanh(h/2s) of
    # the mass on the level at the mean, and the far tail's log-probability stays finite
    # (no 1 - 1 cancellation)
    mu = 2.0 * 1000 * H - 1.0
    p = np.array([0.0, mu, -13.0])
    want = np.tanh(H / (2 * np.exp(-13.0)))
    assert np.exp(mixture_log_prob(p, np.array(1000))) == pytest.approx(want, rel=1e-9)
    assert want > 0.99
    far = mixture_log_prob(p, np.array(1010))
    s = np.exp(-13.0)
    minus = (2.0 * 1010 * H - 1.0 - H - mu) / s  # about 125 scales into the tail
    assert far == pytest.approx(-minus + np.log(-np.expm1(-2 * H / s)), rel=1e-9)


def test_compiled_nll_matches_numpy():
    rng = np.random.default_rng(1)
    p = _params(rng, 200, 5).astype(np.float32)
    q = rng.integers(0, Q, 200).astype(np.int32)
    q[:2] = [0, Q - 1]
    np.testing.assert_allclose(_engine.mixture_nll(p, q), mixture_nll_bits(p, q), rtol=1e-4)


def test_sampling_is_the_logistic_quantile_of_the_second_uniform():
    # one component: the sample is the level nearest scipy's logistic quantile at u1
    p = np.array([[0.0, 0.25, -5.0]] * 7)
    u = np.stack([np.full(7, 0.5), np.array([1e-4, 0.01, 0.3, 0.5, 0.7, 0.99, 0.9999])], axis=1)
    want = np.floor((stats.logistic.ppf(u[:, 1], 0.25, np.exp(-5.0)) + 1) / 2 * (Q - 1) + 0.5)
    np.testing.assert_array_equal(sample_mixture(p, 1.0, u), want.astype(np.int32))
    # temperature scales the logistic: at 0.5 the samples sit half as far from the mean
    half = sample_mixture(p, 0.5, u).astype(float) - (0.25 + 1) / 2 * (Q - 1)
    full = want - (0.25 + 1) / 2 * (Q - 1)
    np.testing.assert_allclose(half, full / 2, atol=1.0)


def test_component_is_drawn_by_the_softmax_rule_and_min_p():
    # two far-apart components with weights 1/4, 3/4: u0 < 1/4 picks the first
    p = np.array([[0.0, np.log(3.0), -0.5, 0.5, -12.0, -12.0]] * 4)
    u = np.array([[0.2, 0.5], [0.3, 0.5], [0.9, 0.5], [0.249, 0.5]])
    level = np.floor((np.array([-0.5, 0.5]) + 1) / 2 * (Q - 1) + 0.5).astype(np.int32)
    np.testing.assert_array_equal(sample_mixture(p, 1.0, u), level[[0, 1, 1, 0]])
    # min_p 0.5: the first (1/3 of the second's weight) is cut, every u picks the second
    np.testing.assert_array_equal(sample_mixture(p, 1.0, u, min_p=0.5), level[[1, 1, 1, 1]])
    # temperature 0: the most likely component's mean
    np.testing.assert_array_equal(sample_mixture(p, 0.0, u), level[[1, 1, 1, 1]])


def test_compiled_sampling_matches_numpy_within_one_level():
    """float32 (engine) against float64 (numpy): the same level, or a neighbour where x
    falls within rounding of a bin edge."""
    rng = np.random.default_rng(2)
    p = _params(rng, 2000, 4).astype(np.float32)
    u = _engine.uniforms(3, np.arange(4, dtype=np.int32), 0, 500, pairs=True).reshape(-1, 2)
    for t, mp in [(1.0, 0.0), (0.7, 0.1), (0.0, 0.0)]:
        got = _engine.sample_mixture(p, t, u, mp).astype(np.int64)
        want = sample_mixture(p, t, u, mp)
        assert np.abs(got - want).max() <= 1
        assert (got == want).mean() > 0.99


def test_uniform_pairs_extend_the_single_uniforms():
    streams = np.array([0, 7], dtype=np.int32)
    single = _engine.uniforms(9, streams, 5, 300)
    pairs = _engine.uniforms(9, streams, 5, 300, pairs=True)
    assert pairs.shape == (2, 300, 2)
    np.testing.assert_array_equal(pairs[..., 0], single)  # the 8-bit path's uniforms unchanged
    assert pairs[..., 1].min() > 0.0  # a finite logit always
    assert pairs[..., 1].max() < 1.0
    assert abs(np.corrcoef(pairs[..., 0].ravel(), pairs[..., 1].ravel())[0, 1]) < 0.1


def test_mulaw8_equivalent_is_the_mass_of_the_mu_law_bin():
    rng = np.random.default_rng(3)
    p = _params(rng, 30, 2, mu_spread=0.9, log_s=(-6.0, -1.0))
    # levels near the first component's mean, where scipy's CDF differences are accurate
    q = np.clip(np.round((p[:, 2] + 1) / 2 * (Q - 1)) + rng.integers(-3000, 3000, 30), 0, Q - 1)
    got = mulaw8_equivalent_bits(p, q)
    j = mu_law_encode(linear_decode(q, Q), 256)
    mu = 255.0
    f = lambda e: np.sign(e) * np.expm1(np.abs(e) * np.log1p(mu)) / mu  # noqa: E731
    for i in range(30):
        lo = -np.inf if j[i] == 0 else f((j[i] - 0.5) * 2 / mu - 1)
        hi = np.inf if j[i] == 255 else f((j[i] + 0.5) * 2 / mu - 1)
        w = np.exp(p[i, :2] - p[i, :2].max())
        w /= w.sum()
        s = np.exp(p[i, 4:])
        mass = np.sum(w * (stats.logistic.cdf(hi, p[i, 2:4], s) - stats.logistic.cdf(lo, p[i, 2:4], s)))
        assert got[i] == pytest.approx(-np.log2(mass), rel=1e-6, abs=1e-9)
    # a coarser question costs fewer bits: the bin holds the level
    assert np.all(got <= mixture_nll_bits(p, q) + 1e-9)


def test_bad_parameter_widths_raise():
    with pytest.raises(ParameterError, match="3K"):
        mixture_log_prob(np.zeros(4), np.array(0))


def test_keras_loss_is_the_numpy_nll():
    pytest.importorskip("tensorflow")
    from pysynth.training.losses import sample_nats

    rng = np.random.default_rng(4)
    p = _params(rng, 64, 3).astype(np.float32)
    q = rng.integers(0, Q, 64).astype(np.int32)
    q[:2] = [0, Q - 1]
    got = np.asarray(sample_nats("mol16")(q, p))
    np.testing.assert_allclose(got, -mixture_log_prob(p, q), rtol=1e-4)
