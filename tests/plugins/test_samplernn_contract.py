"""SampleRNN keeps the architecture contract (pysynth.contract) on tiny configs of 2, 3 and 4
tiers: GRU and LSTM, skip connections, weight norm, linear quantization, no hidden MLP, class
conditioning with position input, the 16-bit mixture output (mol16), alone and with the
dataset's linear predictor. The resume check
trains on two labels, so with the default conditioning_classes=-1 and position_frames=-1 it
trains a conditioned model with position."""

from __future__ import annotations

from pysynth_samplernn import SampleRNN

from pysynth.contract import ArchitectureContract


class TestSampleRNNContract(ArchitectureContract):
    arch = SampleRNN()
    configs = {  # noqa: RUF012 - read-only test data
        "2tier-gru-skip-wn": {"frame_sizes": [4], "dim": 12, "rnn_layers": 2,
                              "skip_connections": True, "weight_norm": True, "seq_len": 16,
                              "quantization": "linear"},
        "3tier-lstm": {"frame_sizes": [2, 8], "dim": 10, "rnn_type": "lstm", "rnn_layers": 2,
                       "mlp_layers": 2, "embed_dim": 5, "seq_len": 16},
        "3tier-lstm-skip-wn": {"frame_sizes": [2, 8], "dim": 10, "rnn_type": "lstm",
                               "rnn_layers": 2, "skip_connections": True, "weight_norm": True,
                               "mlp_layers": 0, "seq_len": 16},
        "4tier-gru-linear": {"frame_sizes": [2, 4, 8], "dim": 8, "levels": 17,
                             "quantization": "linear", "seq_len": 8},
        # classes, and position frames of 5 samples: the 37-sample sequences of the checks
        # cross every frame (top steps at 0, 8, 16, 24, 32) and run past the last (P * H = 15)
        "3tier-gru-cond-pos": {"frame_sizes": [2, 8], "dim": 10, "rnn_layers": 2,
                               "seq_len": 16, "conditioning_classes": 3,
                               "position_frames": 3, "position_hop": 5},
        "2tier-lstm-cond-pos-wn": {"frame_sizes": [4], "dim": 8, "rnn_type": "lstm",
                                   "weight_norm": True, "seq_len": 8,
                                   "conditioning_classes": 2, "position_frames": 4,
                                   "position_hop": 3},
        # the 16-bit mixture output: the sample level reads values (sample.weight), 3K outputs
        "3tier-gru-mol16": {"frame_sizes": [2, 8], "dim": 10, "rnn_layers": 1,
                            "mlp_layers": 1, "seq_len": 16, "output": "mol16", "mixtures": 4},
        # and the dataset's linear predictor in its means (lpc_order, pysynth.prediction)
        "2tier-mol16-lpc": {"frame_sizes": [2, 6], "dim": 8, "rnn_layers": 1, "mlp_layers": 1,
                            "seq_len": 12, "output": "mol16", "mixtures": 2, "lpc_order": 4,
                            "lpc": [0.5, -0.2, 0.1, 0.05]},
    }
    train_overrides = {  # noqa: RUF012
        "frame_sizes": [4, 16], "dim": 16, "embed_dim": 8, "seq_len": 64, "batch_size": 2,
    }
