"""The Keras WaveNet computes what the numpy reference computes (rtol 1e-4)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from pysynth_wavenet import WaveNet

from pysynth.errors import ParameterError

pytestmark = pytest.mark.keras

CONFIGS = {
    "k2-onehot": {"dilations": [1, 2, 4, 8, 1, 2], "residual_channels": 8,
                  "dilation_channels": 6, "skip_channels": 10, "output_channels": 12,
                  "levels": 32},
    "k3-k0=4-embed-cond": {"dilations": [1, 3, 2, 5], "filter_width": 3,
                           "initial_filter_width": 4, "input_embedding": 5,
                           "residual_channels": 6, "dilation_channels": 4, "skip_channels": 7,
                           "output_channels": 9, "levels": 24, "conditioning_classes": 3},
    "k2-k0=3-cond-onehot": {"dilations": [1, 2, 4], "initial_filter_width": 3,
                            "residual_channels": 4, "dilation_channels": 5, "skip_channels": 6,
                            "output_channels": 7, "levels": 16, "conditioning_classes": 2},
}


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([
        (rng.standard_normal(w.shape) / np.sqrt(max(1, w.shape[0] if w.ndim == 1 else
                                                    np.prod(w.shape[:-1])))).astype(np.float32)
        * (0.3 if w.ndim == 1 else 1.0)
        for w in model.get_weights()
    ])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_keras_logits_equal_reference(name):
    import keras

    cfg = CONFIGS[name]
    arch = WaveNet()
    config = arch.make_config(cfg)
    keras.utils.set_random_seed(0)
    model = arch.build(config)
    _randomize(model, seed=1)
    rng = np.random.default_rng(2)
    q = rng.integers(0, config.levels, size=(3, 50))
    cond = rng.integers(0, config.conditioning_classes, size=3) if \
        config.conditioning_classes else None
    got = arch.teacher_forced_logits(model, config, q, cond)
    program, tensors = arch.export(model, config)
    ref = arch.reference(program, tensors)
    want = ref.logits(q, cond)
    assert got.shape == want.shape == (3, 50, config.levels)
    assert np.std(want) > 0.05  # random weights give non-trivial logits
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    # And the incremental step of the reference (what generation runs) agrees too.
    state = ref.start(3, cond)
    prev = None
    for t in range(12):
        np.testing.assert_allclose(ref.step(state, prev), got[:, t], rtol=1e-4,
                                   atol=1e-4 * np.abs(want).max())
        prev = q[:, t]


def test_export_tensor_names_follow_the_contract():
    arch = WaveNet()
    config = arch.make_config(CONFIGS["k3-k0=4-embed-cond"])
    program, tensors = arch.export(arch.build(config), config)
    assert program["family"] == "wavenet"
    assert tensors["input.table"].shape == (4, 24, 6)
    assert tensors["layers.3.cond.table"].shape == (3, 8)
    assert tensors["layers.0.conv.weight"].shape == (3, 6, 8)


def test_conditioning_input_is_checked():
    arch = WaveNet()
    config = arch.make_config(CONFIGS["k2-k0=3-cond-onehot"])
    model = arch.build(config)
    with pytest.raises(ParameterError, match="cond"):
        arch.teacher_forced_logits(model, config, np.zeros((1, 5), dtype=int))
    with pytest.raises(ParameterError, match="conditioning_classes"):
        arch.build(arch.make_config({"conditioning_classes": -1}))
