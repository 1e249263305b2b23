"""SampleRNN keeps the architecture contract (pysynth.contract) on tiny configs of 2, 3 and 4
tiers: GRU and LSTM, skip connections, weight norm, linear quantization, no hidden MLP."""

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
    }
    train_overrides = {  # noqa: RUF012
        "frame_sizes": [4, 16], "dim": 16, "embed_dim": 8, "seq_len": 64, "batch_size": 2,
    }
