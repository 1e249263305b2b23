"""The dataset's linear predictor in the 16-bit output (pysynth.prediction) on known answers:
the least-squares fit finds a recurrence exactly and falls back to a stable predictor where
least squares is not stable; the means formula against the compiled twin and the Keras layer;
the config checks; and ``prepare`` fitting the coefficients from a dataset's training clips
(through its pre-emphasis), once."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pysynth import _engine
from pysynth.arch import get_architecture
from pysynth.dataset import Dataset, write_clips
from pysynth.emphasis import preemphasize
from pysynth.errors import ParameterError
from pysynth.mixture import LOG_SCALE_MIN
from pysynth.prediction import apply_lpc, fit_lpc, history_values, random_lpc, stable


def _decaying_partials(n=6000, seed=0):
    """Two decaying partials: an order-4 recurrence with known coefficients."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    r1, w1, r2, w2 = 0.999, 0.07, 0.995, 0.31
    x = (0.5 * r1 ** t * np.sin(w1 * t + rng.uniform(0, 6))
         + 0.3 * r2 ** t * np.sin(w2 * t + rng.uniform(0, 6)))
    # (1 - 2 r1 cos w1 z^-1 + r1^2 z^-2)(1 - 2 r2 cos w2 z^-1 + r2^2 z^-2)
    poly = np.convolve([1, -2 * r1 * np.cos(w1), r1 ** 2], [1, -2 * r2 * np.cos(w2), r2 ** 2])
    return x, -poly[1:]


def test_least_squares_finds_a_recurrence_exactly():
    x, want = _decaying_partials()
    got = fit_lpc([x[:3000], x[3000:]], 4)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert stable(got)
    # higher orders predict it as exactly (the extra taps are free: the ridge keeps them small)
    c8 = fit_lpc([x], 8)
    lags = np.lib.stride_tricks.sliding_window_view(x, 8)[:-1, ::-1]
    np.testing.assert_allclose(lags @ c8, x[8:], atol=1e-6)


def test_unstable_least_squares_falls_back_to_a_stable_predictor():
    # a growing exponential: least squares gives the exact (unstable) recurrence 1.01
    x = 1.01 ** np.arange(400) * 1e-3
    least_squares = np.linalg.lstsq(x[:-1, None], x[1:], rcond=None)[0]
    assert not stable(least_squares)
    got = fit_lpc([x], 1)
    assert stable(got)
    assert 0.9 < got[0] < 1.0


def test_silence_fits_zeros_and_order_is_checked():
    np.testing.assert_array_equal(fit_lpc([np.zeros(100)], 3), np.zeros(3))
    with pytest.raises(ParameterError, match="lpc_order"):
        fit_lpc([np.ones(10)], 0)
    assert stable(random_lpc(16, np.random.default_rng(0)))


def test_history_values_are_the_past_levels_as_numbers():
    q = np.array([[0, 65535, -1, 32768]])
    h = history_values(q, 2, 65536)
    assert h.shape == (1, 4, 2)
    np.testing.assert_allclose(h[0, :, 0], [0, -1, 1, 0])  # v[t-1]; "nothing" is 0
    np.testing.assert_allclose(h[0, :, 1], [0, 0, -1, 1])  # v[t-2]


def test_means_formula_and_its_compiled_twin():
    rng = np.random.default_rng(1)
    k, p = 3, 5
    params = np.concatenate([rng.normal(size=(4, k)), rng.normal(size=(4, k)),
                             rng.uniform(-35, -2, size=(4, k))], axis=1)
    coef = random_lpc(p, rng)
    recent = rng.integers(-1, 65536, size=(4, p))
    values = np.where(recent >= 0, 2 * recent / 65535 - 1, 0.0)
    got = apply_lpc(params, coef, values)
    scale = np.exp(np.maximum(params[:, 2 * k:], LOG_SCALE_MIN))
    np.testing.assert_allclose(got[:, k:2 * k], (values @ coef)[:, None] + scale * params[:, k:2 * k])
    np.testing.assert_array_equal(got[:, :k], params[:, :k])  # weights and scales untouched
    np.testing.assert_array_equal(got[:, 2 * k:], params[:, 2 * k:])


