"""``pysynth.export``: a run's checkpoint as a model file that ``pysynth sample`` reads
with numpy alone (TensorFlow is imported to build the model).

Which checkpoint by default (``"auto"``): the last one of a run whose learning rate ran
down to its end (``pysynth train --minutes``'s budget schedule, or ``cosine``), the one
with the lowest validation NLL otherwise. A mid-run checkpoint of a run-down schedule was
taken at a high learning rate, and its validation NLL can be the lowest while it sounds far
worse. On drums for 30 minutes, SampleRNN had its lowest validation NLL at epoch 99 of
407 (it then overfits the 367 clips) and WaveNet at epoch 81 of 107; those epochs' clips
scored 0.54 and 0.64 on the noise scale, the last epochs' 0.29 and 0.41
(docs/benchmarks.md, "Ninth session")."""

from __future__ import annotations

import os
from pathlib import Path

from ..arch import get_architecture
from ..checks import is_int
from ..errors import ParameterError, PysynthError
from .run import checkpoint_name, load_checkpoint, read_run_config, read_state

#: learning-rate schedules that run down to their end: a run's last checkpoint is the
#: one they were shaped for ("budget": ``pysynth train --minutes``)
RUN_DOWN_SCHEDULES = ("budget", "cosine")

#: what ``checkpoint`` may be besides an epoch number
CHECKPOINTS = ("auto", "best", "last")
#: how an error names the choices (the CLI's and :func:`chosen_epoch`'s)
CHOICES = ", ".join(repr(c) for c in CHECKPOINTS) + " or an epoch"


def chosen_epoch(state: dict, train_config: dict,
                 checkpoint: str | int = "auto") -> tuple[int, str]:
    """``(epoch, why)``: the epoch ``checkpoint`` names in a run with this ``state.json``
    and ``train`` config (the module docstring says what ``"auto"`` takes and why)."""
    if checkpoint == "auto":
        schedule = str(train_config.get("lr_schedule", "constant"))
        if schedule in RUN_DOWN_SCHEDULES:
            why = f"the last epoch, where the {schedule} schedule's learning rate ran down"
            return state["epoch"], why
        checkpoint = "best"
    if checkpoint == "best":
        if state["best_epoch"]:
            validated = any("val_nll_bits" in row for row in state["history"])
            scored = "validation" if validated else "training"
            return state["best_epoch"], f"the lowest {scored} NLL"
        return state["epoch"], "the last epoch (no epoch was scored)"
    if checkpoint == "last":
        return state["epoch"], "the last epoch"
    if is_int(checkpoint):
        return int(checkpoint), "as asked"
    raise ParameterError(f"checkpoint must be {CHOICES}, got {checkpoint!r}")


def describe_choice(run: str | os.PathLike, checkpoint: str | int = "auto") -> str:
    """Which epoch :func:`export` takes from ``run`` and why, in words, with where the
    lowest NLL was when that is another epoch (what ``pysynth train`` and ``pysynth
    export`` print)."""
    state = read_state(run)
    epoch, why = chosen_epoch(state, read_run_config(run).get("train", {}), checkpoint)
    best = state.get("best_epoch")
    if best and best != epoch:
        why += f"; --checkpoint best takes epoch {best} ({state['best_val_nll_bits']:.3f} bits)"
    return f"epoch {epoch}: {why}"


def export(
    run: str | os.PathLike, output: str | os.PathLike, *, checkpoint: str | int = "auto"
) -> Path:
    """Write a run's checkpoint as a model file (numpy-readable, versioned, checksummed).

    Parameters
    ----------
    run : path-like
        A run folder made by :func:`pysynth.train`.
    output : path-like
        The model file to write (atomically).
    checkpoint : "auto", "best", "last" or int
        Which checkpoint: "auto" (default) the last one when the run's learning rate ran
        down to its end (``pysynth train --minutes``, or ``lr_schedule`` cosine) and the
        best one otherwise; "best" the lowest validation NLL; "last" the most recent one;
        or an epoch number that is still kept in RUN/checkpoints.

    Returns
    -------
    Path
        The model file; its metadata holds ``arch``, ``epoch``, ``val_nll_bits``,
        ``labels`` (class names of the conditioning ids), ``run``, ``dataset``,
        ``validation_clip_nll`` and ``peak_db`` (the validation clips' median peak, the
        level ``pysynth sample`` brings its clips to).
    """
    from .. import __version__
    from ..modelfile import save_model

    run = Path(run)
    rc = read_run_config(run)
    state = read_state(run)
    if not state["checkpoints"]:
        raise PysynthError(f"{run}: the run has no checkpoint yet (no epoch finished)")
    epoch, _ = chosen_epoch(state, rc.get("train", {}), checkpoint)
    name = checkpoint_name(epoch)
    if name not in state["checkpoints"] or not (run / "checkpoints" / name).is_file():
        raise ParameterError(
            f"checkpoint: epoch {epoch} is not kept in {run / 'checkpoints'}; kept: "
            f"{', '.join(state['checkpoints'])}"
        )
    archobj = get_architecture(rc["arch"])
    mcfg = archobj.make_config(archobj.saved_config(rc["model"]))
    model = archobj.build(mcfg)
    load_checkpoint(run / "checkpoints" / name, model, optimizer=False)
    program, tensors = archobj.export(model, mcfg)
    row = next((r for r in state["history"] if r.get("epoch") == epoch), {})
    metadata = {
        "arch": rc["arch"], "epoch": epoch, "val_nll_bits": row.get("val_nll_bits"),
        "train_nll_bits": row.get("nll_bits"), "labels": rc.get("labels", []),
        "run": str(run.resolve()), "dataset": rc.get("dataset"), "seed": rc.get("seed"),
        "config": rc["model"], "pysynth_version": __version__,
    }
    metadata["validation_clip_nll"], metadata["peak_db"] = _validation_facts(rc, program, tensors)
    return save_model(output, program, tensors, metadata)


#: seconds of validation audio :func:`export` scores for ``validation_clip_nll`` (a few
#: seconds of engine time for a minute of audio)
TYPICAL_SECONDS = 60.0


def _validation_facts(rc: dict, program: dict, tensors: dict) -> tuple[list[float], float | None]:
    """Per-clip NLL of the run's dataset's validation clips under the exported model and
    their typical peak in dBFS (:func:`pysynth.sampling.level.peak_db_of`), or ``([], None)``
    with a warning when the dataset cannot be read any more."""
    import warnings

    from ..dataset import Dataset
    from ..errors import PysynthError
    from ..modelfile import ModelFile
    from ..sampling import score
    from ..sampling.level import peak_db_of
    from .validation import load_validation

    try:
        ds = Dataset.open(rc["dataset"])
        clips = load_validation(ds, seconds=TYPICAL_SECONDS, labels=rc.get("labels") or [],
                                conditioned=bool(program.get("conditioning_classes")))
    except (PysynthError, OSError, KeyError, TypeError) as err:
        warnings.warn(f"the model file will not know what its validation clips score "
                      f"(--candidates then ranks by likelihood alone): {err}", stacklevel=3)
        return [], None
    if clips is None:
        return [], None
    nll = score(ModelFile(program=program, tensors=tensors, metadata={}), clips.audio,
                cond=clips.class_ids, per_clip=True)
    return [round(float(x), 4) for x in nll], peak_db_of(clips.audio)
