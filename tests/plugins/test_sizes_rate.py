"""Presets in milliseconds (``sizes_rate``): training on a dataset of another sample rate
carries a preset's sample-counted sizes to that rate, so WaveNet's receptive field and
SampleRNN's frames cover the same time at 16, 22.05, 44.1 and 48 kHz, and at 16 kHz
nothing changes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pysynth_samplernn import SampleRNN
from pysynth_wavenet import WaveNet

from pysynth.dataset import Dataset
from pysynth.errors import ParameterError

RATES = (16000, 22050, 44100, 48000)


@pytest.fixture(scope="module", params=RATES)
def dataset(request, tmp_path_factory, dataset_of):
    sr = request.param
    y = (0.3 * np.sin(2 * np.pi * 220 * np.arange(sr // 4) / sr)).astype(np.float32)
    root = tmp_path_factory.mktemp(f"ds{sr}")
    return Dataset.open(dataset_of(root / "ds", [("a", y, "train", None),
                                                 ("b", y, "validation", None)], sr=sr))


@pytest.mark.parametrize("preset", ["small", "ibab"])
def test_wavenet_preset_receptive_field_is_the_same_time_at_every_rate(dataset, preset):
    arch = WaveNet()
    base = arch.make_config(preset=preset)
    config = arch.prepare(base, dataset)
    sr = dataset.sample_rate
    assert config.sample_rate == sr
    if sr == 16000:  # today's numbers, unchanged
        assert config.dilations == base.dilations
        assert config.seq_len == base.seq_len
        assert config.position_hop == base.position_hop
    want_ms = 1000 * base.receptive_field / 16000
    got_ms = 1000 * config.receptive_field / sr
    # within the smallest dilation of the target (about a sample of 32 ms)
    assert got_ms == pytest.approx(want_ms, abs=1000 * 4 / sr)
    assert config.seq_len / sr == pytest.approx(base.seq_len / 16000, abs=1 / sr)
    assert config.sizes_rate == sr
    assert arch.prepare(config, dataset) == config  # a resumed run is not rescaled twice


@pytest.mark.parametrize("preset", ["small", "prism", "paper-3tier"])
def test_samplernn_preset_frames_are_the_same_time_at_every_rate(dataset, preset):
    arch = SampleRNN()
    base = arch.make_config(preset=preset)
    config = arch.prepare(base, dataset)
    sr = dataset.sample_rate
    if sr == 16000:
        assert config.frame_sizes == base.frame_sizes
        assert config.seq_len == base.seq_len
    assert config.ratios()[1:] == base.ratios()[1:]  # the tiers keep their ratios
    # the bottom frame is the nearest whole number of samples to the same time
    assert abs(config.frame_sizes[0] - base.frame_sizes[0] * sr / 16000) <= 0.5
    assert config.seq_len % config.frame_sizes[-1] == 0
    assert config.seq_len / sr == pytest.approx(base.seq_len / 16000,
                                                abs=config.frame_sizes[-1] / sr)
    assert arch.prepare(config, dataset) == config


def test_sizes_without_a_rate_are_samples_at_any_rate(dataset):
    """A config that says nothing (sizes_rate 0, the default) is trained as written."""
    for arch, sizes in ((WaveNet(), "dilations"), (SampleRNN(), "frame_sizes")):
        base = arch.make_config({})
        assert base.sizes_rate == 0
        config = arch.prepare(base, dataset)
        assert getattr(config, sizes) == getattr(base, sizes)
        assert config == dataclasses.replace(base, sample_rate=dataset.sample_rate,
                                             conditioning_classes=config.conditioning_classes,
                                             position_frames=config.position_frames)


@pytest.mark.parametrize("bad", [-1, 50, 1.5, "16k"])
def test_bad_sizes_rate_is_named(bad):
    for arch in (WaveNet(), SampleRNN()):
        with pytest.raises(ParameterError, match="sizes_rate"):
            arch.make_config({"sizes_rate": bad})
