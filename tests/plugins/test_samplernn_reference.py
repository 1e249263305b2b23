"""SampleRNN config, presets, program checks and the numpy reference (no TensorFlow needed).

What every architecture must do (step equals logits, seeded random programs, import without
TensorFlow...) is checked by the contract harness, tests/plugins/test_samplernn_contract.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn import (
    PRESETS,
    SampleRNN,
    SampleRNNConfig,
    SampleRNNReference,
    make_config,
    random_program,
)
from pysynth_samplernn.reference import gru_cell, lstm_cell

from pysynth.errors import ModelFileError, ParameterError

CONFIGS = {
    "2tier-gru": {"frame_sizes": [4], "dim": 12, "seq_len": 16},
    "3tier-gru": {"frame_sizes": [2, 8], "dim": 10, "rnn_layers": 2, "seq_len": 16},
    "3tier-lstm-skip": {
        "frame_sizes": [2, 4], "dim": 9, "rnn_type": "lstm", "rnn_layers": 2,
        "skip_connections": True, "mlp_layers": 2, "seq_len": 8,
    },
    "4tier-linear": {
        "frame_sizes": [2, 4, 8], "dim": 8, "levels": 17, "quantization": "linear",
        "mlp_layers": 0, "seq_len": 8,
    },
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_logits_are_causal(name):
    program, tensors = random_program(CONFIGS[name], seed=4)
    ref = SampleRNNReference(program, tensors)
    rng = np.random.default_rng(2)
    q = rng.integers(0, program["levels"], (1, 24))
    q2 = q.copy()
    t0 = 13
    q2[0, t0:] = rng.integers(0, program["levels"], 24 - t0)
    q2[0, t0] = (q[0, t0] + 1) % program["levels"]
    a, b = ref.logits(q), ref.logits(q2)
    np.testing.assert_array_equal(a[0, : t0 + 1], b[0, : t0 + 1])  # logits[t] ignores q[>=t]
    assert not np.allclose(a[0, t0 + 1], b[0, t0 + 1])  # ...and uses q[t-1]


def test_first_logits_by_hand():
    """logits[0]: every tier sees zero input (positions before 0), runs one step from h0."""
    program, tensors = random_program({"frame_sizes": [2, 4], "dim": 6, "seq_len": 8}, seed=5)
    t = {k: v.astype(np.float64) for k, v in tensors.items()}
    ref = SampleRNNReference(program, tensors)
    # top tier (F=4): input is only its bias
    x = t["tiers.1.input.bias"][None]
    h = gru_cell(x, t["tiers.1.rnn.0.h0"][None], t["tiers.1.rnn.0.kernel"],
                 t["tiers.1.rnn.0.recurrent_kernel"], t["tiers.1.rnn.0.bias"])
    up1 = (h @ t["tiers.1.upsample.weight"] + t["tiers.1.upsample.bias"]).reshape(2, 6)
    x = t["tiers.0.input.bias"] + up1[0]
    h = gru_cell(x[None], t["tiers.0.rnn.0.h0"][None], t["tiers.0.rnn.0.kernel"],
                 t["tiers.0.rnn.0.recurrent_kernel"], t["tiers.0.rnn.0.bias"])
    up0 = (h @ t["tiers.0.upsample.weight"] + t["tiers.0.upsample.bias"]).reshape(2, 6)
    a = np.maximum(t["sample.bias"] + up0[0], 0)  # no sample taps before t = 0
    a = np.maximum(a @ t["sample.hidden.0.weight"] + t["sample.hidden.0.bias"], 0)
    expect = a @ t["sample.output.weight"] + t["sample.output.bias"]
    q = np.random.default_rng(0).integers(0, 256, (2, 5))
    got = ref.logits(q)
    np.testing.assert_allclose(got[:, 0], np.broadcast_to(expect, (2, 256)), rtol=1e-5, atol=1e-6)
    # logits[1] uses q[0] through sample.table tap F_0 - 1 = 1 (and nothing else changes)
    a = np.maximum(t["sample.bias"] + up0[1] + t["sample.table"][1, q[0, 0]], 0)
    a = np.maximum(a @ t["sample.hidden.0.weight"] + t["sample.hidden.0.bias"], 0)
    expect1 = a @ t["sample.output.weight"] + t["sample.output.bias"]
    np.testing.assert_allclose(got[0, 1], expect1, rtol=1e-5, atol=1e-6)


def test_lstm_cell_gate_order():
    """Keras LSTM columns [i, f, c, o]: with a huge forget bias and closed input gate the
    cell state is kept."""
    h = np.zeros((1, 2))
    c = np.array([[0.3, -0.2]])
    bias = np.concatenate([np.full(2, -50.0), np.full(2, 50.0), np.zeros(2), np.full(2, 50.0)])
    h2, c2 = lstm_cell(np.ones((1, 2)), (h, c), np.zeros((2, 8)), np.zeros((2, 8)), bias)
    np.testing.assert_allclose(c2, c, atol=1e-12)
    np.testing.assert_allclose(h2, np.tanh(c), atol=1e-12)


def test_presets():
    assert set(PRESETS) >= {"small", "paper-2tier", "paper-3tier", "prism"}
    for name in PRESETS:
        make_config(preset=name)
    prism = make_config(preset="prism")
    assert (prism.frame_sizes, prism.dim, prism.rnn_layers) == ([16, 64], 1024, 4)
    assert (prism.rnn_type, prism.quantization, prism.levels) == ("gru", "mu-law", 256)
    assert make_config(preset="paper-2tier").frame_sizes == [16]
    cfg = SampleRNN().make_config({"dim": 32}, preset="paper-3tier")
    assert cfg.dim == 32
    assert cfg.frame_sizes == [2, 8]
    back = SampleRNNConfig(**json.loads(SampleRNN().config_to_json(cfg)))
    assert back == cfg


@pytest.mark.parametrize(
    ("overrides", "word"),
    [
        ({"frame_sizes": [16, 24]}, "frame_sizes"),
        ({"frame_sizes": [64, 16]}, "frame_sizes"),
        ({"frame_sizes": []}, "frame_sizes"),
        ({"frame_sizes": 16}, "frame_sizes"),
        ({"frame_sizes": [0, 4]}, "frame_sizes"),
        ({"dim": 0}, "dim"),
        ({"rnn_type": "rnn"}, "rnn_type"),
        ({"rnn_layers": 0}, "rnn_layers"),
        ({"mlp_layers": -1}, "mlp_layers"),
        ({"seq_len": 100}, "seq_len"),
        ({"levels": 1}, "levels"),
        ({"quantization": "a-law"}, "quantization"),
        ({"skip_connections": "yes"}, "skip_connections"),
        ({"batch_size": 0}, "batch_size"),
        ({"dimm": 3}, "did you mean 'dim'"),
    ],
)
def test_bad_configs_raise_clear_errors(overrides, word):
    with pytest.raises(ParameterError, match=word):
        make_config(overrides)


def test_unknown_preset():
    with pytest.raises(ParameterError, match="did you mean 'prism'"):
        make_config(preset="prsm")


def test_configs_take_numpy_integers():
    config = make_config({"dim": np.int64(12), "frame_sizes": (np.int32(2), 8), "seq_len": 16})
    assert (config.dim, config.frame_sizes) == (12, [2, 8])
    assert type(config.dim) is int  # stored as plain JSON-able ints


def test_check_program_rejects_bad_exports():
    program, tensors = random_program(CONFIGS["3tier-gru"], seed=0)
    SampleRNNReference(program, tensors)
    bad = dict(tensors)
    del bad["tiers.1.upsample.bias"]
    with pytest.raises(ModelFileError, match=r"tiers\.1\.upsample\.bias"):
        SampleRNNReference(program, bad)
    bad = dict(tensors, **{"sample.table": np.zeros((3, 256, 10), np.float32)})
    with pytest.raises(ModelFileError, match=r"sample\.table"):
        SampleRNNReference(program, bad)
    bad = dict(tensors)
    bad["sample.bias"] = np.full(10, np.nan, np.float32)
    with pytest.raises(ModelFileError, match="NaN"):
        SampleRNNReference(program, bad)
    with pytest.raises(ModelFileError, match="lacks key"):
        SampleRNNReference({k: v for k, v in program.items() if k != "dim"}, tensors)
    with pytest.raises(ModelFileError, match="frame_sizes"):
        SampleRNNReference(dict(program, frame_sizes=[3, 8]), tensors)
    with pytest.raises(ParameterError, match="q must"):
        SampleRNNReference(program, tensors).logits(np.array([[0, 256]]))
