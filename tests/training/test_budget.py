"""Training for a time budget: ``pysynth train --minutes N`` (the architecture's pick, the
budget learning-rate schedule, the stop) and the lazily planned epochs it relies on."""

from __future__ import annotations

import itertools
import json

import pytest

from pysynth.errors import ParameterError
from pysynth.training import train
from pysynth.training.budget import budget_rate
from pysynth.training.config import BUDGET_EPOCHS, resolve_config


def test_budget_rate_is_a_cosine_from_the_rate_to_one_percent_over_the_budget():
    rates = [budget_rate(0.01, s, 100) for s in (0, 25, 50, 75, 100, 150)]
    assert rates[0] == 0.01
    assert rates[2] == pytest.approx(0.01 * (0.01 + 0.99 * 0.5))
    assert all(a > b for a, b in itertools.pairwise(rates[:5]))
    assert rates[4] == rates[5] == pytest.approx(1e-4)


def test_the_budget_schedule_needs_a_budget():
    with pytest.raises(ParameterError, match="max_minutes"):
        resolve_config("wavenet", overrides={"lr_schedule": "budget"})


def test_the_schedule_follows_the_seconds_the_run_has_spent():
    import keras

    from pysynth.training.budget import BudgetSchedule

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    state = {"history": []}
    cb = BudgetSchedule(state, 0.01, minutes=1.0)
    cb.set_model(model)
    seen = []
    for seconds in (20.0, 20.0, 20.0, 20.0):
        cb.on_epoch_begin(len(state["history"]))
        seen.append(float(model.optimizer.learning_rate.numpy()))
        state["history"].append({"seconds": seconds})
    assert seen == pytest.approx([budget_rate(0.01, s, 60.0) for s in (0, 20, 40, 60)])
    assert seen[-1] == pytest.approx(1e-4)


def test_minutes_sets_the_budget_and_stops_on_it(tones, tiny, tmp_path):
    over = {**tiny, "sample_every": 0, "steps_per_epoch": 5}
    result = train(tones, arch="wavenet", run=tmp_path / "run", overrides=over, minutes=0.001,
                   seed=1, verbose=0)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["train"]["lr_schedule"] == "budget"
    assert config["train"]["max_minutes"] == 0.001
    assert config["train"]["epochs"] == BUDGET_EPOCHS
    assert result["epochs"] == 1  # the budget, not the epochs, ended it
    assert result["history"][0]["learning_rate"] == pytest.approx(tiny["learning_rate"])


def test_the_users_keys_win_over_the_pick(monkeypatch, tones, tiny, tmp_path, capsys):
    from pysynth.arch import get_architecture

    arch = type(get_architecture("wavenet"))
    monkeypatch.setattr(arch, "for_budget", lambda self, minutes: {
        "filter_width": 3, "learning_rate": 0.002})
    over = {**tiny, "sample_every": 0, "learning_rate": 0.005}
    train(tones, arch="wavenet", run=tmp_path / "run", overrides=over, minutes=0.02,
          seed=1, verbose=1)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"]["filter_width"] == 3  # picked
    assert config["train"]["learning_rate"] == 0.005  # the user's
    err = capsys.readouterr().err
    assert "for 0.02 minutes: filter_width=3" in err
    assert "learning_rate=0.002" not in err


@pytest.mark.parametrize("arch", ["samplernn", "wavenet"])
def test_minutes_trains_with_preemphasis_and_exports_it(tones, tmp_path, arch):
    # the --minutes pick measured best on drums includes pre-emphasis 0.85 for both
    # families; the model file carries it, so sampling de-emphasizes (docs/benchmarks.md,
    # "Pre-emphasis" and "Pre-emphasis for WaveNet")
    import pysynth

    over = ({"dim": 16, "embed_dim": 8, "frame_sizes": [4, 16], "seq_len": 64}
            if arch == "samplernn" else {"dilations": [1, 2, 4], "seq_len": 64,
                                         "residual_channels": 8, "dilation_channels": 8})
    over |= {"batch_size": 2, "sample_every": 0, "steps_per_epoch": 2, "tensorboard": False}
    train(tones, arch=arch, run=tmp_path / "run", overrides=over, minutes=0.001,
          seed=1, verbose=0)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"]["preemphasis"] == 0.85
    # and more training on clip starts, where a one-shot's attack and class are decided
    assert config["model"]["start_share"] == (0.5 if arch == "wavenet" else 0.75)
    model = pysynth.export(tmp_path / "run", tmp_path / "m.pysynth")
    assert pysynth.load_model(model).program["preemphasis"] == 0.85


def test_the_wavenet_pick_is_one_stack_as_deep_in_time_as_the_preset():
    # one stack of dilations 1..256 (9 layers) covers the "small" preset's 32 ms as its two
    # stacks of 1..128 (16 layers) do, at 1.65x the steps per minute (docs/benchmarks.md,
    # "Seventh session")
    from pysynth.arch import get_architecture

    pick, _ = resolve_config("wavenet", overrides=get_architecture("wavenet").for_budget(10))
    preset, _ = resolve_config("wavenet")
    assert pick.dilations == [1 << i for i in range(9)]
    assert len(pick.dilations) < len(preset.dilations)
    assert pick.receptive_field >= preset.receptive_field == 512


def test_the_samplernn_pick_has_two_tiers():
    # one frame tier of 16 samples under the sample-level MLP (the paper's "2-tier" model)
    # instead of the default three tiers (docs/benchmarks.md, "Seventh session")
    from pysynth.arch import get_architecture

    pick, _ = resolve_config("samplernn",
                             overrides=get_architecture("samplernn").for_budget(10))
    assert pick.frame_sizes == [16]
    assert pick.tiers == 1 < resolve_config("samplernn")[0].tiers  # frame tiers, not the MLP
