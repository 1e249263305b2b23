"""The run folder: config.json, state.json, history.csv and checkpoints/, and the checks
that decide whether a folder may start a new run or resume an old one.

Every file is written atomically, and a checkpoint before ``state.json`` names it, so an
interruption at any point leaves a resumable run (docs/training.md, "The run folder").
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, PysynthError
from ..files import atomic_write_bytes, write_json

RUN_FORMAT = "pysynth-run"
RUN_VERSION = 1

#: history.csv's columns, in this order, before any others a callback logs
HISTORY_COLUMNS = ("epoch", "loss", "nll_bits", "val_loss", "val_nll_bits", "learning_rate",
                   "seconds", "val_seconds")

__all__ = [
    "HISTORY_COLUMNS",
    "RUN_FORMAT",
    "RUN_VERSION",
    "check_run",
    "checkpoint_name",
    "load_checkpoint",
    "new_state",
    "read_run_config",
    "read_state",
    "save_checkpoint",
    "start_run",
    "write_history",
    "write_state",
]


# -- config.json and state.json ------------------------------------------------------------


def read_run_config(run: str | os.PathLike) -> dict[str, Any]:
    """A run's ``config.json``: ``arch``, ``preset``, ``seed``, ``labels``, ``model``, ``train``."""
    path = Path(run) / "config.json"
    if not path.is_file():
        raise PysynthError(f"{run}: not a pysynth run folder (no config.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != RUN_FORMAT:
        raise PysynthError(f"{path}: not a pysynth run config")
    return data


def read_state(run: str | os.PathLike) -> dict[str, Any]:
    """A run's ``state.json``: completed epochs, checkpoints, best epoch, history."""
    path = Path(run) / "state.json"
    if not path.is_file():
        raise PysynthError(f"{run}: not a pysynth run folder (no state.json); train one first")
    return json.loads(path.read_text(encoding="utf-8"))


def new_state() -> dict[str, Any]:
    """The state of a run before its first epoch."""
    return {"epoch": 0, "checkpoints": [], "best_epoch": None, "best_val_nll_bits": None,
            "history": [], "stopped_early": False}


def write_state(run: Path, state: dict[str, Any]) -> None:
    write_json(run / "state.json", state)


def write_history(path: Path, history: list[dict[str, Any]]) -> None:
    """Write the per-epoch rows as CSV, columns in :data:`HISTORY_COLUMNS` order first."""
    # a fixed order first: rows read back from state.json after a resume have sorted keys
    cols = [c for c in HISTORY_COLUMNS if any(c in row for row in history)]
    for row in history:
        cols += [k for k in row if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in history:
        w.writerow(row)
    atomic_write_bytes(path, buf.getvalue().encode())


# -- starting and resuming -----------------------------------------------------------------


def _config_differences(saved: dict[str, Any], run_config: dict[str, Any]) -> list[str]:
    """What a resume would change in the run's config (what must not change, that is)."""
    differ = []
    for section in ("model", "train"):  # "describe" is derived from "model"
        for k in sorted(set(saved.get(section, {})) | set(run_config[section])):
            if section == "train" and k == "max_minutes":
                continue  # a time budget does not change what is computed
            if section == "train" and k == "epochs" and run_config["train"].get(
                "lr_schedule"
            ) != "cosine":
                continue  # training longer is what resuming is for
            a, b = saved.get(section, {}).get(k), run_config[section].get(k)
            if a != b:
                differ.append(f"{k}: {a!r} in the run, {b!r} now")
    if saved.get("arch") != run_config["arch"]:
        differ.insert(0, f"arch: {saved.get('arch')!r} in the run, {run_config['arch']!r} now")
    return differ


def check_run(run: Path, *, resume: bool, run_config: dict[str, Any],
              saved: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check the run folder against ``resume``; return the saved state (or None).

    A new run needs a new or empty folder; a resumed one needs a run folder whose config
    ``saved`` (its config.json, keys under their current names) equals ``run_config``
    (except ``epochs`` and ``max_minutes``).
    """
    if not resume:
        if run.exists() and (not run.is_dir() or any(run.iterdir())):
            raise ParameterError(
                f"run folder {str(run)!r} is not empty; pass resume=True (--resume) to "
                "continue it, or choose a new folder"
            )
        return None
    if saved is None:
        raise ParameterError(f"cannot resume {str(run)!r}: it is not a run folder (no config.json)")
    differ = _config_differences(saved, run_config)
    if differ:
        raise ParameterError(
            f"cannot resume {str(run)!r} with a different config ({'; '.join(differ)}); "
            "resume without config options to use the run's own config"
        )
    return read_state(run) if (run / "state.json").is_file() else None


def start_run(run: Path, run_config: dict[str, Any], state: dict[str, Any] | None) -> dict:
    """Create the folder, write config.json and (for a new run) the first state.json;
    return the state to continue from."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "checkpoints").mkdir(exist_ok=True)
    write_json(run / "config.json", run_config)
    if state is None:
        state = new_state()
        write_state(run, state)
    return state


# -- checkpoints ---------------------------------------------------------------------------


def checkpoint_name(epoch: int) -> str:
    return f"epoch-{epoch:03d}.npz"


def save_checkpoint(path: Path, model, epoch: int) -> None:
    """Model weights and optimizer variables (Adam moments, step count) in one npz,
    written atomically: a crash leaves either the old file or the new one."""
    arrays = {f"model/{i:04d}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    opt = model.optimizer
    for i, v in enumerate(opt.variables):
        arrays[f"optimizer/{i:04d}"] = np.asarray(v)
    arrays["epoch"] = np.asarray(epoch)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path, model, *, optimizer: bool) -> None:
    """Load a checkpoint's weights into ``model`` (and, with ``optimizer``, the optimizer's
    variables, so that a resumed run continues its schedule and Adam moments)."""
    try:
        with np.load(path) as f:
            names = sorted(f.files)
            weights = [f[k] for k in names if k.startswith("model/")]
            opt_vals = [f[k] for k in names if k.startswith("optimizer/")]
    except Exception as exc:
        raise PysynthError(f"{path}: unreadable checkpoint ({exc})") from None
    model.set_weights(weights)
    if optimizer:
        opt = model.optimizer
        opt.build(model.trainable_variables)
        if len(opt.variables) != len(opt_vals):
            raise PysynthError(f"{path}: optimizer state does not match the model")
        for var, val in zip(opt.variables, opt_vals):
            var.assign(val)
