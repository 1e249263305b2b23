"""The Keras WaveNet checks its inputs. That it computes what the numpy reference computes
(rtol 1e-4) and exports the declared tensors is the contract harness's check
(tests/plugins/test_wavenet_contract.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from pysynth_wavenet import WaveNet

from pysynth.errors import ParameterError

pytestmark = pytest.mark.keras

COND = {"dilations": [1, 2, 4], "initial_filter_width": 3, "residual_channels": 4,
        "dilation_channels": 5, "skip_channels": 6, "output_channels": 7, "levels": 16,
        "conditioning_classes": 2, "position_frames": 0}


def test_conditioning_input_is_checked():
    arch = WaveNet()
    config = arch.make_config(COND)
    model = arch.build(config)
    with pytest.raises(ParameterError, match="cond"):
        arch.teacher_forced_logits(model, config, np.zeros((1, 5), dtype=int))
    # -1 ("one per dataset label") never fitted to a dataset builds an unconditioned model
    unfitted = arch.build(arch.make_config({"position_frames": 0}))
    assert "cond" not in [i.name for i in unfitted.inputs]
    with pytest.raises(ParameterError, match="position_frames=-1"):
        arch.build(arch.make_config({**COND, "position_frames": -1}))
