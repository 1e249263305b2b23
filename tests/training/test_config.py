"""Config routing and validation: preset < config < overrides, keys routed by name, every
bad value refused before anything is written."""

from __future__ import annotations

import json

import pytest

from pysynth.errors import ParameterError


def test_bad_configs_raise_before_training(tones, tmp_path):
    from pysynth.training import train

    cases = [
        ({"levls": 256}, "did you mean 'levels'"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr_schedule": "linear"}, "lr_schedule"),
        ({"dilations": [1, -2]}, "dilations"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"tensorboard": "yes"}, "tensorboard"),
        ({"conditioning_classes": 1}, "2 labels"),
    ]
    for overrides, word in cases:
        with pytest.raises(ParameterError, match=word):
            train(tones, arch="wavenet", run=tmp_path / "r", overrides=overrides, verbose=0)
    with pytest.raises(ParameterError, match="preset"):
        train(tones, arch="wavenet", run=tmp_path / "r", preset="huge", verbose=0)
    with pytest.raises(ParameterError, match="not a run folder"):
        train(tones, arch="wavenet", run=tmp_path / "nothing", resume=True, verbose=0)
    with pytest.raises(ParameterError, match="seed must be an integer"):
        train(tones, arch="wavenet", run=tmp_path / "r", seed=1.5, verbose=0)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("name", "value", "word"),
    [
        ("epochs", 0, "train epochs must be an integer >= 1, got 0"),
        ("validate_every", -1, "train validate_every must be an integer >= 0"),
        ("validation_seconds", -1.0, "train validation_seconds must be a number >= 0"),
        ("learning_rate", 0.0, "train learning_rate must be a number > 0"),
        ("lr_decay", 1.5, "train lr_decay must be a number > 0.0 and <= 1.0"),
        ("keep_checkpoints", True, "train keep_checkpoints must be an integer"),
        ("max_minutes", float("nan"), "train max_minutes must be a number >= 0"),
    ],
)
def test_train_config_names_the_bad_value(name, value, word):
    from pysynth.training import TrainConfig

    with pytest.raises(ParameterError, match=word):
        TrainConfig(**{name: value}).validate()


def test_keys_route_by_name_and_later_sources_win(tmp_path):
    from pysynth.training import TrainConfig, resolve_config

    path = tmp_path / "config.yaml"
    path.write_text("residual_channels: 8\nepochs: 3\nlearning_rate: 0.5\n")
    model, train = resolve_config("wavenet", config=path, overrides={"learning_rate": 0.25},
                                  preset="small")
    assert model.residual_channels == 8
    assert train.epochs == 3
    assert train.learning_rate == 0.25
    assert train == TrainConfig(epochs=3, learning_rate=0.25)
    # a run's config.json (model and train sections) reads back to the same configs
    run_config = tmp_path / "run-config.json"
    run_config.write_text(json.dumps({"model": {"residual_channels": 8}, "train": {"epochs": 3}}))
    again, train2 = resolve_config("wavenet", config=run_config)
    assert again.residual_channels == 8
    assert train2.epochs == 3


def test_a_key_both_configs_declare_goes_to_both():
    """SampleRNN's batch_size sizes its carried state and the loop's batches alike."""
    from pysynth.training import resolve_config

    model, train = resolve_config("samplernn", overrides={"batch_size": 5})
    assert model.batch_size == 5
    assert train.batch_size == 5


def test_a_config_file_that_is_not_a_mapping_is_refused(tmp_path):
    from pysynth.training import resolve_config

    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(ParameterError, match="mapping"):
        resolve_config("wavenet", config=path)


def test_renamed_keys_are_read_under_their_old_names():
    """An architecture's ``config_aliases`` route an old key to the model config (run
    folders and config files written before a rename still load); the current name wins."""
    import dataclasses

    from pysynth.arch import Architecture
    from pysynth.training import resolve_config

    @dataclasses.dataclass
    class Config:
        seq_len: int = 16

    class Renamed(Architecture):
        name = "renamed"
        config_class = Config
        config_aliases = {"window": "seq_len"}  # noqa: RUF012 - a class constant

    model, _ = resolve_config(Renamed(), config={"window": 32})
    assert model.seq_len == 32
    model, _ = resolve_config(Renamed(), config={"window": 32}, overrides={"seq_len": 8})
    assert model.seq_len == 8
    with pytest.raises(ParameterError, match="did you mean 'seq_len'"):
        resolve_config(Renamed(), config={"seq_le": 8})
