"""WaveNet learns where it is in a clip from its position input (issue 13).

Clips where position is the only cue: a 500 Hz tone that switches on and off every 96
samples (4 on-segments, 4 off). The receptive field (17 samples) never spans a whole silent
segment, so without position the model cannot know when the tone resumes or stops; with
it, the switch times are a function of the sample's position. Two runs with the same seed
and steps differ only in ``position_frames``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from pysynth import load_model, sample, score
from pysynth.training import export, train

pytestmark = [pytest.mark.keras, pytest.mark.slow]

SR = 8000
SEGMENT = 96  # samples: six periods of 500 Hz, so every segment starts at a zero crossing
SEGMENTS = 8


def on_off_tone(phase_shift: float = 0.0) -> np.ndarray:
    t = np.arange(SEGMENT * SEGMENTS)
    tone = 0.6 * np.sin(2 * np.pi * 500 * t / SR + phase_shift)
    on = (t // SEGMENT) % 2 == 0
    return np.where(on, tone, 0.0).astype(np.float32)


MODEL = {
    "levels": 64, "dilations": [1, 2, 4, 8], "residual_channels": 16, "dilation_channels": 16,
    "skip_channels": 32, "output_channels": 32, "seq_len": 256, "batch_size": 8,
    "steps_per_epoch": 40, "validation_steps": 0, "learning_rate": 0.01, "sample_every": 0,
    "tensorboard": False, "position_hop": 48,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, dataset_of):
    root = tmp_path_factory.mktemp("position")
    clips = [(f"c{i}", on_off_tone(np.pi * i), "train", "tone") for i in range(2)]
    data = dataset_of(root / "dataset", clips, sr=SR)
    models = {}
    for name, frames in [("with", -1), ("without", 0)]:
        run = root / name
        train(data, arch="wavenet", run=run, overrides={**MODEL, "position_frames": frames},
              epochs=4, seed=1, verbose=0)
        models[name] = export(run, root / f"{name}.pysynth")
    return data, models


def test_auto_position_frames_cover_the_clips(runs):
    _, models = runs
    program = load_model(models["with"]).program
    assert program["position_frames"] == SEGMENT * SEGMENTS // 48  # 16 frames of 48
    assert "position_frames" not in load_model(models["without"]).program


def test_position_lowers_the_nll_of_the_same_training(runs):
    data, models = runs
    with_bits = score(models["with"], data, device="cpu")
    without_bits = score(models["without"], data, device="cpu")
    # measured 0.029 against 0.080 bits per sample: the switches are all the uncertainty
    assert with_bits < 0.6 * without_bits, (with_bits, without_bits)


def test_samples_switch_at_the_right_times(runs):
    _, models = runs
    audio = sample(models["with"], n=4, seconds=SEGMENT * SEGMENTS / SR, seed=2,
                   temperature=1.0, device="cpu")
    rms = np.sqrt((audio.reshape(4, SEGMENTS, SEGMENT)[:, :, 8:-8] ** 2).mean(axis=(0, 2)))
    on, off = rms[0::2], rms[1::2]
    # every tone segment is loud and every gap quiet, in every frame of the clip (measured
    # 0.435 and 0.001; without position the gaps are as loud as the tone, 0.27-0.40)
    assert on.min() > 0.2, rms
    assert off.max() < 0.5 * on.min(), rms
