"""The engines' weights='bf16' option: products in bfloat16 (vdpbf16ps). Close to float32
(logits and NLL on random weights within a stated bound), and as reproducible as float32
within itself: a stream's samples do not depend on the batch size, threads or chunking."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn.reference import random_program as samplernn_program
from pysynth_wavenet.reference import random_program as wavenet_program

from pysynth import _engine
from pysynth.errors import ParameterError
from pysynth.modelfile import ModelFile
from pysynth.sampling.engines import make_engine

needs_bf16 = pytest.mark.skipif(not _engine.bf16_available(),
                                reason="no AVX512_BF16 on this CPU or build")

SAMPLERNN = {"frame_sizes": [4, 16], "dim": 64, "rnn_type": "gru", "rnn_layers": 2,
             "mlp_layers": 2, "levels": 256, "seq_len": 16}
WAVENET = {"dilations": [1, 2, 4, 8, 1, 2, 4, 8], "residual_channels": 32,
           "dilation_channels": 32, "skip_channels": 64, "output_channels": 64, "levels": 256,
           "filter_width": 2, "initial_filter_width": 2}

FAMILIES = {
    "samplernn": (lambda: samplernn_program(SAMPLERNN, seed=1), _engine.SampleRNNEngine),
    "wavenet": (lambda: wavenet_program(WAVENET, seed=1), _engine.WaveNetEngine),
}


def engines(family, threads=1):
    make_program, cls = FAMILIES[family]
    program, tensors = make_program()
    return (cls(json.dumps(program), tensors, threads),
            cls(json.dumps(program), tensors, threads, weights="bf16"))


def random_q(levels, shape, seed=0):
    rng = np.random.default_rng(seed)
    steps = rng.integers(-3, 4, size=shape)
    return (np.cumsum(steps, axis=-1) + levels // 2).clip(0, levels - 1).astype(np.int32)


@needs_bf16
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bf16_logits_and_nll_close_to_float32(family):
    f32, bf16 = engines(family)
    assert (f32.weights, bf16.weights) == ("float32", "bf16")
    q = random_q(256, (2, 160))
    lf, lb = f32.logits(q), bf16.logits(q)
    assert not np.array_equal(lf, lb)  # really a different arithmetic
    # bfloat16 keeps 8 significant bits: a few parts in a thousand of the logits' scale
    assert np.max(np.abs(lb - lf)) <= 0.02 * np.max(np.abs(lf))
    assert abs(float(bf16.nll(q).mean() - f32.nll(q).mean())) < 0.01  # bits per sample


@needs_bf16
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bf16_samples_independent_of_batch_threads_and_chunking(family):
    _, one = engines(family, threads=1)
    _, two = engines(family, threads=2)
    streams = np.array([3, 0, 7], dtype=np.int32)
    batch = two.generate(80, streams=streams, seed=4)
    for b in range(3):
        alone = one.generate(80, streams=streams[b:b + 1], seed=4)
        np.testing.assert_array_equal(alone, batch[b:b + 1])
        np.testing.assert_array_equal(
            two.generate(80, streams=streams[b:b + 1], seed=4, chunk=13), alone)
    assert len(np.unique(batch)) > 3


@needs_bf16
def test_bf16_through_make_engine():
    program, tensors = samplernn_program(SAMPLERNN, seed=1)
    engine = make_engine(ModelFile(program, tensors), device="cpu", weights="bf16")
    assert engine.weights == "bf16"


def test_weights_checked():
    program, tensors = samplernn_program(SAMPLERNN, seed=1)
    with pytest.raises(ValueError, match="weights"):
        _engine.SampleRNNEngine(json.dumps(program), tensors, 1, weights="int8")
    with pytest.raises(ParameterError, match="weights"):
        make_engine(ModelFile(program, tensors), device="cpu", weights="int8")
    with pytest.raises(ParameterError, match="CPU engine option"):
        make_engine(ModelFile(program, tensors), device="cuda", weights="bf16")


def test_bf16_without_the_instructions_is_a_clear_error(monkeypatch):
    program, tensors = samplernn_program(SAMPLERNN, seed=1)
    monkeypatch.setattr(_engine, "bf16_available", lambda: False)
    with pytest.raises(ParameterError, match="AVX512_BF16"):
        make_engine(ModelFile(program, tensors), device="cpu", weights="bf16")
