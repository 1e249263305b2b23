"""Training hyperparameters (:class:`TrainConfig`) and the routing of config keys between the
architecture's config and the training loop's.

No TensorFlow here: configs are read, routed and validated before anything is built.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..arch import check_config_keys, current_names, get_architecture
from ..checks import check_bool, check_choice, check_int, check_number
from ..errors import ParameterError
from ..files import read_json_or_yaml
from ..sampling.defaults import TEMPERATURE

LR_SCHEDULES = ("constant", "exponential", "cosine", "budget")

#: Training keys that no longer do anything, read and ignored so that config files and run
#: folders written before they went still load: key -> what replaced it.
RETIRED_KEYS = {
    "validation_steps": "validation now scores whole clips (validation_seconds, "
                        "validate_every)",
}


@dataclass
class TrainConfig:
    """Training hyperparameters shared by every architecture.

    Attributes
    ----------
    epochs : int
        Epochs to train in total (a resumed run continues up to this number).
    batch_size : int
        Training windows per batch.
    steps_per_epoch : int
        Batches per epoch (windows are drawn at random, so an "epoch" is this many steps).
    validation_seconds : float
        Score at most this many seconds of validation audio: whole clips, a fixed subset
        spread over the labels when the split holds more (0: every validation clip).
    validate_every : int
        Score the validation clips every this many epochs, and after the last one (the
        one that spends ``max_minutes`` too). 0: never; the best epoch is then the one
        with the lowest training NLL.
    learning_rate : float
        Adam's initial learning rate.
    lr_schedule : str
        ``"constant"``, ``"exponential"`` (times ``lr_decay`` every epoch),
        ``"cosine"`` (to 1% of the initial rate at the last epoch) or ``"budget"`` (a
        cosine to 1% over the ``max_minutes`` time budget, set at each epoch start from the
        training time spent: :mod:`pysynth.training.budget`).
    lr_decay : float
        Per-epoch factor of the exponential schedule, in (0, 1].
    clip_norm : float
        Clip each gradient to this L2 norm (0: no clipping).
    patience : int
        Stop when validation NLL has not improved for this many epochs (0: never).
    keep_checkpoints : int
        Keep the last this many checkpoints (the best one is always kept too).
    sample_every : int
        Write audio samples every this many epochs (0: never).
    sample_count, sample_seconds, sample_temperature, sample_min_p : int, float, float, float
        How many samples, how long, with which sampling rule (default: ``pysynth sample``'s,
        :mod:`pysynth.sampling.defaults`; ``sample_min_p`` None: the model family's).
    tensorboard : bool
        Write TensorBoard logs to RUN/logs.
    max_minutes : float
        Time budget: stop after the first epoch that ends later than this many minutes
        after training started (0: none). The run stays resumable.
    """

    epochs: int = 20
    batch_size: int = 8
    steps_per_epoch: int = 100
    validation_seconds: float = 10.0
    validate_every: int = 1
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    lr_decay: float = 0.9
    clip_norm: float = 1.0
    patience: int = 0
    keep_checkpoints: int = 3
    sample_every: int = 5
    sample_count: int = 2
    sample_seconds: float = 1.0
    sample_temperature: float = TEMPERATURE
    sample_min_p: float | None = None
    tensorboard: bool = True
    max_minutes: float = 0.0

    def validate(self) -> TrainConfig:
        """Check every value; raise :class:`ParameterError` naming the first bad one."""
        for name, lo in (("epochs", 1), ("batch_size", 1), ("steps_per_epoch", 1),
                         ("validate_every", 0)):
            setattr(self, name, check_int(getattr(self, name), name, lo=lo, owner="train"))
        self.validation_seconds = check_number(self.validation_seconds, "validation_seconds",
                                               lo=0.0, owner="train")
        self.learning_rate = check_number(self.learning_rate, "learning_rate", lo=0.0,
                                          lo_open=True, owner="train")
        check_choice(self.lr_schedule, "lr_schedule", LR_SCHEDULES, owner="train")
        self.lr_decay = check_number(self.lr_decay, "lr_decay", lo=0.0, hi=1.0, lo_open=True,
                                     owner="train")
        self.clip_norm = check_number(self.clip_norm, "clip_norm", lo=0.0, owner="train")
        for name, lo in (("patience", 0), ("keep_checkpoints", 1), ("sample_every", 0),
                         ("sample_count", 1)):
            setattr(self, name, check_int(getattr(self, name), name, lo=lo, owner="train"))
        self.sample_seconds = check_number(self.sample_seconds, "sample_seconds", lo=0.0,
                                           lo_open=True, owner="train")
        for name in ("sample_temperature", "max_minutes"):
            setattr(self, name, check_number(getattr(self, name), name, lo=0.0, owner="train"))
        if self.sample_min_p is not None:
            self.sample_min_p = check_number(self.sample_min_p, "sample_min_p", lo=0.0, hi=1.0,
                                             owner="train")
        self.tensorboard = check_bool(self.tensorboard, "tensorboard", owner="train")
        if self.lr_schedule == "budget" and not self.max_minutes:
            raise ParameterError("train lr_schedule 'budget' needs a time budget: set "
                                 "max_minutes (or use pysynth train --minutes N)")
        return self


def _read_config_file(path: Path) -> dict[str, Any]:
    data = read_json_or_yaml(path, what="config")
    if not isinstance(data, dict):
        raise ParameterError(f"config: {path} must hold a mapping of keys to values")
    return data


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    """Accept flat dicts and ``{"model": {...}, "train": {...}}`` (e.g. a run's config.json)."""
    if "model" in values or "train" in values:
        flat = dict(values.get("model") or {})
        flat.update(values.get("train") or {})
        return flat
    return dict(values)


def resolve_config(
    arch, *, config=None, overrides: dict[str, Any] | None = None, preset: str | None = None
):
    """Build ``(model_config, train_config)`` from a preset, a config and overrides.

    ``config`` is a path to a JSON/YAML file, a dict (flat, or with ``"model"`` and
    ``"train"`` sections as in a run's config.json) or an instance of the architecture's
    config class. Keys are routed to the model config or :class:`TrainConfig` by name; a
    key both declare (SampleRNN's ``batch_size``: its carried state has a batch dimension)
    goes to both, so one value configures the model and the loop; a key the architecture
    renamed (its ``config_aliases``) is read under its old name too; a retired key
    (:data:`RETIRED_KEYS`) is ignored with a ``FutureWarning``. Unknown keys raise
    :class:`ParameterError` with the closest known key. Later sources win: preset <
    config < overrides.
    """
    arch = get_architecture(arch)
    if isinstance(config, (str, os.PathLike)):
        values = _flatten(_read_config_file(Path(config)))
    elif isinstance(config, dict):
        values = _flatten(config)
    elif config is None:
        values = {}
    elif dataclasses.is_dataclass(config) and isinstance(config, arch.config_class):
        values = dataclasses.asdict(config)
    else:
        raise ParameterError(f"config must be a file, a dict or a {arch.config_class.__name__}")
    values = current_names(values, arch.config_aliases)
    values.update(current_names(overrides or {}, arch.config_aliases))
    for key in RETIRED_KEYS.keys() & values.keys():
        del values[key]
        warnings.warn(f"train {key} is ignored: {RETIRED_KEYS[key]}", FutureWarning,
                      stacklevel=3)
    model_keys = {f.name for f in dataclasses.fields(arch.config_class)} | set(arch.config_aliases)
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    check_config_keys(values, model_keys | train_keys, owner=arch.name)
    model_cfg = arch.make_config({k: v for k, v in values.items() if k in model_keys}, preset)
    train_cfg = TrainConfig(**{k: v for k, v in values.items() if k in train_keys}).validate()
    return model_cfg, train_cfg


#: epochs asked for by a time-budgeted run: an upper bound the budget ends long before
BUDGET_EPOCHS = 100_000


def budget_overrides(arch, minutes, overrides, epochs):
    """``(picked, overrides, epochs)`` for ``pysynth train --minutes``: the architecture's
    choice for the budget (:meth:`~pysynth.arch.Architecture.for_budget`, minus the keys the
    user set), the budget schedule and ``max_minutes``, under the user's own overrides."""
    minutes = check_number(minutes, "minutes", lo=0.0, lo_open=True, owner="train")
    user = dict(overrides or {})
    picked = {k: v for k, v in arch.for_budget(minutes).items() if k not in user}
    merged = {**picked, "lr_schedule": "budget", "max_minutes": minutes, **user}
    if epochs is None and "epochs" not in user:
        epochs = BUDGET_EPOCHS
    return picked, merged, epochs


def model_dict(arch, config) -> dict[str, Any]:
    """The architecture's config as the plain JSON dict stored in a run's config.json."""
    return json.loads(arch.config_to_json(config))


def saved_train_config(train: dict[str, Any]) -> dict[str, Any]:
    """A run's saved ``train`` section as this version reads it: retired keys dropped,
    keys added since the run was written at their defaults (so that resuming it without
    options compares equal to its own config)."""
    defaults = dataclasses.asdict(TrainConfig())
    return {**defaults, **{k: v for k, v in train.items() if k not in RETIRED_KEYS}}
