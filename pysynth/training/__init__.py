"""Training: ``pysynth.train`` turns a curated dataset into a run folder, ``pysynth.export``
turns a run into a model file; plus the data helpers architecture plugins build their
``dataset`` hooks from (docs/training.md).

Modules: :mod:`.config` (TrainConfig, key routing), :mod:`.data` (clips and windows),
:mod:`.run` (the run folder), :mod:`.callbacks` (what happens at each epoch's end),
:mod:`.loop` (``train``), :mod:`.distribute` (``--strategy``: devices, workers, the batch
split) and :mod:`.replicated` (the step under a strategy), :mod:`.export`, :mod:`.samples`.
Importing this package does not import TensorFlow.
"""

from __future__ import annotations

from .config import TrainConfig, resolve_config
from .data import epoch_rows, noisy_inputs, quantized_clips, window_dataset
from .export import export
from .loop import train
from .run import read_run_config, read_state
from .samples import reference_sample

__all__ = [
    "TrainConfig",
    "epoch_rows",
    "export",
    "noisy_inputs",
    "quantized_clips",
    "read_run_config",
    "read_state",
    "reference_sample",
    "resolve_config",
    "train",
    "window_dataset",
]
