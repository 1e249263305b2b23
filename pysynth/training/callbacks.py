"""The run's own Keras callbacks, one job each, and the order they run in at the end of an
epoch (which is the order of their effects on disk, so that resume stays exact).

They share the run's state dict (what state.json holds); :func:`run_callbacks` lists them
in order. Imports Keras: the loop imports this module only once it trains.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ..files import write_json
from ..sampling.defaults import min_p_for
from .run import checkpoint_name, read_run_config, save_checkpoint, write_history, write_state
from .samples import QUALITY_CLIPS, generate_samples, sample_quality, write_samples
from .validation import validation_nll

LN2 = math.log(2.0)


def should_stop(epoch: int, best_epoch: int | None, patience: int) -> bool:
    """Early stopping: ``patience`` epochs (> 0) have passed without a better score."""
    return bool(patience) and best_epoch is not None and epoch - best_epoch >= patience


class TimeBudget(keras.callbacks.Callback):
    """Stop after the first epoch that ends more than ``minutes`` after training started;
    the run is not finished, so ``--resume`` continues it."""

    def __init__(self, minutes: float) -> None:
        super().__init__()
        self.minutes = minutes

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self.minutes and time.perf_counter() - self._started > 60.0 * self.minutes:
            self.model.stop_training = True


class ScoreValidation(keras.callbacks.Callback):
    """Every ``every`` epochs and after the last one (the last of ``epochs``, or one after
    which training stops, e.g. out of time), put the NLL of the whole validation clips in
    the epoch's logs (``val_nll_bits``; ``val_loss`` in nats; ``val_seconds``, what
    scoring took), where the history, the best epoch, early stopping, TensorBoard and the
    progress line read it (callbacks share one ``logs`` dict)."""

    def __init__(self, arch, config, clips, *, every: int, epochs: int) -> None:
        super().__init__()
        self.arch, self.config, self.clips = arch, config, clips
        self.every, self.epochs = every, epochs

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        last = done == self.epochs or self.model.stop_training
        if logs is None or not (done % self.every == 0 or last):
            return
        t0 = time.perf_counter()
        bits = validation_nll(self.arch, self.model, self.config, self.clips)
        logs.update(val_nll_bits=bits, val_loss=bits * LN2,
                    val_seconds=round(time.perf_counter() - t0, 3))


class EpochHistory(keras.callbacks.Callback):
    """Add the epoch's row (losses, learning rate, seconds, and the ``quality_*`` figures
    of an epoch with samples) to the history and count it."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__()
        self.state = state

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {"epoch": epoch + 1}
        for k in ("loss", "nll_bits", "val_loss", "val_nll_bits", "val_seconds"):
            if k in logs:
                row[k] = float(logs[k])
        row["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))
        row["seconds"] = round(time.perf_counter() - self._t0, 3)
        # sorted, as rows read back from state.json are: history.csv's columns then come out
        # in one order for a resumed run and an uninterrupted one
        row.update(sorted((k, float(v)) for k, v in logs.items() if k.startswith("quality_")))
        self.state["epoch"] = epoch + 1
        self.state["history"] = [*self.state["history"], row]


class SaveCheckpoint(keras.callbacks.Callback):
    """Write the epoch's checkpoint (weights and optimizer) and add it to the kept list."""

    def __init__(self, run: Path, state: dict[str, Any]) -> None:
        super().__init__()
        self.run, self.state = run, state

    def on_epoch_end(self, epoch, logs=None):
        name = checkpoint_name(epoch + 1)
        save_checkpoint(self.run / "checkpoints" / name, self.model, epoch + 1)
        self.state["checkpoints"] = [*self.state["checkpoints"], name]


class TrackBest(keras.callbacks.Callback):
    """Remember the epoch with the lowest ``key`` in its logs: ``val_nll_bits``, or
    ``nll_bits`` for a run without validation. Epochs without the key (not validated)
    cannot be the best."""

    def __init__(self, state: dict[str, Any], key: str) -> None:
        super().__init__()
        self.state, self.key = state, key

    def on_epoch_end(self, epoch, logs=None):
        score = (logs or {}).get(self.key)
        score = None if score is None else float(score)
        best = self.state["best_val_nll_bits"]
        if score is not None and math.isfinite(score) and (best is None or score < best):
            self.state["best_val_nll_bits"], self.state["best_epoch"] = score, epoch + 1


class EarlyStop(keras.callbacks.Callback):
    """Stop for good (``stopped_early``) after ``patience`` epochs without a better score,
    deciding only at epochs that have one (``key`` in the logs): between validations the
    last validated figure stands."""

    def __init__(self, state: dict[str, Any], patience: int, key: str) -> None:
        super().__init__()
        self.state, self.patience, self.key = state, patience, key

    def on_epoch_end(self, epoch, logs=None):
        if self.key not in (logs or {}):
            return
        if should_stop(epoch + 1, self.state["best_epoch"], self.patience):
            self.state["stopped_early"] = True
            self.model.stop_training = True


class WriteState(keras.callbacks.Callback):
    """Write state.json and history.csv (after the checkpoint they name is on disk)."""

    def __init__(self, run: Path, state: dict[str, Any]) -> None:
        super().__init__()
        self.run, self.state = run, state

    def on_epoch_end(self, epoch, logs=None):
        write_state(self.run, self.state)
        write_history(self.run / "history.csv", self.state["history"])


class PruneCheckpoints(keras.callbacks.Callback):
    """Delete all but the last ``keep`` checkpoints and the best one, then record that.

    Files go first, then state.json: an interruption in between leaves names of deleted
    checkpoints in state.json, never a kept checkpoint that state.json does not name.
    """

    def __init__(self, run: Path, state: dict[str, Any], keep: int) -> None:
        super().__init__()
        self.run, self.state, self.keep = run, state, keep

    def on_epoch_end(self, epoch, logs=None):
        names = self.state["checkpoints"]
        keep = set(names[-self.keep:])
        if self.state["best_epoch"] is not None:
            keep.add(checkpoint_name(self.state["best_epoch"]))
        for old in names:
            if old not in keep:
                (self.run / "checkpoints" / old).unlink(missing_ok=True)
        self.state["checkpoints"] = [c for c in names if c in keep]
        write_state(self.run, self.state)


class ShowProgress(keras.callbacks.Callback):
    """Training progress on stderr, as the rest of pysynth shows it: one line per epoch
    (epoch, train and validation NLL, seconds, and the time left of a budget) and, with
    ``bar`` on a terminal, a tqdm bar over the epoch's steps. Runs after the callbacks that
    put the validation NLL in the logs. stdout stays free for the command's results."""

    def __init__(self, *, epochs: int, minutes: float, bar: bool) -> None:
        super().__init__()
        self.epochs, self.minutes, self.bar = epochs, minutes, bar
        self._steps = None

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm.auto import tqdm

        self._t0 = time.perf_counter()
        if self.bar:  # disable=None: no bar where stderr is not a terminal (logs, CI)
            self._steps = tqdm(total=self.params.get("steps"), desc=self._name(epoch),
                               unit="step", file=sys.stderr, leave=False, disable=None,
                               dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._steps is not None:
            self._steps.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self._steps is not None:
            self._steps.close()
            self._steps = None
        print(self.line(epoch, logs or {}), file=sys.stderr, flush=True)

    def _name(self, epoch: int) -> str:
        # a time-budgeted run asks for an epoch count it never reaches: no total then
        return f"epoch {epoch + 1}" + ("" if self.minutes else f"/{self.epochs}")

    def line(self, epoch: int, logs: dict) -> str:
        """``pysynth train: epoch 3/20: train 5.123, validation 5.456 bits/sample, 12.3 s``,
        then ``, 4.2 min of the budget left`` for a time-budgeted run."""
        nll = [f"{name} {float(logs[key]):.3f}"
               for name, key in (("train", "nll_bits"), ("validation", "val_nll_bits"))
               if key in logs]
        fields = [", ".join(nll) + " bits/sample"] if nll else []
        fields.append(f"{time.perf_counter() - self._t0:.1f} s")
        if self.minutes:
            left = max(0.0, 60.0 * self.minutes - (time.perf_counter() - self._started))
            fields.append(f"{left / 60:.1f} min of the budget left")
        return f"pysynth train: {self._name(epoch)}: " + ", ".join(fields)


class WriteSamples(keras.callbacks.Callback):
    """Every ``tcfg.sample_every`` epochs, export the model in memory, generate
    ``max(sample_count, QUALITY_CLIPS)`` clips, write the first ``sample_count`` as
    ``samples/epoch-NNN/sample-KK.wav``, evaluate them all against the run's dataset
    (``samples/epoch-NNN/quality.json``, the whole report) and put the key figures in the
    epoch's logs (``quality_*``), where the history row, TensorBoard and the progress line
    read them."""

    def __init__(self, run: Path, arch, config, tcfg, *, seed: int, classes: int,
                 dataset: str, labels: list[str], progress: bool = False) -> None:
        super().__init__()
        self.run, self.arch, self.config, self.tcfg = run, arch, config, tcfg
        self.seed, self.classes, self.dataset, self.labels = seed, classes, dataset, labels
        self.progress = progress

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if not (self.tcfg.sample_every and done % self.tcfg.sample_every == 0):
            return
        program, tensors = self.arch.export(self.model, self.config)
        count = self.tcfg.sample_count
        audio, cond = generate_samples(
            program, tensors, n=max(count, QUALITY_CLIPS), seconds=self.tcfg.sample_seconds,
            temperature=self.tcfg.sample_temperature,
            min_p=min_p_for(program, self.tcfg.sample_min_p),
            seed=self.seed + done,
            classes=self.classes)
        folder = self.run / "samples" / f"epoch-{done:03d}"
        write_samples(audio[:count], folder, int(program["sample_rate"]))
        figures, report = sample_quality(audio, cond, self.dataset, self.labels,
                                         progress=self.progress)
        if report is not None:
            write_json(folder / "quality.json", report.to_dict())
        if logs is not None:
            logs.update(figures)


def run_callbacks(run: Path, state: dict[str, Any], arch, config, tcfg, *, seed: int,
                  classes: int, validation=None,
                  verbose: int = 0) -> list[keras.callbacks.Callback]:
    """The run's callbacks in the order their effects must happen: decide whether time is
    up (so that the epoch training stops after is validated; scoring is not counted
    against the budget), score the validation clips (``validation``, a
    :class:`~.validation.ValidationClips`, or None) and write and evaluate the samples
    before anything reads their figures, record the epoch and decide on early stopping in
    memory, write the checkpoint before state.json names it, then prune. Samples belong to
    their epoch: an interruption while sampling repeats the epoch, so a resumed run's
    history equals an uninterrupted one's, quality figures included. The samples are
    evaluated against the dataset and labels the run's config.json records (what it
    trains on, whatever the caller passed). Last, with ``verbose``, the epoch's line on
    stderr (1: with a bar over the steps on a terminal, 2: the lines only)."""
    validating = validation is not None and tcfg.validate_every > 0
    key = "val_nll_bits" if validating else "nll_bits"
    scoring = [ScoreValidation(arch, config, validation, every=tcfg.validate_every,
                               epochs=tcfg.epochs)] if validating else []
    saved = read_run_config(run)
    return [
        TimeBudget(tcfg.max_minutes),
        *scoring,
        WriteSamples(run, arch, config, tcfg, seed=seed, classes=classes,
                     dataset=saved["dataset"], labels=saved["labels"], progress=bool(verbose)),
        EpochHistory(state),
        SaveCheckpoint(run, state),
        TrackBest(state, key),
        EarlyStop(state, tcfg.patience, key),
        WriteState(run, state),
        PruneCheckpoints(run, state, tcfg.keep_checkpoints),
        *([ShowProgress(epochs=tcfg.epochs, minutes=tcfg.max_minutes, bar=verbose == 1)]
          if verbose else []),
    ]
