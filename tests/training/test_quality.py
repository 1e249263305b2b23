"""The quality figures of the samples a run writes: pysynth.evaluate of each sample epoch's
clips in the history row, history.csv, quality.json; equal after a resume; left empty where
the dataset is too small for them."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

SR = 16000
FIGURES = ("quality_noise_scale", "quality_noise_index", "quality_class_score",
           "quality_class_ratio", "quality_silent_share", "quality_clipped_share")


@pytest.mark.keras
def test_sample_epochs_carry_finite_quality_figures(wavenet_run):
    from pysynth.training.samples import QUALITY_CLIPS

    run, result = wavenet_run  # 2 epochs, samples at epoch 2, conditioned on 2 labels
    first, second = result["history"]
    assert not any(k.startswith("quality_") for k in first)  # no samples, no figures
    for k in FIGURES:
        assert math.isfinite(second[k]), k
    assert 0 <= second["quality_silent_share"] <= 1
    assert second["quality_clips"] == QUALITY_CLIPS  # sample_count 2 is topped up to 8
    assert second["quality_seconds"] >= 0
    # history.csv: the columns exist, empty for the epoch without samples
    rows = list(csv.DictReader((run / "history.csv").open()))
    assert rows[0]["quality_noise_scale"] == ""
    assert float(rows[1]["quality_noise_scale"]) == pytest.approx(second["quality_noise_scale"])
    assert json.loads((run / "state.json").read_text())["history"][1] == second
    # TensorBoard's training scalars have them too (the tag is in the event file's bytes)
    events = b"".join(p.read_bytes() for p in (run / "logs").rglob("events.out.tfevents*"))
    assert b"epoch_quality_noise_scale" in events
    # only sample_count clips are written; the whole report of all 8 sits beside them
    folder = run / "samples" / "epoch-002"
    assert sorted(p.name for p in folder.glob("*.wav")) == ["sample-00.wav", "sample-01.wav"]
    report = json.loads((folder / "quality.json").read_text())
    assert report["n_generated"] == QUALITY_CLIPS
    assert report["class_metric"] == "consistency"  # classes cycle: each clip has its label
    assert report["class_labels"] == ["high", "low"]
    assert report["noise_scale"] == pytest.approx(second["quality_noise_scale"])
    assert report["class_ratio"] == pytest.approx(second["quality_class_ratio"])


@pytest.mark.keras
def test_written_samples_are_the_first_of_the_evaluated_clips(wavenet_run):
    """Topping the evaluation up to 8 clips does not change the clips a run writes."""
    from pysynth.audio import load
    from pysynth.sampling import sample
    from pysynth.training.export import export

    run, _ = wavenet_run
    mf = export(run, run.parent / "q.pysynth", checkpoint=2)
    cfg = json.loads((run / "config.json").read_text())
    # with the run's sampling rule (pysynth sample's by default: the model family's min-p)
    from pysynth.modelfile import load_model
    from pysynth.sampling.defaults import min_p_for

    assert cfg["train"]["sample_min_p"] is None
    min_p = min_p_for(load_model(mf).program)
    two = sample(mf, n=2, seconds=cfg["train"]["sample_seconds"], seed=3 + 2,
                 cond=np.array([0, 1]), temperature=cfg["train"]["sample_temperature"],
                 min_p=min_p)
    for i in range(2):
        y, _ = load(run / "samples" / "epoch-002" / f"sample-{i:02d}.wav")
        np.testing.assert_allclose(y, two[i], atol=1 / 32768)


@pytest.mark.keras
def test_resumed_run_has_the_same_quality_figures(tones, wavenet_run, tiny, tmp_path):
    from pysynth.training import train

    run = tmp_path / "resumed"
    train(tones, arch="wavenet", run=run, overrides=tiny, epochs=1, seed=3, verbose=0)
    result = train(tones, arch="wavenet", run=run, epochs=2, resume=True, verbose=0)
    want = wavenet_run[1]["history"][1]
    got = result["history"][1]
    keys = sorted(k for k in want if k.startswith("quality_") and k != "quality_seconds")
    assert keys == sorted(k for k in got if k.startswith("quality_") and k != "quality_seconds")
    for k in keys:
        assert got[k] == pytest.approx(want[k], rel=1e-6, abs=1e-9), k
    header = (run / "history.csv").read_text().splitlines()[0]
    assert header == (wavenet_run[0] / "history.csv").read_text().splitlines()[0]


@pytest.mark.keras
def test_a_dataset_too_small_for_a_figure_leaves_it_empty(dataset_of, sine, tiny, tmp_path):
    """Two clips of one label: no class score (one class) and no Fréchet distance (it needs
    4 real clips), but the figures that need no more are there."""
    from pysynth.training import train

    root = dataset_of(tmp_path / "two", [("a", sine(200, amp=0.5), "train", "x"),
                                         ("b", sine(300, amp=0.5), "train", "x")])
    config = {**tiny, "steps_per_epoch": 2, "sample_every": 1, "conditioning_classes": 0}
    with pytest.warns(UserWarning, match="no validation clips"):
        result = train(root, arch="wavenet", run=tmp_path / "run", overrides=config,
                       epochs=1, verbose=0)
    row = result["history"][0]
    assert "quality_noise_scale" not in row
    assert "quality_class_score" not in row
    for k in ("quality_noise_index", "quality_silent_share", "quality_clipped_share"):
        assert math.isfinite(row[k]), k
    report = json.loads((tmp_path / "run" / "samples" / "epoch-001" / "quality.json").read_text())
    assert report["class_metric"] is None
    assert "fewer than 2 labels" in report["class_note"]
    assert "4 real clips" in report["fd_note"]
