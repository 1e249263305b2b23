"""Fixtures of the training tests: a tiny WaveNet config and one run trained on ``tones``."""

from __future__ import annotations

import pytest

#: A WaveNet small enough to train in seconds on CPU (receptive field 17 samples), with
#: samples every 2 epochs and one conditioning class per clip label ("high", "low").
TINY = {
    "levels": 256, "dilations": [1, 2, 4, 8], "residual_channels": 16,
    "dilation_channels": 16, "skip_channels": 32, "output_channels": 32, "seq_len": 128,
    "batch_size": 4, "steps_per_epoch": 30, "validation_steps": 2, "learning_rate": 0.01,
    "sample_every": 2, "sample_count": 2, "sample_seconds": 0.05, "tensorboard": False,
    "conditioning_classes": -1,
}


@pytest.fixture
def tiny():
    """A fresh copy of the tiny WaveNet's overrides (model and training keys)."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in TINY.items()}


@pytest.fixture(scope="session")
def wavenet_run(tones, tmp_path_factory):
    """``(run, result)``: the tiny WaveNet trained 2 epochs on ``tones``, uninterrupted, with
    TensorBoard logs, seed 3. Read-only: the resume and export tests compare against it."""
    pytest.importorskip("tensorflow")
    from pysynth.training import train

    run = tmp_path_factory.mktemp("runs") / "a"
    result = train(tones, arch="wavenet", run=run, overrides={**TINY, "tensorboard": True},
                   epochs=2, seed=3, verbose=0)
    return run, result
