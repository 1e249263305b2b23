"""Where a run trains: one device, several local devices (``MirroredStrategy``) or several
machines configured by ``TF_CONFIG`` (``MultiWorkerMirroredStrategy``), and how the
training batches are split among their replicas (docs/training.md, "Training on several
devices or machines").

TensorFlow is imported only inside :func:`choose_strategy` and :func:`replica_batches`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..checks import check_choice
from ..errors import ParameterError

#: ``pysynth train --strategy``'s choices
STRATEGIES = ("auto", "one", "mirrored", "multi-worker")

__all__ = ["STRATEGIES", "Placement", "choose_strategy", "cluster_spec", "replica_batches",
           "writes_run"]


@dataclass
class Placement:
    """The devices a run trains on.

    ``strategy`` is None for one device (Keras ``fit`` as always), else the
    ``tf.distribute`` strategy; ``chief`` is False on every worker but the one that writes
    the run folder (worker 0, or the task named ``chief``).
    """

    kind: str  # "one", "mirrored" or "multi-worker"
    strategy: Any = None
    replicas: int = 1
    workers: int = 1
    task: int = 0
    chief: bool = True
    devices: list[str] = field(default_factory=list)

    @property
    def distributed(self) -> bool:
        return self.strategy is not None

    def describe(self) -> str:
        """One line for the start of training."""
        if not self.distributed:
            return "training on one device"
        where = (f"{self.workers} workers, this is worker {self.task}"
                 f"{' (chief: it writes the run folder)' if self.chief else ''}"
                 if self.kind == "multi-worker" else ", ".join(self.devices))
        return f"training on {self.replicas} replicas ({self.kind}: {where})"


def cluster_spec(environ=None) -> dict[str, Any] | None:
    """The parsed ``TF_CONFIG`` (``{"cluster": {...}, "task": {...}}``), None when unset.

    Raises :class:`ParameterError` naming what is wrong with a malformed one, before
    TensorFlow would fail on it with a less helpful message (or hang waiting for peers).
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"TF_CONFIG is not JSON ({exc})") from None
    cluster, task = (spec.get("cluster"), spec.get("task")) if isinstance(spec, dict) else (
        None, None)
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ParameterError('TF_CONFIG must hold "cluster" (job name -> list of host:port) '
                             'and "task" ({"type": "worker", "index": i})')
    jobs = {k: v for k, v in cluster.items() if k in ("chief", "worker")}
    if not jobs or not all(isinstance(v, list) and v for v in jobs.values()):
        raise ParameterError('TF_CONFIG cluster needs a non-empty "worker" (and optionally '
                             '"chief") list of host:port addresses')
    kind, index = task.get("type"), task.get("index")
    if kind not in jobs or not isinstance(index, int) or not 0 <= index < len(jobs[kind]):
        raise ParameterError(f"TF_CONFIG task {task} is not one of the cluster's tasks "
                             f"({', '.join(f'{k} 0..{len(v) - 1}' for k, v in jobs.items())})")
    return spec


def _task(spec: dict[str, Any]) -> tuple[int, int, bool]:
    """``(workers, this task's rank, chief?)``: the chief task, or worker 0 without one,
    writes the run folder."""
    cluster, task = spec["cluster"], spec["task"]
    chiefs = len(cluster.get("chief", []))
    workers = chiefs + len(cluster.get("worker", []))
    rank = task["index"] if task["type"] == "chief" else chiefs + task["index"]
    return workers, rank, rank == 0


def _need_tf_config(name: str) -> None:
    if name == "multi-worker":
        raise ParameterError(
            "train --strategy multi-worker needs TF_CONFIG, the cluster's workers and this "
            "process's task (docs/training.md, 'Training on several devices or machines')")


def writes_run(name: str = "auto") -> bool:
    """Whether this process writes the run folder under ``--strategy NAME``: False only
    on a worker of a multi-worker cluster (``TF_CONFIG``) that is not its chief. Needs no
    TensorFlow, so the loop knows before it checks the run folder."""
    check_choice(name, "strategy", STRATEGIES, owner="train")
    spec = cluster_spec() if name in ("auto", "multi-worker") else None
    if spec is None:
        _need_tf_config(name)
        return True
    workers, _, chief = _task(spec)
    return chief or (name == "auto" and workers == 1)


def choose_strategy(name: str = "auto") -> Placement:
    """The placement for ``--strategy NAME``.

    - ``one``: the default device, Keras ``fit`` (what training always did).
    - ``mirrored``: every local GPU, or every logical CPU device when there is no GPU
      (tests split the CPU into several); synchronous data parallelism on one machine.
    - ``multi-worker``: the machines listed in ``TF_CONFIG`` (required), each with its
      local GPUs (or its CPU).
    - ``auto``: ``multi-worker`` when ``TF_CONFIG`` lists more than one task,
      ``mirrored`` when there are several GPUs, else ``one``.

    ``MultiWorkerMirroredStrategy`` must be made before TensorFlow runs any op in the
    process, so the loop calls this before it builds anything.
    """
    check_choice(name, "strategy", STRATEGIES, owner="train")
    spec = cluster_spec()
    if spec is None:
        _need_tf_config(name)
    if name == "auto":
        import tensorflow as tf

        if spec is not None and _task(spec)[0] > 1:
            name = "multi-worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "one"
    if name == "one":
        return Placement("one")
    import tensorflow as tf

    if name == "mirrored":
        devices = ([d.name for d in tf.config.list_logical_devices("GPU")]
                   or [d.name for d in tf.config.list_logical_devices("CPU")])
        strategy = tf.distribute.MirroredStrategy(devices=devices)
        return Placement("mirrored", strategy, replicas=strategy.num_replicas_in_sync,
                         devices=devices)
    workers, task, chief = _task(spec)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return Placement("multi-worker", strategy, replicas=strategy.num_replicas_in_sync,
                     workers=workers, task=task, chief=chief)


def replica_batches(placement: Placement, make_dataset, batch_size: int):
    """The training batches of ``make_dataset()`` (a ``tf.data.Dataset`` of whole batches of
    ``batch_size`` rows, as the architecture's ``dataset`` hook yields them), split among
    the replicas: replica ``r`` of ``R`` gets rows ``[r*b, (r+1)*b)`` of every batch,
    ``b = batch_size / R``.

    Every worker makes the whole batch from the same plan and keeps its replicas' rows, so
    the replicas together see exactly the batches one device would: the same windows
    (WaveNet) or the same clips' consecutive chunks, each clip's chunks always on the same
    replica (SampleRNN's carried state), and an epoch means what it means on one device.
    Making the whole batch costs each worker index arithmetic only; the audio is read once.
    """
    import tensorflow as tf

    n = placement.replicas
    if batch_size % n:
        raise ParameterError(
            f"train batch_size={batch_size} cannot be split evenly among {n} replicas; "
            f"use a multiple of {n}")
    b = batch_size // n

    def per_pipeline(ctx):
        local = n // ctx.num_input_pipelines
        lo = ctx.input_pipeline_id * local * b
        rows = make_dataset().map(
            lambda *e: tf.nest.map_structure(lambda t: t[lo: lo + local * b], e))
        # the local replicas take consecutive per-replica batches in turn
        return rows.unbatch().batch(b, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

    return placement.strategy.distribute_datasets_from_function(per_pipeline)
