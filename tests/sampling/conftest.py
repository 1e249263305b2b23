"""Model files the sampling tests share: random-weight WaveNet exports (plain and
conditioned) and a toy third-party family the compiled engine does not know."""

from __future__ import annotations

import numpy as np
import pytest
from pysynth_wavenet import random_program

from pysynth.arch import Architecture, ReferenceModel
from pysynth.modelfile import save_model
from pysynth.registry import architectures

SMALL = {"dilations": [1, 2, 4, 8, 1, 2], "residual_channels": 8, "dilation_channels": 8,
         "skip_channels": 16, "output_channels": 16, "levels": 64, "sample_rate": 8000}


@pytest.fixture(scope="session")
def small_config():
    """A small WaveNet config (64 mu-law levels at 8 kHz) for ``random_program``."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """A random-weight WaveNet model file (``small_config``, seed 0), named tiny.pysynth."""
    program, tensors = random_program(SMALL, seed=0)
    return save_model(tmp_path_factory.mktemp("models") / "tiny.pysynth", program, tensors)


@pytest.fixture(scope="session")
def cond_model_path(tmp_path_factory):
    """Like ``model_path`` but conditioned on 3 classes."""
    program, tensors = random_program({**SMALL, "conditioning_classes": 3}, seed=1)
    return save_model(tmp_path_factory.mktemp("models") / "cond.pysynth", program, tensors)


class _CountingReference(ReferenceModel):
    """q[t] = (q[t-1] + 1) mod Q with near-certainty; q[0] = 0."""

    def start(self, batch, cond=None):
        return {"b": batch}

    def step(self, state, q_prev):
        b = state["b"]
        nxt = np.zeros(b, np.int64) if q_prev is None else (np.asarray(q_prev) + 1) % self.levels
        logits = np.zeros((b, self.levels), np.float32)
        logits[np.arange(b), nxt] = 30.0
        return logits


class _Counting(Architecture):
    name = "test-counting"
    family = "test-counting"

    def reference(self, program, tensors):
        return _CountingReference(program, tensors)


@pytest.fixture(scope="session")
def counting_model(tmp_path_factory):
    """A model file of the "test-counting" family (8 linear levels at 1 kHz), registered
    for the session as a third-party architecture: it counts 0, 1, ..., 7, 0, ..."""
    if "test-counting" not in architectures:
        architectures.register("test-counting", _Counting(), origin="tests")
    program = {"family": "test-counting", "levels": 8, "quantization": "linear",
               "sample_rate": 1000}
    return save_model(tmp_path_factory.mktemp("m") / "count.pysynth", program,
                      {"w": np.zeros(1, np.float32)})