def test_keras_layer_equals_the_numpy_formula():
    pytest.importorskip("tensorflow")
    from pysynth.training.prediction import HistoryTaps, LinearPrediction

    rng = np.random.default_rng(2)
    k, p, t = 2, 3, 9
    params = rng.normal(size=(2, t, 3 * k)).astype(np.float32)
    q = rng.integers(0, 65536, size=(2, t))
    prev = np.concatenate([np.zeros((2, 1)), 2 * q[:, :-1] / 65535 - 1], axis=1)[..., None]
    taps = np.asarray(HistoryTaps(p)(prev.astype(np.float32)))
    np.testing.assert_allclose(taps, history_values(q, p, 65536), atol=1e-6)
    coef = random_lpc(p, rng)
    got = np.asarray(LinearPrediction(coef)([params, taps]))
    np.testing.assert_allclose(got, apply_lpc(params, coef, history_values(q, p, 65536)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("family", ["wavenet", "samplernn"])
@pytest.mark.parametrize(("overrides", "match"), [
    ({"lpc_order": 4}, "output=mol16"),
    ({"output": "mol16", "lpc_order": 65}, "lpc_order"),
    ({"output": "mol16", "lpc_order": 2, "lpc": [0.1]}, "2"),
    ({"output": "mol16", "lpc_order": 1, "lpc": [float("nan")]}, "finite"),
    ({"output": "mol16", "lpc_order": 1, "lpc": ["a"]}, "numbers"),
])
def test_bad_predictor_settings_name_the_problem(family, overrides, match):
    with pytest.raises(ParameterError, match=match):
        get_architecture(family).make_config(overrides)


def test_samplernn_order_is_bounded_by_its_top_frame():
    with pytest.raises(ParameterError, match="top frame size 16"):
        get_architecture("samplernn").make_config(
            {"frame_sizes": [4, 16], "output": "mol16", "lpc_order": 17})


def test_engine_refuses_an_lpc_program_without_a_mixture_output():
    import json

    arch = get_architecture("wavenet")
    cfg = arch.make_config({"dilations": [1, 2], "output": "mol16", "lpc_order": 2,
                            "conditioning_classes": 0, "position_frames": 0})
    program, _tensors = arch.random_program(cfg)
    bad = {**program, "output": "softmax", "levels": 256, "quantization": "mu-law"}
    with pytest.raises(ValueError, match="lpc_order"):
        _engine.tensor_table("wavenet", json.dumps(bad))


@pytest.mark.parametrize("family", ["wavenet", "samplernn"])
def test_prepare_fits_the_training_clips_once(tmp_path, family):
    x, _ = _decaying_partials(8000)
    ds = write_clips(tmp_path / "ds", [("a", x[:4000].astype(np.float32), "train", None),
                                       ("b", x[4000:].astype(np.float32), "train", None),
                                       ("v", x[:2000].astype(np.float32), "validation", None)],
                     sr=8000)
    arch = get_architecture(family)
    cfg = arch.make_config({"output": "mol16", "lpc_order": 4, "preemphasis": 0.5,
                            "conditioning_classes": 0, "position_frames": 0})
    fitted = arch.prepare(cfg, Dataset.open(ds))
    assert len(fitted.lpc) == 4
    assert stable(fitted.lpc)
    # it is a fit of what the model sees (the 16-bit WAVs through the pre-emphasis): it
    # predicts that signal to within the quantization's noise
    e = preemphasize(x, 0.5).astype(np.float64)
    lags = np.lib.stride_tricks.sliding_window_view(e, 4)[:-1, ::-1]
    residual = e[4:] - lags @ np.asarray(fitted.lpc)
    assert np.sqrt(np.mean(residual ** 2)) < 1e-2 * np.sqrt(np.mean(e ** 2))
    # a config with coefficients (a resumed run's) keeps them
    kept = dataclasses.replace(fitted, lpc=[0.1, 0.0, 0.0, 0.0])
    assert arch.prepare(kept, Dataset.open(ds)).lpc == [0.1, 0.0, 0.0, 0.0]
