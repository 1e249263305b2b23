"""Sampling and scoring a 16-bit (mol16) model file through the public API and the CLI:
its audio sits on 65,536 linear levels, its score is reported in 16-bit bits and on the
8-bit mu-law scale, and pre-emphasis composes with it as with the 8-bit output."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pysynth_samplernn import random_program as samplernn_program
from pysynth_wavenet import random_program as wavenet_program

import pysynth
from pysynth import cli
from pysynth.emphasis import deemphasize
from pysynth.errors import ParameterError
from pysynth.mixture import mulaw8_equivalent_bits
from pysynth.modelfile import save_model
from pysynth.sampling.plan import encode

SR = 8000


@pytest.fixture(params=["wavenet", "samplernn"])
def mol16(request, tmp_path):
    """A random-weight mol16 model file of each family, and its program and tensors."""
    if request.param == "wavenet":
        program, tensors = wavenet_program(
            {"dilations": [1, 2, 4], "residual_channels": 8, "dilation_channels": 8,
             "skip_channels": 16, "output_channels": 16, "output": "mol16", "mixtures": 3,
             "position_frames": 0, "conditioning_classes": 0, "sample_rate": SR}, seed=1)
    else:
        program, tensors = samplernn_program(
            {"frame_sizes": [2, 8], "dim": 12, "seq_len": 8, "output": "mol16", "mixtures": 3,
             "sample_rate": SR}, seed=1)
    return save_model(tmp_path / "m16.pysynth", program, tensors), program, tensors


def test_samples_are_16_bit_levels(mol16):
    path, _, _ = mol16
    x = pysynth.sample(path, n=2, seconds=0.05, seed=3)
    assert x.shape == (2, 400)
    levels = (x.astype(np.float64) + 1.0) / 2.0 * 65535
    np.testing.assert_allclose(levels, np.round(levels), atol=2e-3)  # on the 16-bit grid
    assert len(np.unique(x)) > 100  # really sampled (random weights clip often at +-1)
    np.testing.assert_array_equal(x, pysynth.sample(path, n=2, seconds=0.05, seed=3))


def test_score_native_and_8_bit_equivalent(mol16, sine):
    path, program, tensors = mol16
    x = sine(440.0, sr=SR, seconds=0.05, amp=0.3)
    native = pysynth.score(path, x)
    eq8 = pysynth.score(path, x, scale="mulaw8")
    # the 8-bit figure is the mass of each sample's mu-law bin under the same parameters
    ref = pysynth.arch.get_architecture(program["family"]).reference(program, tensors)
    q = encode(pysynth.load_model(path), x)[None]
    want = mulaw8_equivalent_bits(ref.logits(q), q).mean()
    assert eq8 == pytest.approx(want, rel=1e-4)
    assert eq8 < native  # a coarser question costs fewer bits


def test_mulaw8_scale_of_an_8_bit_model_is_its_native_score(tmp_path, sine, small_config):
    program, tensors = wavenet_program({**small_config, "levels": 256}, seed=2)
    path = save_model(tmp_path / "m8.pysynth", program, tensors)
    x = sine(300.0, sr=program["sample_rate"], seconds=0.03)
    assert pysynth.score(path, x, scale="mulaw8") == pysynth.score(path, x)
    linear = save_model(tmp_path / "lin.pysynth", {**program, "quantization": "linear"}, tensors)
    with pytest.raises(ParameterError, match="mulaw8"):
        pysynth.score(linear, x, scale="mulaw8")


def test_cli_score_prints_both_figures(mol16, tmp_path, capsys, sine):
    import soundfile as sf

    path, _, _ = mol16
    wav = tmp_path / "a.wav"
    sf.write(wav, sine(440.0, sr=SR, seconds=0.05, amp=0.3), SR)
    assert cli.main(["score", str(path), str(wav), "-q"]) == 0
    out = capsys.readouterr().out
    m = re.search(r"([\d.]+) bits/sample over 1 clip \(16-bit levels\), ([\d.]+) 8-bit", out)
    assert m, out
    assert float(m.group(1)) == pytest.approx(pysynth.score(path, str(wav)), abs=1e-4)
    assert float(m.group(2)) == pytest.approx(pysynth.score(path, str(wav), scale="mulaw8"),
                                              abs=1e-4)


def test_preemphasis_composes_with_the_16_bit_output(mol16, tmp_path):
    path, program, tensors = mol16
    emph = save_model(tmp_path / "e16.pysynth", {**program, "preemphasis": 0.85}, tensors)
    got = pysynth.sample(emph, n=2, seconds=0.05, seed=5)
    want, _ = deemphasize(pysynth.sample(path, n=2, seconds=0.05, seed=5), 0.85)
    np.testing.assert_allclose(got, want, atol=1e-5)
