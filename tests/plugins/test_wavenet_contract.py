"""WaveNet keeps the architecture contract (pysynth.contract) on three tiny configs: one-hot
input, a learned embedding with conditioning, position input and wider filters, conditioning
and position input on one-hot (position frames of a few samples, so that the 37-sample
sequences of the checks cross every frame and run past the last); and the 16-bit mixture
output (mol16), alone and with the dataset's linear predictor (lpc_order)."""

from __future__ import annotations

from pysynth_wavenet import WaveNet

from pysynth.contract import ArchitectureContract


class TestWaveNetContract(ArchitectureContract):
    arch = WaveNet()
    configs = {  # noqa: RUF012 - read-only test data
        "k2-onehot": {"dilations": [1, 2, 4, 8, 1, 2], "residual_channels": 8,
                      "dilation_channels": 6, "skip_channels": 10, "output_channels": 12,
                      "levels": 32, "position_frames": 0},
        "k3-k0=4-embed-cond": {"dilations": [1, 3, 2, 5], "filter_width": 3,
                               "initial_filter_width": 4, "input_embedding": 5,
                               "residual_channels": 6, "dilation_channels": 4,
                               "skip_channels": 7, "output_channels": 9, "levels": 24,
                               "conditioning_classes": 3, "position_frames": 4,
                               "position_hop": 6},
        "k2-k0=3-cond-onehot": {"dilations": [1, 2, 4], "initial_filter_width": 3,
                                "residual_channels": 4, "dilation_channels": 5,
                                "skip_channels": 6, "output_channels": 7, "levels": 16,
                                "conditioning_classes": 2, "position_frames": 6,
                                "position_hop": 5},
        # the 16-bit mixture output: the input conv reads values (input.weight), 3K outputs
        "k2-k0=3-mol16-cond": {"dilations": [1, 2, 4], "initial_filter_width": 3,
                               "residual_channels": 6, "dilation_channels": 5,
                               "skip_channels": 8, "output_channels": 7, "output": "mol16",
                               "mixtures": 3, "conditioning_classes": 2,
                               "position_frames": 0},
        # and the dataset's linear predictor in its means (lpc_order, pysynth.prediction)
        "k2-mol16-lpc": {"dilations": [1, 2], "residual_channels": 4, "dilation_channels": 3,
                         "skip_channels": 5, "output_channels": 6, "output": "mol16",
                         "mixtures": 2, "lpc_order": 3, "lpc": [0.6, -0.2, 0.1],
                         "conditioning_classes": 0, "position_frames": 0},
    }
    train_overrides = {  # noqa: RUF012
        "dilations": [1, 2, 4], "residual_channels": 8, "dilation_channels": 8,
        "skip_channels": 16, "output_channels": 16, "seq_len": 64, "batch_size": 2,
        "conditioning_classes": -1, "position_hop": 512,
    }
