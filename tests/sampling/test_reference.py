"""The numpy reference sampler: the engine's output equals the sampling rule applied to the
reference logits, and families the engine does not know sample and score through it."""

from __future__ import annotations

import numpy as np
import pytest

import pysynth
from pysynth import _engine
from pysynth.errors import ParameterError
from pysynth.modelfile import load_model, save_model
from pysynth.sampling import reference_model, reference_sample, sample_index


def test_sample_index_is_the_inverse_cdf_rule():
    logits = np.log(np.array([[0.25, 0.25, 0.5]] * 4))
    u = np.array([0.1, 0.3, 0.49, 0.9])
    np.testing.assert_array_equal(sample_index(logits, 1.0, u), [0, 1, 1, 2])
    # temperature 0 is argmax, lowest index on ties
    np.testing.assert_array_equal(sample_index(np.zeros((2, 5)), 0.0, np.zeros(2)), [0, 0])


def test_sample_equals_numpy_reference_sampler(model_path):
    mf = load_model(model_path)
    ref = reference_model(mf)
    audio = pysynth.sample(mf, n=2, seconds=0.02, seed=5, temperature=0.9)
    n = audio.shape[1]
    u = _engine.uniforms(5, np.arange(2, dtype=np.int32), 0, n)
    q = reference_sample(ref, n, u, 0.9)
    np.testing.assert_array_equal(audio, pysynth.audio.level_table(64, "mu-law")[q])
    # delivered in blocks, the same indices at the right offsets
    got = np.zeros_like(q)
    offsets = []

    def on_block(block, offset):
        offsets.append(offset)
        got[:, offset : offset + block.shape[1]] = block

    assert reference_sample(ref, n, u, 0.9, on_block=on_block, chunk=64) is None
    assert offsets == list(range(0, n, 64))
    np.testing.assert_array_equal(got, q)


def test_reference_sample_checks_the_uniforms(model_path):
    with pytest.raises(ParameterError, match="uniforms must have shape"):
        reference_sample(reference_model(model_path), 10, np.zeros((2, 5)))


def test_unknown_family_samples_through_plugin_reference(counting_model):
    audio = pysynth.sample(counting_model, n=2, seconds=0.012, temperature=1.0)
    table = pysynth.audio.level_table(8, "linear")
    np.testing.assert_array_equal(audio, table[np.arange(12) % 8][None].repeat(2, 0))
    bits = pysynth.score(counting_model, table[np.arange(12) % 8])
    assert bits < 1e-6


def test_unknown_family_without_plugin_raises(tmp_path):
    path = save_model(tmp_path / "x.pysynth", {"family": "nobody-knows", "levels": 4,
                                                "sample_rate": 1000}, {})
    with pytest.raises(ParameterError, match="no installed architecture plugin"):
        pysynth.sample(path, n=1, seconds=0.01)
