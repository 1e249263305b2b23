"""The engines' tensor tables (declared once in C++: csrc/wavenet_program.h and
csrc/samplernn_program.h, exposed as ``pysynth._engine.tensor_table``) equal the tensor
shapes each architecture plugin declares, name for name, shape for shape and in order."""

from __future__ import annotations

import json

import pytest

from pysynth import _engine
from pysynth.registry import architectures

CASES = [
    ("wavenet", None, {"position_frames": 0}),
    ("wavenet", None, {"conditioning_classes": 3, "position_frames": 63}),
    ("wavenet", None, {"filter_width": 3, "initial_filter_width": 5, "dilations": [1, 3, 9],
                       "residual_channels": 8, "dilation_channels": 9, "skip_channels": 24,
                       "output_channels": 17, "levels": 50, "conditioning_classes": 2,
                       "position_frames": 4, "position_hop": 100}),
    ("wavenet", "ibab", {"position_frames": 0}),
    ("samplernn", None, {"frame_sizes": [4], "rnn_type": "gru", "rnn_layers": 2,
                         "mlp_layers": 1}),
    ("samplernn", None, {"frame_sizes": [3], "seq_len": 96, "rnn_type": "lstm", "rnn_layers": 3,
                         "mlp_layers": 0, "skip_connections": True}),
    ("samplernn", None, {"frame_sizes": [2, 8], "rnn_type": "gru", "rnn_layers": 1}),
    ("samplernn", None, {"frame_sizes": [4, 16], "rnn_type": "lstm", "rnn_layers": 2,
                         "mlp_layers": 3, "levels": 64}),
    ("samplernn", "prism", {}),
]


@pytest.mark.parametrize(("family", "preset", "overrides"), CASES)
def test_engine_tensor_table_equals_the_plugins_tensor_shapes(family, preset, overrides):
    arch = architectures.get(family)()
    program = arch.program(arch.make_config(overrides, preset=preset))
    engine = _engine.tensor_table(family, json.dumps(program))
    plugin = arch.tensor_shapes(program)
    assert list(engine.items()) == [(k, tuple(v)) for k, v in plugin.items()]


def test_tensor_table_validates_the_program():
    with pytest.raises(ValueError, match="no engine runs the family 'foo'"):
        _engine.tensor_table("foo", "{}")
    with pytest.raises(ValueError, match="program family must be 'wavenet'"):
        _engine.tensor_table("wavenet", json.dumps({"family": "samplernn"}))
    with pytest.raises(ValueError, match="program key 'dim' is missing"):
        _engine.tensor_table("samplernn", json.dumps({"family": "samplernn", "levels": 8,
                                                      "frame_sizes": [2]}))
