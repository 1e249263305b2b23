"""The training loop every architecture shares, and export of a run to a model file.

``pysynth.train`` turns a curated dataset into a *run* folder (config, checkpoints,
history, TensorBoard logs, audio samples); ``pysynth.export`` turns a run's best or
last checkpoint into a model file readable with numpy alone. The architecture plugin
supplies the model and the data pipeline through the hooks described in
docs/training.md; everything else (optimizer, schedule, clipping, checkpoints, resume,
early stopping, sampling during training) lives here, once.

TensorFlow is imported only inside the functions that train or export, so importing
this module (e.g. for :func:`reference_sample`) works with the core install.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .arch import check_config_keys
from .errors import DatasetError, ParameterError, PysynthError
from .files import atomic_write_bytes, read_json_or_yaml

RUN_FORMAT = "pysynth-run"
RUN_VERSION = 1
LR_SCHEDULES = ("constant", "exponential", "cosine")
LN2 = math.log(2.0)


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
    validation_steps : int
        Validation batches, the same fixed windows every epoch (0: no validation).
    learning_rate : float
        Adam's initial learning rate.
    lr_schedule : str
        ``"constant"``, ``"exponential"`` (times ``lr_decay`` every epoch) or
        ``"cosine"`` (to 1% of the initial rate at the last epoch).
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
    sample_count, sample_seconds, sample_temperature : int, float, float
        How many samples, how long, at which temperature.
    tensorboard : bool
        Write TensorBoard logs to RUN/logs.
    max_minutes : float
        Time budget: stop after the first epoch that ends later than this many minutes
        after training started (0: none). The run stays resumable.
    """

    epochs: int = 20
    batch_size: int = 8
    steps_per_epoch: int = 100
    validation_steps: int = 10
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    lr_decay: float = 0.9
    clip_norm: float = 1.0
    patience: int = 0
    keep_checkpoints: int = 3
    sample_every: int = 5
    sample_count: int = 2
    sample_seconds: float = 1.0
    sample_temperature: float = 1.0
    tensorboard: bool = True
    max_minutes: float = 0.0

    def validate(self) -> TrainConfig:
        """Check every value; raise :class:`ParameterError` naming the first bad one."""

        def need_int(name: str, lo: int) -> None:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ParameterError(f"train {name} must be an integer >= {lo}, got {v!r}")

        def need_float(name: str, lo: float, hi: float | None = None, lo_open=False) -> None:
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (v > lo if lo_open else v >= lo) and (hi is None or v <= hi)
            if not ok:
                rng = f"{'>' if lo_open else '>='} {lo}" + ("" if hi is None else f" and <= {hi}")
                raise ParameterError(f"train {name} must be a number {rng}, got {v!r}")

        need_int("epochs", 1)
        need_int("batch_size", 1)
        need_int("steps_per_epoch", 1)
        need_int("validation_steps", 0)
        need_float("learning_rate", 0.0, lo_open=True)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ParameterError(
                f"train lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}"
            )
        need_float("lr_decay", 0.0, 1.0, lo_open=True)
        need_float("clip_norm", 0.0)
        need_int("patience", 0)
        need_int("keep_checkpoints", 1)
        need_int("sample_every", 0)
        need_int("sample_count", 1)
        need_float("sample_seconds", 0.0, lo_open=True)
        need_float("sample_temperature", 0.0)
        need_float("max_minutes", 0.0)
        if not isinstance(self.tensorboard, bool):
            raise ParameterError(
                f"train tensorboard must be true or false, got {self.tensorboard!r}"
            )
        return self


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


def get_architecture(arch):
    """The architecture instance for a registry name (or an instance/class passed through)."""
    if isinstance(arch, str):
        from .registry import architectures

        arch = architectures.get(arch)
    if isinstance(arch, type):
        arch = arch()
    return arch


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
    config class. Keys are routed to the model config or :class:`TrainConfig` by name;
    unknown keys raise :class:`ParameterError` with the closest known key. Later sources
    win: preset < config < overrides.
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
    values.update(overrides or {})
    model_keys = {f.name for f in dataclasses.fields(arch.config_class)}
    train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
    check_config_keys(values, model_keys | train_keys, owner=arch.name)
    model_cfg = arch.make_config({k: v for k, v in values.items() if k in model_keys}, preset)
    train_cfg = TrainConfig(**{k: v for k, v in values.items() if k in train_keys}).validate()
    return model_cfg, train_cfg


