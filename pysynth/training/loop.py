"""The training loop every architecture shares: ``pysynth.train``, from a dataset and a
config to a run folder, in steps (resolve the config, check the run folder, choose the
devices, build and compile the model, make the data, fit with the run's callbacks).

TensorFlow is imported only once a run has been checked and is about to be built.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from ..arch import get_architecture
from ..checks import check_int
from ..errors import DatasetError, ParameterError
from ..words import count
from .config import TrainConfig, budget_overrides, model_dict, resolve_config, saved_train_config
from .distribute import writes_run
from .losses import sample_nats, training_loss
from .run import (
    RUN_FORMAT,
    RUN_VERSION,
    check_run,
    load_checkpoint,
    new_state,
    read_run_config,
    start_run,
)
from .validation import load_validation

LN2 = math.log(2.0)


def compile_model(model, tcfg: TrainConfig, output: str = "softmax"):
    """Compile ``model`` with Adam (``tcfg``'s learning rate, schedule and clipping), the
    NLL of its ``output`` distribution (sparse categorical cross-entropy from logits, or the
    mol16 mixture's: :mod:`.losses`) and a weighted ``nll_bits`` metric; return the
    optimizer."""
    import keras

    lr: Any = tcfg.learning_rate
    if tcfg.lr_schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(
            tcfg.learning_rate, tcfg.steps_per_epoch, tcfg.lr_decay, staircase=True
        )
    elif tcfg.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            tcfg.learning_rate, tcfg.epochs * tcfg.steps_per_epoch, alpha=0.01
        )
    opt = keras.optimizers.Adam(lr, clipnorm=tcfg.clip_norm or None)
    nats = sample_nats(output)
    loss = training_loss(output)

    def nll_bits(y_true, y_pred):
        return nats(y_true, y_pred) / LN2

    model.compile(
        optimizer=opt, loss=loss,
        weighted_metrics=[keras.metrics.MeanMetricWrapper(nll_bits, name="nll_bits")],
        jit_compile=False,
    )
    return opt


def _saved_run(run: Path, resume: bool) -> dict[str, Any] | None:
    """The run's config.json when resuming a run folder, else None."""
    return read_run_config(run) if resume and (run / "config.json").is_file() else None


def _with_current_names(saved: dict[str, Any], archobj) -> dict[str, Any]:
    """A saved run config whose keys have their current names and its sections as this
    version reads them (a run trained before the architecture renamed or added a key, or
    before a training key was added or retired, resumes as it was)."""
    return {**saved, "model": archobj.saved_config(saved.get("model", {})),
            "train": saved_train_config(saved.get("train", {}))}


def _resolve(archobj, ds, run: Path, saved, *, config, overrides, preset, epochs, seed):
    """``(model_config, train_config, preset, seed, labels)``: a resumed run keeps its seed,
    label classes and, without config options, its config."""
    extra = dict(overrides or {})
    if epochs is not None:
        extra["epochs"] = epochs
    if saved is not None and saved.get("arch") != archobj.name:
        raise ParameterError(
            f"run {run} was trained with --arch {saved.get('arch')}, not {archobj.name}; "
            f"resume it with --arch {saved.get('arch')}"
        )
    if saved is not None:
        seed = int(saved.get("seed", seed))
        if config is None and not overrides and preset is None:
            config = {"model": saved["model"], "train": saved["train"]}
            preset = saved.get("preset")
    mcfg, tcfg = resolve_config(archobj, config=config, overrides=extra, preset=preset)
    mcfg = archobj.prepare(mcfg, ds)
    labels = saved["labels"] if saved is not None else ds.labels()
    return mcfg, tcfg, preset, seed, labels


def _conditioning_classes(archobj, mcfg, labels: list[str]) -> int:
    classes = int(archobj.conditioning_classes(mcfg))
    if 0 < classes < len(labels):
        raise ParameterError(
            f"conditioning_classes={classes} but the dataset has {count(len(labels), 'label')} "
            f"({', '.join(map(repr, labels))}); use conditioning_classes=-1 (one per label)"
        )
    return classes


def _build(archobj, mcfg, tcfg: TrainConfig, *, seed: int, run: Path, state: dict[str, Any],
           placement):
    """Seed, build and compile the model (its variables on the placement's devices); load
    the last checkpoint when resuming."""
    import contextlib

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    scope = placement.strategy.scope() if placement.distributed else contextlib.nullcontext()
    with scope:
        model = archobj.build(mcfg)
        compile_model(model, tcfg, archobj.output(mcfg))
        if state["checkpoints"]:
            load_checkpoint(run / "checkpoints" / state["checkpoints"][-1], model,
                            optimizer=True)
        elif placement.distributed:  # its variables must exist before the compiled step
            model.optimizer.build(model.trainable_variables)
    return model


def _validation(ds, tcfg: TrainConfig, saved, *, labels: list[str], classes: int):
    """The validation clips the run scores (None without validation clips, or with
    ``validate_every`` 0); a resumed run scores the clips its config.json names."""
    if not tcfg.validate_every:
        return None
    ids = (saved or {}).get("validation", {}).get("clips")
    return load_validation(ds, seconds=tcfg.validation_seconds, labels=labels,
                           conditioned=classes != 0, ids=ids)


def _tensorboard(run: Path) -> list:
    """A TensorBoard callback writing to RUN/logs, or none (with a warning) if TensorBoard
    is not installed."""
    import keras

    try:
        import tensorboard  # noqa: F401  (tf.summary needs it)
    except ImportError:
        warnings.warn("TensorBoard is not installed (pip install tensorboard); "
                      "training without TensorBoard logs", stacklevel=3)
        return []
    return [keras.callbacks.TensorBoard(log_dir=str(run / "logs"), write_graph=False)]


def _summary(run: Path, state: dict[str, Any]) -> dict[str, Any]:
    return {"run": run, "epochs": state["epoch"], "best_epoch": state["best_epoch"],
            "best_val_nll_bits": state["best_val_nll_bits"], "history": state["history"],
            "stopped_early": state["stopped_early"]}


def train(
    dataset,
    *,
    arch: str | None = None,
    run: str | os.PathLike,
    config=None,
    overrides: dict[str, Any] | None = None,
    preset: str | None = None,
    epochs: int | None = None,
    resume: bool = False,
    seed: int = 0,
    verbose: int = 1,
    callbacks: list | None = None,
    minutes: float | None = None,
    strategy: str = "auto",
) -> dict[str, Any]:
    """Train an architecture on a curated dataset into a run folder.

    Parameters
    ----------
    dataset : path-like or pysynth.dataset.Dataset
        A curated dataset (its ``train`` split is trained on, ``validation`` scored).
    arch : str or None
        Architecture name in :data:`pysynth.registry.architectures` (``"wavenet"``,
        ``"samplernn"`` or a plugin's). ``None``: the run's own when resuming, else
        ``"wavenet"``. Resuming with another architecture raises ``ParameterError``.
    run : path-like
        The run folder: config.json, state.json, history.csv, checkpoints/, logs/,
        samples/epoch-NNN/. Must be new or empty unless ``resume``.
    config, overrides, preset
        Hyperparameters: a preset name, a config file or dict, then ``key: value``
        overrides, for the architecture's config or :class:`TrainConfig` (routed by key).
        When resuming, omit them all to use the run's own config; given ones must match.
    epochs : int, optional
        Shortcut for ``overrides={"epochs": epochs}`` (a resumed run may train longer).
    resume : bool
        Continue the run from its last checkpoint: same epoch, optimizer state and data
        order, so the result equals an uninterrupted run (docs/training.md).
    seed : int
        Seeds weight initialisation and the training windows (a resumed run keeps the
        seed it was started with).
    verbose : int
        0 silent; 1 one line per epoch on stderr (epoch, train and validation NLL, seconds,
        time left of a budget) and a bar over the steps on a terminal; 2 the lines only.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks, run after the run's own (checkpoint, history, samples).
    minutes : float, optional
        Train for this many minutes with the settings the architecture picks for such a
        budget on a 2-core laptop (:meth:`~pysynth.arch.Architecture.for_budget`, printed),
        a learning rate that follows a cosine over the budget (``lr_schedule="budget"``)
        and ``max_minutes=minutes``. ``config``, ``overrides`` and ``preset`` still win
        over what it picks. Ignored when resuming (the run keeps its config).
    strategy : {"auto", "one", "mirrored", "multi-worker"}
        Where to train (:func:`~pysynth.training.distribute.choose_strategy`): one device;
        every local GPU (or logical CPU device) with ``tf.distribute.MirroredStrategy``;
        the machines of ``TF_CONFIG`` with ``MultiWorkerMirroredStrategy``; ``"auto"``
        picks multi-worker when ``TF_CONFIG`` lists several tasks, mirrored with several
        GPUs, else one. The batch (``batch_size``) is split among the replicas, so the
        run trains on the batches one device would; only the chief (worker 0) writes
        the run folder. Not part of the run's config: a run may resume on other devices.

    Returns
    -------
    dict
        ``run`` (Path), ``epochs`` (completed), ``best_epoch``, ``best_val_nll_bits``,
        ``history`` (list of per-epoch dicts), ``stopped_early`` (bool).

    Raises
    ------
    ParameterError
        Unknown or bad config values; a non-empty run folder without ``resume``;
        resuming with a different config.
    DatasetError
        A missing or empty dataset or train split.
    """
    from ..dataset import Dataset

    run = Path(run)
    saved = _saved_run(run, resume)
    if arch is None:  # a resumed run knows its architecture; a new one defaults to wavenet
        arch = saved.get("arch", "wavenet") if saved is not None else "wavenet"
    archobj = get_architecture(arch)
    if saved is not None and saved.get("arch") == archobj.name:
        saved = _with_current_names(saved, archobj)
    seed = check_int(seed, "seed")
    chief = writes_run(strategy)  # checks the name; a worker but the chief writes nothing
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    picked: dict[str, Any] = {}
    if minutes is not None and saved is None:
        picked, overrides, epochs = budget_overrides(archobj, minutes, overrides, epochs)
    mcfg, tcfg, preset, seed, labels = _resolve(
        archobj, ds, run, saved, config=config, overrides=overrides, preset=preset, epochs=epochs,
        seed=seed)
    classes = _conditioning_classes(archobj, mcfg, labels)
    run_config = {
        "format": RUN_FORMAT, "version": RUN_VERSION, "arch": archobj.name,
        "preset": preset, "seed": seed,
        "dataset": str(Path(ds.root).resolve()), "labels": labels,
        "model": model_dict(archobj, mcfg), "train": dataclasses.asdict(tcfg),
        "describe": archobj.describe(mcfg),
    }
    # the other workers of a new run do not look: the chief may have started it already
    state = (check_run(run, resume=resume, run_config=run_config, saved=saved)
             if chief or resume else None)
    if not ds.clips("train"):
        raise DatasetError(f"{ds.root}: the dataset has no clips in its train split")
    validation = _validation(ds, tcfg, saved, labels=labels, classes=classes)
    if validation is not None:
        run_config["validation"] = {"clips": validation.ids}
    state = start_run(run, run_config, state) if chief else (state or new_state())
    if verbose:
        facts = ", ".join(f"{k} {v}" for k, v in run_config["describe"].items())
        print(f"pysynth train: {archobj.name} on {ds.root} -> {run}" +
              (f" ({facts})" if facts else ""), file=sys.stderr, flush=True)
        if picked:
            print(f"pysynth train: for {minutes:g} minutes: " +
                  ", ".join(f"{k}={v}" for k, v in picked.items()), file=sys.stderr, flush=True)
        if validation is not None:
            print(f"pysynth train: {validation.describe(ds.sample_rate, tcfg.validate_every)}",
                  file=sys.stderr, flush=True)
    if validation is None and tcfg.validate_every:
        warnings.warn(f"{ds.root}: no validation clips; the best checkpoint is chosen by "
                      "training NLL", stacklevel=2)

    from .distribute import choose_strategy, replica_batches

    placement = choose_strategy(strategy)  # before any TensorFlow op (multi-worker needs it)
    if verbose and placement.distributed:
        print(f"pysynth train: {placement.describe()}", file=sys.stderr, flush=True)
    model = _build(archobj, mcfg, tcfg, seed=seed, run=run, state=state, placement=placement)
    first = int(state["epoch"])
    if first >= tcfg.epochs or state["stopped_early"]:
        # a resumed run with nothing left to do says so rather than exit as if it trained
        why = (f"it stopped early at epoch {first} (no better score in {count(tcfg.patience, 'epoch')})"
               if state["stopped_early"] else
               f"it has trained {count(first, 'epoch')}, and {tcfg.epochs} were asked for in all; "
               f"ask for more with --epochs N (N > {first})")
        warnings.warn(f"{run}: nothing to train: {why}", stacklevel=2)
        return _summary(run, state)

    def batches():  # made where they are read: each worker's input pipeline makes its own
        return archobj.dataset(ds, mcfg, split="train", batch_size=tcfg.batch_size,
                               steps=tcfg.steps_per_epoch, seed=seed,
                               epochs=(first, tcfg.epochs), labels=labels)

    from .budget import BudgetSchedule
    from .callbacks import EpochHistory, ShowProgress, run_callbacks

    # the other workers count their epochs (in memory) and show their training NLL
    own: list = [EpochHistory(state), *([ShowProgress(
        epochs=tcfg.epochs, minutes=tcfg.max_minutes, bar=False)] if verbose else [])]
    if chief:  # the others train alongside it, taking its decisions
        own = run_callbacks(run, state, archobj, mcfg, tcfg, seed=seed, classes=classes,
                            validation=validation, verbose=verbose)
        if tcfg.lr_schedule == "budget":
            own.insert(0, BudgetSchedule(state, tcfg.learning_rate, tcfg.max_minutes))
        if tcfg.tensorboard:
            own += _tensorboard(run)
    if placement.distributed:
        from .replicated import fit_replicated

        fit_replicated(model, placement, replica_batches(placement, batches, tcfg.batch_size),
                       epochs=tcfg.epochs, initial_epoch=first, steps=tcfg.steps_per_epoch,
                       callbacks=own + list(callbacks or []), output=archobj.output(mcfg))
    else:
        model.fit(batches(), epochs=tcfg.epochs, initial_epoch=first, shuffle=False,
                  steps_per_epoch=tcfg.steps_per_epoch,
                  callbacks=own + list(callbacks or []), verbose=0)  # progress: run_callbacks
    return _summary(run, state)
