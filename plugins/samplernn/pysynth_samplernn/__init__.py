"""The built-in SampleRNN architecture plugin (entry point ``pysynth.architectures: samplernn``).

SampleRNN (Mehri et al. 2017): a hierarchy of frame-level RNN tiers, each running at its own
frame rate and conditioning the tier below through learned upsampling, over a sample-level
MLP that predicts the next quantized sample. The exact computation is written down in
docs/architecture.md ("SampleRNN program"); :mod:`.reference` is its numpy form.

Laid out like every architecture plugin (docs/plugins.md): :mod:`.config` (config,
presets, program, tensor table), :mod:`.reference` (numpy reference, random programs),
:mod:`.model` (Keras) and :mod:`.data` (training data). Importing this package does not
import TensorFlow: :mod:`.model` and :mod:`.data` are imported only when used.

Examples
--------
>>> from pysynth_samplernn import SampleRNN, random_program
>>> arch = SampleRNN()
>>> config = arch.make_config({"frame_sizes": [4, 16], "rnn_type": "lstm"})
>>> config.ratios()
[4, 4]
>>> program, tensors = random_program(config, seed=0)
>>> arch.reference(program, tensors).logits([[1, 2, 3]]).shape
(1, 3, 256)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pysynth.arch import Architecture, classes_for_labels, position_frames_for
from pysynth.prediction import lpc_changes

from .config import (
    PRESETS,
    SampleRNNConfig,
    check_program,
    make_config,
    program_from_config,
    sizes_for_rate,
    tensor_shapes,
)
from .reference import SampleRNNReference, random_program

__all__ = [
    "PRESETS",
    "SampleRNN",
    "SampleRNNConfig",
    "SampleRNNReference",
    "check_program",
    "make_config",
    "program_from_config",
    "random_program",
    "sizes_for_rate",
    "tensor_shapes",
]


#: ``pysynth train --minutes``'s settings (see :meth:`SampleRNN.for_budget`)
BUDGET: dict[str, Any] = {"frame_sizes": [16], "dim": 128, "seq_len": 512,
                          "learning_rate": 0.003, "position_frames": 0, "input_noise": 0,
                          "conditioning_classes": 0, "preemphasis": 0.85, "start_share": 0.75,
                          "sizes_rate": 16000}


class SampleRNN(Architecture):
    """SampleRNN: ``build`` / ``dataset`` / ``export`` / ``reference`` for pysynth.train."""

    name = "samplernn"
    family = "samplernn"
    config_class = SampleRNNConfig
    presets = PRESETS
    #: what runs saved before these keys existed trained with (no condition, no position), so
    #: that they resume as they were (read by Architecture.saved_config)
    config_added = {"conditioning_classes": 0, "position_frames": 0}  # noqa: RUF012

    def describe(self, config: SampleRNNConfig) -> dict[str, Any]:
        info = {
            "tiers": len(config.frame_sizes) + 1,
            "frame_sizes": list(config.frame_sizes),
            "exported_parameters": self.exported_parameters(config),
            "seq_len": config.seq_len,
            "conditioning_classes": config.classes,
            "position_ms": round(
                1000.0 * config.positions * config.position_hop / config.sample_rate, 2),
        }
        if config.lpc_order:  # fitted from the training clips (pysynth.prediction)
            info["linear_predictor_taps"] = config.lpc_order
        return info

    def conditioning_classes(self, config: SampleRNNConfig) -> int:
        return int(config.conditioning_classes)

    def output(self, config: SampleRNNConfig) -> str:
        return str(config.output)

    def for_budget(self, minutes: float) -> dict[str, Any]:
        """What ``pysynth train --minutes N`` trains: measured on real drum one-shots with
        10-minute budgets on 2 cores (docs/benchmarks.md, "Sound quality"): a 128-wide
        model on 512-sample subsequences learns far more in the time than the 64-wide,
        128-sample default (validation 2.2 against 5.5 bits; the default's clips were 90 %
        silent), at a higher rate that the budget schedule decays. The position input, the
        input noise and the class condition did not help at this budget, so they are off:
        a conditioned model's likelihood of real clips moved by 0.02 bits per sample with
        the right class against a wrong one (it had not learned the classes), and its
        clips scored worse on every quality figure than an unconditioned model's. Pass
        ``--set conditioning_classes=-1`` to condition anyway. Pre-emphasis 0.85 lowered the
        noise scale of its clips from 0.57 and 0.72 to 0.45 and 0.42 in two seeds of the
        same training (docs/benchmarks.md, "Pre-emphasis"). Reading half the clips a batch
        row takes only to their first chunk (``start_share`` 0.5: more training on attacks)
        took it from 0.46-0.48 to 0.32-0.41 and the class score to 0.67-0.70 of the real
        clips'; three quarters (0.75) scored 0.38 and 0.32 against 0.5's 0.41 and 0.32 on the
        same two training seeds, class score 0.70-0.71 (docs/benchmarks.md, "Silence,
        sounding windows and WaveNet's rule"). Two tiers (one frame tier of 16 samples
        under the sample-level MLP, ``frame_sizes`` [16]) instead of the default three
        ([4, 16]): its MLP sees the last 16 samples instead of 4, and on the same two
        training seeds the noise scale went from 0.38 and 0.32 to 0.27 and 0.33, the class
        score from 0.71 and 0.70 to 0.75 and 0.74 of the real clips', and the runaway noise
        went (noise index 4.2 and 3.2 against 0.3 and 0.4): its clips decay
        (docs/benchmarks.md, "Seventh session")."""
        return dict(BUDGET)

    # -- the exported program ------------------------------------------------------------
    def program(self, config: SampleRNNConfig) -> dict[str, Any]:
        return program_from_config(config)

    def tensor_shapes(self, program: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        return tensor_shapes(program)

    def random_program(self, config, *, seed: int = 0):
        return random_program(config, seed)

    def prepare(self, config: SampleRNNConfig, dataset) -> SampleRNNConfig:
        """Fit the config to a dataset: its sample rate (and sizes written for another rate,
        ``sizes_rate``, rescaled to it: :func:`sizes_for_rate`), ``conditioning_classes=-1``
        resolved to one class per label (0 with fewer than two labels) and
        ``position_frames=-1`` to enough frames to cover the longest training clip, and
        with ``lpc_order`` set, the linear predictor fitted on the training clips
        (:func:`pysynth.prediction.lpc_changes`)."""
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

    # -- Keras side (imports TensorFlow lazily) -----------------------------------------
    def build(self, config: SampleRNNConfig):
        from .model import build

        return build(config)

    def teacher_forced_logits(self, model, config, q: np.ndarray, cond=None) -> np.ndarray:
        from .model import teacher_forced_logits

        return teacher_forced_logits(model, config, q, cond=cond)

    def export(self, model, config) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        from .model import export

        return export(model, config)

    def dataset(self, ds, config, **kwargs):
        """TBPTT chunks of consecutive subsequences (see :func:`.data.dataset`)."""
        from .data import dataset

        return dataset(ds, config, **kwargs)

    # -- numpy side -----------------------------------------------------------------------
    def reference(
        self, program: dict[str, Any], tensors: dict[str, np.ndarray]
    ) -> SampleRNNReference:
        return SampleRNNReference(program, tensors)