def _model_dict(arch, cfg) -> dict[str, Any]:
    return json.loads(arch.config_to_json(cfg))


# ------------------------------------------------------------------------------------------
# Data: quantized clips and random windows (helpers for the architectures' dataset hooks)
# ------------------------------------------------------------------------------------------


def quantized_clips(
    ds, split: str, *, levels: int, quantization: str, labels: list[str] | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Load every clip of one split, quantized: ``(sequences, class_ids)``.

    ``class_ids[i]`` is the index of clip ``i``'s label in ``labels`` (0 when ``labels``
    is None). Empty clips are skipped.
    """
    from .audio import quantize

    seqs, ids = [], []
    for clip in ds.clips(split):
        y = ds.load(clip)
        if y.size == 0:
            continue
        seqs.append(quantize(y, levels, quantization).astype(np.int32))
        if labels:
            label = clip.label or ""
            if label not in labels:
                raise DatasetError(
                    f"clip {clip.id!r} has label {label!r}, not one of the run's labels {labels}"
                )
            ids.append(labels.index(label))
        else:
            ids.append(0)
    return seqs, np.asarray(ids, dtype=np.int32)


def window_dataset(
    seqs: list[np.ndarray],
    class_ids: np.ndarray,
    *,
    context: int,
    window: int,
    batch_size: int,
    steps: int,
    seed: int,
    epochs: tuple[int, int] | None = (0, 1),
    conditioned: bool = False,
):
    """A ``tf.data.Dataset`` of random training windows, deterministic for a seed.

    Each example is a segment of ``context + window`` samples of one clip with loss
    weights 1 on ``window`` target positions: positions whose full ``context`` lies in
    the segment, or, for targets near the clip's start, the segment starts at the clip's
    sample 0 (so the model's "nothing before 0" is the truth and every target counts).
    Clips are drawn in proportion to their length, start positions uniformly.

    Yields ``(inputs, targets, weights)`` batches: ``inputs`` is ``q (B, L)`` int32, or
    ``{"q": q, "cond": (B,)}`` when ``conditioned``; ``targets = q``; ``weights (B, L)``
    float32. With ``epochs=(e0, e1)`` it yields ``steps`` batches for each epoch
    ``e0 <= e < e1`` in turn, epoch ``e``'s windows depending on ``(seed, e)`` alone (so a
    resumed run sees the same data). With ``epochs=None`` it yields ``steps`` fixed
    batches (validation).
    """
    import tensorflow as tf

    if not seqs:
        raise DatasetError("no clips to cut training windows from")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    seg = int(context + window)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.concatenate([*seqs, np.zeros(seg, dtype=np.int32)])
    n_windows = np.maximum(lengths - window + 1, 1)
    p = n_windows / n_windows.sum()

    def draw(rng: np.random.Generator, count: int):
        clip = rng.choice(len(seqs), size=count, p=p)
        a = (rng.random(count) * n_windows[clip]).astype(np.int64)  # first target position
        s0 = np.maximum(a - context, 0)  # segment start in the clip
        return clip, s0, a

    if epochs is None:
        rng = np.random.default_rng([seed, 0x5EED, 1])
        parts = [draw(rng, steps * batch_size)]
    else:
        parts = [draw(np.random.default_rng([seed, e]), steps * batch_size)
                 for e in range(*epochs)]
    clip = np.concatenate([x[0] for x in parts]).astype(np.int32)
    s0 = np.concatenate([x[1] for x in parts])
    a = np.concatenate([x[2] for x in parts])

    flat_t = tf.constant(flat, dtype=tf.int32)
    off_t = tf.constant(offsets, dtype=tf.int64)
    len_t = tf.constant(lengths, dtype=tf.int64)
    ids_t = tf.constant(np.asarray(class_ids, dtype=np.int32))
    pos = tf.range(seg, dtype=tf.int64)

    def make(c, start, first):
        clip_pos = start[:, None] + pos[None, :]  # (B, L) positions in the clip
        n = tf.gather(len_t, c)[:, None]
        q = tf.gather(flat_t, tf.gather(off_t, c)[:, None] + clip_pos)
        inside = clip_pos < n
        q = tf.where(inside, q, tf.zeros_like(q))
        w = inside & (clip_pos >= first[:, None]) & (clip_pos < first[:, None] + window)
        w = tf.cast(w, tf.float32)
        x = {"q": q, "cond": tf.gather(ids_t, c)} if conditioned else q
        return x, q, w

    data = tf.data.Dataset.from_tensor_slices((clip, s0, a)).batch(batch_size)
    data = data.map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.prefetch(tf.data.AUTOTUNE)


# ------------------------------------------------------------------------------------------
# Sampling (numpy reference; no TensorFlow)
# ------------------------------------------------------------------------------------------


def reference_sample(
    ref,
    *,
    n: int,
    length: int,
    seed: int = 0,
    temperature: float = 1.0,
    cond: np.ndarray | None = None,
) -> np.ndarray:
    """Generate ``n`` sequences of ``length`` level indices with a numpy ReferenceModel.

    A convenience over :func:`pysynth.sampling.reference_sample` (the one sampling rule,
    docs/architecture.md) whose uniforms come from a numpy Generator seeded with
    ``seed`` instead of the engine's counter-based generator, so its output differs from
    ``pysynth.sample``.
    """
    from .sampling import reference_sample as sample_with_uniforms

    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n must be an integer >= 1, got {n!r}")
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ParameterError(f"length must be an integer >= 1, got {length!r}")
    if not (temperature >= 0):
        raise ParameterError(f"temperature must be >= 0, got {temperature!r}")
    uniforms = np.random.default_rng(seed).random((length, n)).T
    return sample_with_uniforms(ref, length, uniforms, temperature, cond=cond)


def _write_samples(program, tensors, folder: Path, *, tcfg: TrainConfig, seed: int,
                   classes: int) -> list[Path]:
    """Generate ``tcfg.sample_count`` clips into ``folder`` through :func:`pysynth.sample`
    (the compiled engine, or the plugin's reference model for families it does not know)."""
    from .audio import save
    from .modelfile import ModelFile
    from .sampling import sample

    sr = int(program["sample_rate"])
    cond = np.arange(tcfg.sample_count) % classes if classes > 0 else None
    audio = sample(ModelFile(program=program, tensors=tensors, metadata={}),
                   n=tcfg.sample_count, seconds=tcfg.sample_seconds, seed=seed,
                   temperature=tcfg.sample_temperature, cond=cond)
    return [save(folder / f"sample-{i:02d}.wav", y, sr) for i, y in enumerate(audio)]


# ------------------------------------------------------------------------------------------
# Checkpoints and run state
# ------------------------------------------------------------------------------------------


def _ckpt_name(epoch: int) -> str:
    return f"epoch-{epoch:03d}.npz"


def _save_checkpoint(path: Path, model, epoch: int) -> None:
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


def _load_checkpoint(path: Path, model, *, optimizer: bool) -> None:
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


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


_HISTORY_COLUMNS = ("epoch", "loss", "nll_bits", "val_loss", "val_nll_bits", "learning_rate",
                    "seconds")


def _write_history(path: Path, history: list[dict[str, Any]]) -> None:
    # a fixed order first: rows read back from state.json after a resume have sorted keys
    cols = [c for c in _HISTORY_COLUMNS if any(c in row for row in history)]
    for row in history:
        cols += [k for k in row if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in history:
        w.writerow(row)
    atomic_write_bytes(path, buf.getvalue().encode())


def read_state(run: str | os.PathLike) -> dict[str, Any]:
    """A run's ``state.json``: completed epochs, checkpoints, best epoch, history."""
    path = Path(run) / "state.json"
    if not path.is_file():
        raise PysynthError(f"{run}: not a pysynth run folder (no state.json); train one first")
    return json.loads(path.read_text(encoding="utf-8"))


def read_run_config(run: str | os.PathLike) -> dict[str, Any]:
    path = Path(run) / "config.json"
    if not path.is_file():
        raise PysynthError(f"{run}: not a pysynth run folder (no config.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != RUN_FORMAT:
        raise PysynthError(f"{path}: not a pysynth run config")
    return data


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------


def should_stop(epoch: int, best_epoch: int | None, patience: int) -> bool:
    """Early stopping: ``patience`` epochs (> 0) have passed without a better score."""
    return bool(patience) and best_epoch is not None and epoch - best_epoch >= patience


def _compile(model, tcfg: TrainConfig):
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
    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="mean_with_sample_weight"
    )

    def nll_bits(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True) / LN2

    model.compile(
        optimizer=opt, loss=loss,
        weighted_metrics=[keras.metrics.MeanMetricWrapper(nll_bits, name="nll_bits")],
        jit_compile=False,
    )
    return opt


def _current_lr(opt) -> float:
    lr = opt.learning_rate
    return float(np.asarray(lr))


def _prepare_run(run: Path, *, resume: bool, run_config: dict[str, Any]):
    """Check the run folder against ``resume``; return the saved state (or None)."""
    cfg_path = run / "config.json"
    if not resume:
        if run.exists() and (not run.is_dir() or any(run.iterdir())):
            raise ParameterError(
                f"run folder {str(run)!r} is not empty; pass resume=True (--resume) to "
                "continue it, or choose a new folder"
            )
        return None
    if not cfg_path.is_file():
        raise ParameterError(f"cannot resume {str(run)!r}: it is not a run folder (no config.json)")
    saved = read_run_config(run)
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
    if differ:
        raise ParameterError(
            f"cannot resume {str(run)!r} with a different config ({'; '.join(differ)}); "
            "resume without config options to use the run's own config"
        )
    return read_state(run) if (run / "state.json").is_file() else None


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
        0 silent, 1 Keras progress bar, 2 one line per epoch.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks, run after the run's own (checkpoint, history, samples).

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
    from .dataset import Dataset

    run = Path(run)
    if arch is None:  # a resumed run knows its architecture; a new one defaults to wavenet
        on_disk = resume and (run / "config.json").is_file()
        arch = read_run_config(run).get("arch", "wavenet") if on_disk else "wavenet"
    archobj = get_architecture(arch)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ParameterError(f"seed must be an integer, got {seed!r}")
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    extra = dict(overrides or {})
    if epochs is not None:
        extra["epochs"] = epochs
    saved = read_run_config(run) if resume and (run / "config.json").is_file() else None
    if saved is not None and saved.get("arch") != archobj.name:
        raise ParameterError(
            f"run {run} was trained with --arch {saved.get('arch')}, not {archobj.name}; "
            f"resume it with --arch {saved.get('arch')}"
        )
    if saved is not None:  # a resumed run keeps its seed and label classes
        seed = int(saved.get("seed", seed))
        if config is None and not overrides and preset is None:
            config = {"model": saved["model"], "train": saved["train"]}
            preset = saved.get("preset")
    mcfg, tcfg = resolve_config(archobj, config=config, overrides=extra, preset=preset)
    prepare = getattr(archobj, "prepare", None)
    if prepare is not None:
        mcfg = prepare(mcfg, ds)
    labels = saved["labels"] if saved is not None else ds.labels()
    classes = int(archobj.conditioning_classes(mcfg))
    if 0 < classes < len(labels):
        raise ParameterError(
            f"conditioning_classes={classes} but the dataset has {len(labels)} labels "
            f"({', '.join(map(repr, labels))}); use conditioning_classes=-1 (one per label)"
        )
    run_config = {
        "format": RUN_FORMAT, "version": RUN_VERSION, "arch": archobj.name,
        "preset": preset, "seed": int(seed),
        "dataset": str(Path(ds.root).resolve()), "labels": labels,
        "model": _model_dict(archobj, mcfg), "train": dataclasses.asdict(tcfg),
        "describe": archobj.describe(mcfg),
    }
    state = _prepare_run(run, resume=resume, run_config=run_config)
    if not ds.clips("train"):
        raise DatasetError(f"{ds.root}: the dataset has no clips in its train split")
    run.mkdir(parents=True, exist_ok=True)
    (run / "checkpoints").mkdir(exist_ok=True)
    _write_json(run / "config.json", run_config)
    if state is None:
        state = {"epoch": 0, "checkpoints": [], "best_epoch": None, "best_val_nll_bits": None,
                 "history": [], "stopped_early": False}
        _write_json(run / "state.json", state)

    if verbose:
        facts = ", ".join(f"{k} {v}" for k, v in run_config["describe"].items())
        print(f"pysynth train: {archobj.name} on {ds.root} -> {run}" +
              (f" ({facts})" if facts else ""), file=sys.stderr, flush=True)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    model = archobj.build(mcfg)
    opt = _compile(model, tcfg)
    if state["checkpoints"]:
        _load_checkpoint(run / "checkpoints" / state["checkpoints"][-1], model, optimizer=True)
    first = int(state["epoch"])
    result = {"run": run, "epochs": first, "best_epoch": state["best_epoch"],
              "best_val_nll_bits": state["best_val_nll_bits"], "history": state["history"],
              "stopped_early": state["stopped_early"]}
    if first >= tcfg.epochs or state["stopped_early"]:
        return result

    train_ds = archobj.dataset(ds, mcfg, split="train", batch_size=tcfg.batch_size,
                               steps=tcfg.steps_per_epoch, seed=int(seed),
                               epochs=(first, tcfg.epochs), labels=labels)
    val_ds = None
    if tcfg.validation_steps and ds.clips("validation"):
        val_ds = archobj.dataset(ds, mcfg, split="validation", batch_size=tcfg.batch_size,
                                 steps=tcfg.validation_steps, seed=int(seed), epochs=None,
                                 labels=labels)
    elif tcfg.validation_steps:
        warnings.warn(f"{ds.root}: no validation clips; the best checkpoint is chosen by "
                      "training NLL", stacklevel=2)

    class RunKeeper(keras.callbacks.Callback):
        """Checkpoint, history, best/last bookkeeping, early stopping and samples."""

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            done = epoch + 1
            row = {"epoch": done}
            for k in ("loss", "nll_bits", "val_loss", "val_nll_bits"):
                if k in logs:
                    row[k] = float(logs[k])
            row["learning_rate"] = _current_lr(opt)
            row["seconds"] = round(time.perf_counter() - self._t0, 3)
            score = row.get("val_nll_bits", row.get("nll_bits"))
            name = _ckpt_name(done)
            _save_checkpoint(run / "checkpoints" / name, self.model, done)
            best = state["best_val_nll_bits"]
            if score is not None and math.isfinite(score) and (best is None or score < best):
                state["best_val_nll_bits"], state["best_epoch"] = score, done
            state["epoch"] = done
            state["checkpoints"] = [*state["checkpoints"], name]
            state["history"] = [*state["history"], row]
            if should_stop(done, state["best_epoch"], tcfg.patience):
                state["stopped_early"] = True
                self.model.stop_training = True
            if tcfg.max_minutes and time.perf_counter() - started > 60.0 * tcfg.max_minutes:
                self.model.stop_training = True  # out of time; --resume continues
            _write_json(run / "state.json", state)
            _write_history(run / "history.csv", state["history"])
            keep = set(state["checkpoints"][-tcfg.keep_checkpoints:])
            if state["best_epoch"] is not None:
                keep.add(_ckpt_name(state["best_epoch"]))
            for old in state["checkpoints"]:
                if old not in keep:
                    (run / "checkpoints" / old).unlink(missing_ok=True)
            state["checkpoints"] = [c for c in state["checkpoints"] if c in keep]
            _write_json(run / "state.json", state)
            if tcfg.sample_every and done % tcfg.sample_every == 0:
                program, tensors = archobj.export(self.model, mcfg)
                _write_samples(program, tensors, run / "samples" / f"epoch-{done:03d}",
                               tcfg=tcfg, seed=int(seed) + done, classes=classes)

    extra_callbacks = list(callbacks or [])
    started = time.perf_counter()
    callbacks = [RunKeeper()]
    if tcfg.tensorboard:
        try:
            import tensorboard  # noqa: F401  (tf.summary needs it)
        except ImportError:
            warnings.warn("TensorBoard is not installed (pip install tensorboard); "
                          "training without TensorBoard logs", stacklevel=2)
        else:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run / "logs"),
                                                         write_graph=False))
    model.fit(train_ds, epochs=tcfg.epochs, initial_epoch=first, shuffle=False,
              steps_per_epoch=tcfg.steps_per_epoch, validation_data=val_ds,
              callbacks=callbacks + extra_callbacks, verbose=verbose)
    result.update(epochs=state["epoch"], best_epoch=state["best_epoch"],
                  best_val_nll_bits=state["best_val_nll_bits"], history=state["history"],
                  stopped_early=state["stopped_early"])
    return result


