"""The validation NLL a run reports is the NLL of whole validation clips, equal to what
``pysynth score`` says about the exported model on the same clips; the clips it scores are
a fixed, recorded subset spread over the labels."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import pysynth
from pysynth.dataset import Dataset
from pysynth.errors import DatasetError

SR = 16000  # the tones fixture's sample rate

#: A tiny WaveNet without conditioning (the ``tiny`` fixture's model is conditioned).
PLAIN = {"conditioning_classes": 0, "sample_every": 0, "steps_per_epoch": 20}

#: A tiny SampleRNN, as in tests/plugins/test_samplernn_train.py.
TINY_SAMPLERNN = {
    "frame_sizes": [4, 16], "dim": 32, "embed_dim": 16, "seq_len": 128, "batch_size": 2,
    "steps_per_epoch": 20, "learning_rate": 0.005, "sample_every": 0, "tensorboard": False,
}


def _scored(run, ds, tmp_path, *, labels: bool):
    """What ``pysynth score`` says about the run's last epoch, exported, on the clips the
    run's config.json names (with their labels' classes when ``labels``)."""
    model = pysynth.export(run, tmp_path / "last.pysynth", checkpoint="last")
    names = json.loads((run / "config.json").read_text())["validation"]["clips"]
    clips = [c for c in ds.clips("validation") if c.id in names]
    assert [c.id for c in clips] == names
    cond = None
    if labels:
        classes = pysynth.load_model(model).metadata["labels"]
        cond = [classes.index(c.label) for c in clips]
    return pysynth.score(model, [ds.path(c) for c in clips], cond=cond)


def _clip(cid, label, seconds=1.0, split="validation"):
    return SimpleNamespace(id=cid, label=label, duration=seconds, split=split)


# -- which clips --------------------------------------------------------------------------


def test_all_clips_when_they_fit_the_budget_or_it_is_zero():
    from pysynth.training.validation import choose_clips

    clips = [_clip(f"c{i}", "ab"[i % 2]) for i in range(6)]
    assert choose_clips(clips, 6.0) == clips
    assert choose_clips(clips, 0) == clips
    assert choose_clips([*clips, _clip("empty", "a", 0.0)], 0) == clips  # nothing to score


def test_a_subset_takes_turns_over_the_labels_and_keeps_the_manifest_order():
    from pysynth.training.validation import choose_clips

    # 12 kicks, 3 snares, 1 hat: 5 seconds take the hat, all snares' share, and kicks
    clips = [_clip(f"k{i}", "kick") for i in range(12)]
    clips += [_clip(f"s{i}", "snare") for i in range(3)] + [_clip("h0", "hat")]
    chosen = choose_clips(clips, 5.0)
    assert len(chosen) == 5
    labels = [c.label for c in chosen]
    assert labels.count("hat") == 1
    assert labels.count("snare") == 2
    assert labels.count("kick") == 2
    position = {c.id: i for i, c in enumerate(clips)}
    assert [position[c.id] for c in chosen] == sorted(position[c.id] for c in chosen)
    # deterministic: the same clips every time, whatever the run
    assert [c.id for c in choose_clips(clips, 5.0)] == [c.id for c in chosen]
    # a bigger budget extends the subset: the first clips stay
    assert {c.id for c in chosen} <= {c.id for c in choose_clips(clips, 9.0)}


def test_at_least_one_clip_and_never_past_the_budget():
    from pysynth.training.validation import choose_clips

    clips = [_clip("long", "a", 10.0), _clip("b", "b", 1.0)]
    assert [c.id for c in choose_clips(clips, 0.5)] == ["long"]  # label a's turn comes first
    mixed = [_clip(f"c{i}", "a", 0.4 + 0.1 * i) for i in range(8)]
    assert sum(c.duration for c in choose_clips(mixed, 2.0)) <= 2.0


def test_a_run_validates_on_the_clips_it_recorded(tones, tmp_path):
    from pysynth.training.validation import load_validation

    ds = Dataset.open(tones)
    v = load_validation(ds, seconds=0, labels=["high", "low"], conditioned=True)
    assert (v.ids, list(v.class_ids), v.available) == (["c2", "c3"], [1, 0], 2)
    assert v.samples == 2 * SR
    assert "2 of 2 clips (2.0 s of audio)" in v.describe(SR, 1)
    again = load_validation(ds, seconds=0, labels=["high", "low"], conditioned=False,
                            ids=["c3"])
    assert again.ids == ["c3"]
    assert again.class_ids is None
    with pytest.raises(DatasetError, match=r"no longer holds \('c9'\)"):
        load_validation(ds, seconds=0, labels=[], conditioned=False, ids=["c9"])
    with pytest.raises(DatasetError, match="'c2' has label 'low', not one of the run's"):
        load_validation(ds, seconds=0, labels=["high"], conditioned=True)


# -- the reported figure equals pysynth score -----------------------------------------------


@pytest.mark.keras
def test_conditioned_wavenet_reports_the_score_of_its_validation_clips(wavenet_run, tones,
                                                                       tmp_path):
    run, result = wavenet_run
    assert json.loads((run / "config.json").read_text())["validation"] == {"clips": ["c2", "c3"]}
    reported = result["history"][-1]["val_nll_bits"]
    assert reported == pytest.approx(_scored(run, Dataset.open(tones), tmp_path, labels=True),
                                     abs=0.05)
    # the dataset folder's own labels pick the classes: the same figure, no cond needed
    model = tmp_path / "last.pysynth"
    per_clip = pysynth.score(model, tones, per_clip=True)
    assert per_clip[2:].mean() == pytest.approx(reported, abs=0.05)


@pytest.mark.keras
def test_wavenet_validates_on_a_recorded_subset_and_reports_its_score(dataset_of, sine,
                                                                      tiny, tmp_path):
    from pysynth.training import train

    clips = [(f"t{i}", sine(f, seconds=0.25, phase=i), "train", name)
             for i, (f, name) in enumerate([(200, "low"), (500, "high"), (800, "bell")] * 2)]
    clips += [(f"v{i}", sine(f, seconds=0.25, phase=i), "validation", name)
              for i, (f, name) in enumerate([(200, "low"), (500, "high"), (800, "bell")] * 3)]
    root = dataset_of(tmp_path / "ds", clips)
    run = tmp_path / "run"
    result = train(root, arch="wavenet", run=run, overrides={**tiny, **PLAIN,
                   "validation_seconds": 0.75}, epochs=2, seed=1, verbose=0)
    ds = Dataset.open(root)
    chosen = json.loads((run / "config.json").read_text())["validation"]["clips"]
    assert len(chosen) == 3  # 0.75 s of 0.25-s clips, one of each label
    assert {c.label for c in ds.clips("validation") if c.id in chosen} == {"low", "high", "bell"}
    reported = result["history"][-1]["val_nll_bits"]
    assert reported < 8.0
    assert reported == pytest.approx(_scored(run, ds, tmp_path, labels=False), abs=0.05)


@pytest.mark.keras
def test_samplernn_reports_the_score_of_whole_validation_clips(tones, tmp_path):
    from pysynth.training import train

    run = tmp_path / "srnn"
    result = train(tones, arch="samplernn", run=run, overrides=TINY_SAMPLERNN, epochs=2,
                   seed=0, verbose=0)
    reported = result["history"][-1]["val_nll_bits"]
    assert reported < result["history"][0]["val_nll_bits"]
    # tones has two labels: by default (conditioning_classes=-1) the model is conditioned
    assert reported == pytest.approx(_scored(run, Dataset.open(tones), tmp_path, labels=True),
                                     abs=0.05)


@pytest.mark.keras
@pytest.mark.parametrize("arch", ["wavenet", "samplernn"])
def test_a_preemphasis_model_trains_exports_and_validates_like_its_score(arch, tones, tiny,
                                                                        tmp_path):
    # training encodes clips through the filter, pysynth score does the same from the
    # exported program: the validation figure is the score of the same clips
    from pysynth.training import train

    run = tmp_path / arch
    config = {**(tiny if arch == "wavenet" else TINY_SAMPLERNN), **PLAIN, "preemphasis": 0.85}
    result = train(tones, arch=arch, run=run, overrides=config, epochs=1, seed=0, verbose=0)
    model = pysynth.export(run, tmp_path / "m.pysynth")
    assert pysynth.load_model(model).program["preemphasis"] == 0.85
    reported = result["history"][-1]["val_nll_bits"]
    assert reported < 8.0
    assert reported == pytest.approx(_scored(run, Dataset.open(tones), tmp_path, labels=False),
                                     abs=0.05)


# -- how often, and what reads the figure ---------------------------------------------------


@pytest.mark.keras
def test_validate_every_scores_some_epochs_and_the_last(tones, tiny, tmp_path):
    from pysynth.training import read_state, train

    run = tmp_path / "every"
    config = {**tiny, **PLAIN, "steps_per_epoch": 3, "validate_every": 2}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=3, verbose=0)
    state = read_state(run)
    scored = [row["epoch"] for row in state["history"] if "val_nll_bits" in row]
    assert scored == [2, 3]
    best = min((row for row in state["history"] if "val_nll_bits" in row),
               key=lambda row: row["val_nll_bits"])
    assert (state["best_epoch"], state["best_val_nll_bits"]) == (best["epoch"],
                                                                 best["val_nll_bits"])
    assert "val_seconds" in (run / "history.csv").read_text().splitlines()[0]


@pytest.mark.keras
def test_the_epoch_a_time_budget_ends_is_validated(tones, tiny, tmp_path):
    from pysynth.training import read_state, train

    run = tmp_path / "budget"
    config = {**tiny, **PLAIN, "steps_per_epoch": 3, "validate_every": 5, "max_minutes": 1e-6}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=10, verbose=0)
    state = read_state(run)
    assert state["epoch"] == 1  # out of time after the first epoch
    assert "val_nll_bits" in state["history"][0]
    assert state["best_epoch"] == 1


@pytest.mark.keras
def test_without_validation_the_best_epoch_is_chosen_by_training_nll(tones, tiny, tmp_path):
    from pysynth.training import read_run_config, read_state, train

    run = tmp_path / "none"
    config = {**tiny, **PLAIN, "steps_per_epoch": 3, "validate_every": 0}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=2, verbose=0)
    state = read_state(run)
    assert all("val_nll_bits" not in row for row in state["history"])
    best = min(state["history"], key=lambda row: row["nll_bits"])
    assert state["best_epoch"] == best["epoch"]
    assert "validation" not in read_run_config(run)


def test_validation_steps_of_old_configs_is_ignored_with_a_warning():
    from pysynth.training import TrainConfig, resolve_config

    with pytest.warns(FutureWarning, match="validation_steps is ignored"):
        _, tcfg = resolve_config("wavenet", config={"train": {"validation_steps": 4}})
    assert tcfg == TrainConfig()


@pytest.mark.keras
def test_a_run_from_before_whole_clip_validation_resumes(tones, tiny, tmp_path):
    """A run folder whose config.json has ``validation_steps`` and neither
    ``validation_seconds`` nor ``validate_every`` nor a validation record resumes, with or
    without config options, and validates from then on."""
    from pysynth.training import read_state, train

    run = tmp_path / "old"
    config = {**tiny, **PLAIN, "steps_per_epoch": 2}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=1, verbose=0)
    saved = json.loads((run / "config.json").read_text())
    del saved["train"]["validation_seconds"], saved["train"]["validate_every"]
    del saved["validation"]
    saved["train"]["validation_steps"] = 10
    (run / "config.json").write_text(json.dumps(saved))
    assert train(tones, run=run, resume=True, epochs=2, verbose=0)["epochs"] == 2
    assert train(tones, run=run, overrides=config, resume=True, epochs=3,
                 verbose=0)["epochs"] == 3
    assert "val_nll_bits" in read_state(run)["history"][-1]
    assert "validation_steps" not in json.loads((run / "config.json").read_text())["train"]


def test_a_dataset_without_validation_clips_has_nothing_to_validate(dataset_of, sine,
                                                                     tmp_path):
    from pysynth.training.validation import load_validation

    root = dataset_of(tmp_path / "d", [("a", sine(seconds=0.1), "train", None)])
    assert load_validation(Dataset.open(root), seconds=0, labels=[""], conditioned=False) is None
