"""The built-in WaveNet architecture plugin (entry point ``pysynth.architectures: wavenet``).

Registered through the same entry-point mechanism a third-party plugin uses, and laid out
like every architecture plugin (docs/plugins.md): :mod:`.config` (config, presets, program,
tensor table), :mod:`.reference` (numpy reference, random programs), :mod:`.model` (Keras)
and :mod:`.data` (training data). Importing this package does not import TensorFlow:
:mod:`.model` and :mod:`.data` are imported only by :meth:`WaveNet.build`,
:meth:`WaveNet.export`, :meth:`WaveNet.teacher_forced_logits` and :meth:`WaveNet.dataset`.

Examples
--------
>>> from pysynth_wavenet import WaveNet, random_program
>>> arch = WaveNet()
>>> config = arch.make_config({"dilations": [1, 2, 4]})
>>> config.receptive_field
9
>>> program, tensors = random_program(config, seed=0)
>>> arch.reference(program, tensors).logits([[1, 2, 3]]).shape
(1, 3, 256)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pysynth.arch import Architecture, classes_for_labels
from pysynth.prediction import lpc_changes

from .config import (
    ADDED,
    ALIASES,
    PRESETS,
    WaveNetConfig,
    check_program,
    dilation_stacks,
    make_config,
    position_frame,
    position_frames_for,
    program_from_config,
    receptive_field,
    sizes_for_rate,
    tensor_shapes,
)
from .reference import WaveNetReference, WaveNetState, random_program

__all__ = [
    "PRESETS",
    "WaveNet",
    "WaveNetConfig",
    "WaveNetReference",
    "WaveNetState",
    "check_program",
    "dilation_stacks",
    "make_config",
    "position_frame",
    "position_frames_for",
    "program_from_config",
    "random_program",
    "receptive_field",
    "sizes_for_rate",
    "tensor_shapes",
]


#: ``pysynth train --minutes``'s settings (see :meth:`WaveNet.for_budget`)
BUDGET: dict[str, Any] = {"dilations": dilation_stacks(256, 1), "seq_len": 1024,
                          "skip_channels": 64, "output_channels": 64, "learning_rate": 0.003,
                          "position_frames": 0, "input_noise": 0, "preemphasis": 0.85,
                          "start_share": 0.5, "sizes_rate": 16000}


class WaveNet(Architecture):
    """WaveNet: causal dilated convolutions with gated units, residual and skip paths."""

    name = "wavenet"
    family = "wavenet"
    config_class = WaveNetConfig
    presets = PRESETS
    config_aliases = ALIASES
    config_added = ADDED

    def describe(self, config: WaveNetConfig) -> dict[str, Any]:
        rf = config.receptive_field
        info: dict[str, Any] = {
            "receptive_field_samples": rf,
            "receptive_field_ms": round(1000.0 * rf / config.sample_rate, 2),
            "layers": len(config.dilations),
        }
        if config.position_frames > 0:
            info["position_ms"] = round(
                1000.0 * config.position_frames * config.position_hop / config.sample_rate, 2)
        if config.lpc_order:  # fitted from the training clips (pysynth.prediction)
            info["linear_predictor_taps"] = config.lpc_order
        if config.conditioning_classes >= 0 and config.position_frames >= 0:
            info["exported_parameters"] = self.exported_parameters(config)
        return info

    def conditioning_classes(self, config: WaveNetConfig) -> int:
        return int(config.conditioning_classes)

    def output(self, config: WaveNetConfig) -> str:
        return str(config.output)

    # -- the exported program ------------------------------------------------------------
    def program(self, config: WaveNetConfig) -> dict[str, Any]:
        return program_from_config(config)

    def tensor_shapes(self, program: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        return tensor_shapes(program)

    def random_program(self, config, *, seed: int = 0):
        return random_program(config, seed)

    def for_budget(self, minutes: float) -> dict[str, Any]:
        """What ``pysynth train --minutes N`` trains: measured on real drum one-shots with
        10-minute budgets on 2 cores (docs/benchmarks.md, "Sound quality"): 1024-sample
        windows and a 64-wide skip path and head make more steps in the time than the
        default's 2048 and 128, at a higher rate that the budget schedule decays; the
        position input did not help at this budget, so it is off; pre-emphasis 0.85, as
        SampleRNN's, took the noise scale from 1.20-1.27 to 0.77-1.00 (docs/benchmarks.md);
        a third of the windows starting at a clip's start (``start_share``) took it from
        0.52-0.59 to 0.48-0.51 and the class score from 0.49-0.58 to 0.63-0.68 of the real
        clips', and gave hi-hats and cymbals their own spectrum instead of a kick's low
        body; half of them (0.5) scored 0.43 and 0.51 against a third's 0.48 and 0.51 on
        the same two training seeds, and less noisy (docs/benchmarks.md, "Silence,
        sounding windows and WaveNet's rule" and "Sixth session"). One stack of dilations
        1..256 (9 layers) instead of the preset's two of 1..128 (16): the same 32 ms of
        receptive field at 1.65x the steps per minute (42-45 epochs in 10 minutes against
        25-28), took the noise scale from 0.43 and 0.51 to 0.42 and 0.42 and the class
        score from 0.67 and 0.68 to 0.82 and 0.76 of the real clips' on the same two
        training seeds (docs/benchmarks.md, "Seventh session")."""
        return dict(BUDGET)

    def prepare(self, config: WaveNetConfig, dataset) -> WaveNetConfig:
        """Fit the config to a dataset: its sample rate (and sizes written for another rate,
        ``sizes_rate``, rescaled to it: :func:`sizes_for_rate`), ``conditioning_classes=-1``
        resolved to one class per dataset label (0 with fewer than two labels), and
        ``position_frames=-1`` to enough frames to cover the longest training clip, and
        with ``lpc_order`` set, the linear predictor fitted on the training clips
        (:func:`pysynth.prediction.lpc_changes`)
        (:func:`position_frames_for`)."""
        import dataclasses

        sr = int(dataset.sample_rate)
        changes: dict[str, Any] = {"sample_rate": sr, **sizes_for_rate(config, sr)}
        if config.conditioning_classes == -1:
            changes["conditioning_classes"] = classes_for_labels(dataset.labels())
        if config.position_frames == -1:
            longest = max((round(c.duration * sr) for c in dataset.clips("train")), default=0)
            changes["position_frames"] = position_frames_for(longest, config.position_hop)
        changes.update(lpc_changes(config, dataset))
        return dataclasses.replace(config, **changes).validate()

    # -- Keras side ------------------------------------------------------------------
    def build(self, config: WaveNetConfig):
        from .model import build

        return build(config)

    def teacher_forced_logits(self, model, config, q, cond=None) -> np.ndarray:
        from .model import teacher_forced_logits

        return teacher_forced_logits(model, config, q, cond)

    def export(self, model, config):
        from .model import export

        return export(model, config)

    def dataset(self, ds, config, **kwargs):
        from .data import dataset

        return dataset(ds, config, **kwargs)

    # -- numpy side ------------------------------------------------------------------
    def reference(self, program, tensors) -> WaveNetReference:
        return WaveNetReference(program, tensors)