# ------------------------------------------------------------------------------------------
# Export
# ------------------------------------------------------------------------------------------


def export(
    run: str | os.PathLike, output: str | os.PathLike, *, checkpoint: str | int = "best"
) -> Path:
    """Write a run's checkpoint as a model file (numpy-readable, versioned, checksummed).

    Parameters
    ----------
    run : path-like
        A run folder made by :func:`train`.
    output : path-like
        The model file to write (atomically).
    checkpoint : "best", "last" or int
        Which checkpoint: lowest validation NLL, the most recent one, or an epoch number
        that is still kept in RUN/checkpoints.

    Returns
    -------
    Path
        The model file; its metadata holds ``arch``, ``epoch``, ``val_nll_bits``,
        ``labels`` (class names of the conditioning ids), ``run`` and ``dataset``.
    """
    from . import __version__
    from .modelfile import save_model

    run = Path(run)
    rc = read_run_config(run)
    state = read_state(run)
    if not state["checkpoints"]:
        raise PysynthError(f"{run}: the run has no checkpoint yet (no epoch finished)")
    if checkpoint == "best":
        epoch = state["best_epoch"] or state["epoch"]
    elif checkpoint == "last":
        epoch = state["epoch"]
    elif isinstance(checkpoint, (int, np.integer)) and not isinstance(checkpoint, bool):
        epoch = int(checkpoint)
    else:
        raise ParameterError(f"checkpoint must be 'best', 'last' or an epoch, got {checkpoint!r}")
    name = _ckpt_name(epoch)
    if name not in state["checkpoints"] or not (run / "checkpoints" / name).is_file():
        raise ParameterError(
            f"checkpoint: epoch {epoch} is not kept in {run / 'checkpoints'}; kept: "
            f"{', '.join(state['checkpoints'])}"
        )
    archobj = get_architecture(rc["arch"])
    mcfg = archobj.make_config(rc["model"])
    model = archobj.build(mcfg)
    _load_checkpoint(run / "checkpoints" / name, model, optimizer=False)
    program, tensors = archobj.export(model, mcfg)
    row = next((r for r in state["history"] if r.get("epoch") == epoch), {})
    metadata = {
        "arch": rc["arch"], "epoch": epoch, "val_nll_bits": row.get("val_nll_bits"),
        "train_nll_bits": row.get("nll_bits"), "labels": rc.get("labels", []),
        "run": str(run.resolve()), "dataset": rc.get("dataset"), "seed": rc.get("seed"),
        "config": rc["model"], "pysynth_version": __version__,
    }
    return save_model(output, program, tensors, metadata)


__all__ = [
    "TrainConfig",
    "export",
    "quantized_clips",
    "read_state",
    "reference_sample",
    "resolve_config",
    "train",
    "window_dataset",
]
