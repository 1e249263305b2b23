"""The Keras SampleRNN's truncated-BPTT state carrying, input checks and Keras round trip.
That it computes what the numpy reference computes (rtol 1e-4) and exports the declared
tensors is the contract harness's check (tests/plugins/test_samplernn_contract.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from pysynth_samplernn import make_config
from pysynth_samplernn.model import build, randomize, teacher_forced_logits

pytestmark = pytest.mark.keras


def _np(x):
    return x.numpy()

@pytest.mark.parametrize(("rnn_type", "extra"), [
    ("gru", {}), ("lstm", {}),
    # classes, and position frames of 3 samples: chunk k starts at sample 8k of its clip
    ("gru", {"conditioning_classes": 3, "position_frames": 5, "position_hop": 3}),
])
def test_chunks_with_carried_state_equal_whole_clip(rnn_type, extra):
    """TBPTT chunks: state carried across consecutive chunks and reset at a new clip give
    exactly the whole-clip logits (with each row's class and each chunk's start)."""
    config = make_config({"frame_sizes": [2, 4], "dim": 8, "seq_len": 8, "batch_size": 2,
                          "rnn_type": rnn_type, "rnn_layers": 2, **extra})
    model = build(config)
    randomize(model, seed=2)
    rng = np.random.default_rng(5)
    cond = np.array([2, 0], dtype=np.int32) if extra else None
    whole = teacher_forced_logits(model, config, clips := rng.integers(0, 256, (2, 24)), cond)
    top, s = config.top_frame_size, config.seq_len
    for _ in range(2):  # a second pass: the reset flag must discard the kept state
        outs = []
        for k in range(3):
            q = np.full((2, top + s), -1, dtype=np.int32)
            lo = k * s - top
            q[:, max(0, -lo):] = clips[:, max(lo, 0): (k + 1) * s]
            reset = np.full((2,), 1.0 if k == 0 else 0.0, dtype=np.float32)
            x = {"q": q, "reset": reset}
            if extra:
                x |= {"cond": cond, "start": np.full((2,), k * s, dtype=np.int32)}
            outs.append(_np(model(x)))
        np.testing.assert_allclose(np.concatenate(outs, 1), whole, rtol=1e-4, atol=1e-5)
    # without carrying, chunks after the first differ
    q = np.zeros((2, top + s), np.int32)
    q[:, :] = clips[:, s - top: 2 * s]
    x = {"q": q, "reset": np.ones(2, np.float32)}
    if extra:
        x |= {"cond": cond, "start": np.full((2,), s, dtype=np.int32)}
    fresh = _np(model(x, carry=False))
    assert not np.allclose(fresh, whole[:, s: 2 * s], atol=1e-3)


def test_bad_inputs():
    config = make_config({"frame_sizes": [2], "dim": 4, "seq_len": 2, "batch_size": 1})
    model = build(config)
    with pytest.raises(ValueError, match="q must"):
        teacher_forced_logits(model, config, np.array([[0, 300]]))
    with pytest.raises(ValueError, match="cond"):
        teacher_forced_logits(model, config, np.array([[0, 3]]), cond=np.array([0]))


def test_keras_config_round_trip_and_weights():
    """get_config/from_config rebuild the same model; set_weights restores it exactly
    (what the shared loop's npz checkpoints rely on), kept states included."""
    from pysynth_samplernn.model import SampleRNNModel

    config = make_config({"frame_sizes": [2, 4], "dim": 6, "seq_len": 8, "batch_size": 2,
                          "rnn_type": "lstm", "weight_norm": True})
    model = build(config)
    randomize(model, seed=4)
    clone = SampleRNNModel.from_config(model.get_config())
    clone.build()
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in model.weights]
    clone.set_weights(model.get_weights())
    q = np.random.default_rng(1).integers(0, 256, (2, 12))
    np.testing.assert_array_equal(teacher_forced_logits(clone, config, q),
                                  teacher_forced_logits(model, config, q))
    kept = [w for w in model.weights if not w.trainable]
    assert len(kept) == 2 * 2  # (h, c) per tier, one layer each
    assert all(tuple(w.shape) == (2, 6) for w in kept)
