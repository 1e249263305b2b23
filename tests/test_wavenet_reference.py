"""The WaveNet config, presets and numpy reference (no TensorFlow needed)."""

from __future__ import annotations

import numpy as np
import pytest
from pysynth_wavenet import (
    WaveNet,
    WaveNetConfig,
    WaveNetReference,
    random_program,
    tensor_shapes,
)

from pysynth.errors import ModelFileError, ParameterError

CONFIGS = [
    {"dilations": [1, 2, 4, 8], "residual_channels": 8, "dilation_channels": 6,
     "skip_channels": 10, "output_channels": 12, "levels": 16},
    {"dilations": [1, 3, 2], "filter_width": 3, "initial_filter_width": 4,
     "residual_channels": 5, "dilation_channels": 4, "skip_channels": 7,
     "output_channels": 9, "levels": 32, "conditioning_classes": 3},
]


def _cond(cfg, b, rng):
    c = cfg.get("conditioning_classes", 0)
    return rng.integers(0, c, size=b) if c else None


@pytest.mark.parametrize("cfg", CONFIGS)
def test_step_equals_vectorised_logits(cfg):
    program, tensors = random_program(WaveNetConfig(**cfg), seed=1)
    ref = WaveNetReference(program, tensors)
    rng = np.random.default_rng(0)
    q = rng.integers(0, cfg["levels"], size=(3, 40))
    cond = _cond(cfg, 3, rng)
    fast = ref.logits(q, cond)
    slow = super(WaveNetReference, ref).logits(q, cond)  # the step() loop of the base class
    assert fast.shape == (3, 40, cfg["levels"])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


def test_logits_follow_the_written_formula_at_t0_and_t1():
    cfg = WaveNetConfig(dilations=[1], residual_channels=3, dilation_channels=2,
                        skip_channels=4, output_channels=5, levels=6, initial_filter_width=2)
    program, w = random_program(cfg, seed=3)
    ref = WaveNetReference(program, w)
    q = np.array([[4, 1]])
    out = ref.logits(q)

    def head(a):
        s = np.maximum(a @ w["layers.0.skip.weight"] + w["layers.0.skip.bias"], 0)
        hid = np.maximum(s @ w["out1.weight"] + w["out1.bias"], 0)
        return hid @ w["out2.weight"] + w["out2.bias"]

    def gate(z):
        return np.tanh(z[:2]) / (1 + np.exp(-z[2:]))

    wc = w["layers.0.conv.weight"]
    h0 = w["input.bias"]  # t = 0: no input at all
    z0 = w["layers.0.conv.bias"] + h0 @ wc[1]
    np.testing.assert_allclose(out[0, 0], head(gate(z0)), rtol=1e-5, atol=1e-6)
    h1 = w["input.bias"] + w["input.table"][1, 4]  # t = 1: x[1] = q[0] on the last tap
    z1 = w["layers.0.conv.bias"] + h0 @ wc[0] + h1 @ wc[1]
    np.testing.assert_allclose(out[0, 1], head(gate(z1)), rtol=1e-5, atol=1e-6)


def test_receptive_field_is_exact():
    cfg = WaveNetConfig(dilations=[1, 2, 4], filter_width=2, initial_filter_width=3, levels=8,
                        residual_channels=4, dilation_channels=4, skip_channels=4,
                        output_channels=4)
    assert cfg.receptive_field == 1 * 7 + 3
    ref = WaveNetReference(*random_program(cfg, seed=0))
    rng = np.random.default_rng(1)
    q = rng.integers(0, 8, size=(1, 30))
    q2 = q.copy()
    t = 25
    q2[0, t - cfg.receptive_field - 1] = (q[0, t - cfg.receptive_field - 1] + 3) % 8
    np.testing.assert_array_equal(ref.logits(q)[0, t], ref.logits(q2)[0, t])  # out of view
    q3 = q.copy()
    q3[0, t - cfg.receptive_field] = (q[0, t - cfg.receptive_field] + 3) % 8
    assert not np.allclose(ref.logits(q)[0, t], ref.logits(q3)[0, t])  # oldest sample in view


def test_presets_and_describe():
    arch = WaveNet()
    small = arch.make_config()
    assert small.receptive_field == 512
    ibab = arch.make_config(preset="ibab")
    assert len(ibab.dilations) == 50
    assert max(ibab.dilations) == 512
    assert (ibab.skip_channels, ibab.sample_rate, ibab.levels) == (512, 16000, 256)
    assert arch.describe(ibab)["receptive_field_samples"] == 5 * 1023 + 2  # one-hot: K0 = K
    assert arch.make_config(preset="small") == small


@pytest.mark.parametrize(
    ("overrides", "word"),
    [
        ({"levels": 1}, "levels"),
        ({"filter_width": 1}, "filter_width"),
        ({"dilations": []}, "dilations"),
        ({"dilations": [1, 0]}, "dilations"),
        ({"residual_channels": 2.5}, "residual_channels"),
        ({"quantization": "alaw"}, "quantization"),
        ({"conditioning_classes": -2}, "conditioning_classes"),
        ({"window": 0}, "window"),
        ({"input_embedding": True}, "input_embedding"),
        ({"dilation": [1]}, "dilations"),  # unknown key, with a suggestion
    ],
)
def test_bad_configs_raise(overrides, word):
    with pytest.raises(ParameterError, match=word):
        WaveNet().make_config(overrides)


def test_bad_tensors_and_inputs_raise():
    program, tensors = random_program({"dilations": [1, 2], "levels": 8}, seed=0)
    broken = dict(tensors)
    broken["layers.1.res.weight"] = broken["layers.1.res.weight"][:, :-1]
    with pytest.raises(ModelFileError, match=r"layers\.1\.res\.weight"):
        WaveNetReference(program, broken)
    ref = WaveNetReference(program, tensors)
    with pytest.raises(ParameterError, match="indices"):
        ref.logits([[0, 8]])
    with pytest.raises(ParameterError, match="not conditioned"):
        ref.start(2, cond=np.array([0, 1]))
    cprog, ct = random_program({"dilations": [1], "levels": 8, "conditioning_classes": 2}, 0)
    with pytest.raises(ParameterError, match="cond"):
        WaveNetReference(cprog, ct).start(2)


def test_random_program_is_seeded_and_complete():
    p1, t1 = random_program({"dilations": [1, 2]}, seed=5)
    _, t2 = random_program({"dilations": [1, 2]}, seed=5)
    _, t3 = random_program({"dilations": [1, 2]}, seed=6)
    assert set(t1) == set(tensor_shapes(p1))
    assert all(t1[k].dtype == np.float32 for k in t1)
    assert all(np.array_equal(t1[k], t2[k]) for k in t1)
    assert not np.array_equal(t1["out2.weight"], t3["out2.weight"])


def test_import_does_not_pull_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "import pysynth_wavenet, pysynth\n"
        "from pysynth.registry import architectures\n"
        "arch = architectures.get('wavenet')\n"
        "p, t = pysynth_wavenet.random_program({'dilations': [1, 2]}, 0)\n"
        "print(arch().reference(p, t).logits([[1, 2, 3]]).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 3, 256)"
