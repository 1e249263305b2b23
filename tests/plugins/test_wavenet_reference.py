"""The WaveNet config, presets, tensor table and numpy reference (no TensorFlow needed).

What every architecture must do (step equals logits, seeded random programs, import without
TensorFlow...) is checked by the contract harness, tests/plugins/test_wavenet_contract.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pysynth_wavenet import (
    WaveNet,
    WaveNetConfig,
    WaveNetReference,
    position_frames_for,
    program_from_config,
    random_program,
    tensor_shapes,
)

from pysynth.arch import ReferenceModel
from pysynth.dataset import Dataset
from pysynth.errors import ModelFileError, ParameterError


def test_logits_follow_the_written_formula_at_t0_and_t1():
    cfg = WaveNetConfig(dilations=[1], residual_channels=3, dilation_channels=2,
                        skip_channels=4, output_channels=5, levels=6, initial_filter_width=2)
    program, w = random_program(cfg, seed=3)
    ref = WaveNetReference(program, w)
    q = np.array([[4, 1]])
    out = ref.logits(q)

    def head(a):
        s = np.maximum(a @ w["layers.0.skip.weight"] + w["layers.0.skip.bias"], 0)
        hid = np.maximum(s @ w["out1.weight"] + w["out1.bias"], 0)
        return hid @ w["out2.weight"] + w["out2.bias"]

    def gate(z):
        return np.tanh(z[:2]) / (1 + np.exp(-z[2:]))

    wc = w["layers.0.conv.weight"]
    h0 = w["input.bias"]  # t = 0: no input at all
    z0 = w["layers.0.conv.bias"] + h0 @ wc[1]
    np.testing.assert_allclose(out[0, 0], head(gate(z0)), rtol=1e-5, atol=1e-6)
    h1 = w["input.bias"] + w["input.table"][1, 4]  # t = 1: x[1] = q[0] on the last tap
    z1 = w["layers.0.conv.bias"] + h0 @ wc[0] + h1 @ wc[1]
    np.testing.assert_allclose(out[0, 1], head(gate(z1)), rtol=1e-5, atol=1e-6)


def test_receptive_field_is_exact():
    cfg = WaveNetConfig(dilations=[1, 2, 4], filter_width=2, initial_filter_width=3, levels=8,
                        residual_channels=4, dilation_channels=4, skip_channels=4,
                        output_channels=4)
    assert cfg.receptive_field == 1 * 7 + 3
    ref = WaveNetReference(*random_program(cfg, seed=0))
    rng = np.random.default_rng(1)
    q = rng.integers(0, 8, size=(1, 30))
    q2 = q.copy()
    t = 25
    q2[0, t - cfg.receptive_field - 1] = (q[0, t - cfg.receptive_field - 1] + 3) % 8
    np.testing.assert_array_equal(ref.logits(q)[0, t], ref.logits(q2)[0, t])  # out of view
    q3 = q.copy()
    q3[0, t - cfg.receptive_field] = (q[0, t - cfg.receptive_field] + 3) % 8
    assert not np.allclose(ref.logits(q)[0, t], ref.logits(q3)[0, t])  # oldest sample in view


def test_presets_and_describe():
    arch = WaveNet()
    small = arch.make_config()
    assert small.receptive_field == 512
    ibab = arch.make_config(preset="ibab")
    assert len(ibab.dilations) == 50
    assert max(ibab.dilations) == 512
    assert (ibab.skip_channels, ibab.sample_rate, ibab.levels) == (512, 16000, 256)
    assert arch.describe(ibab)["receptive_field_samples"] == 5 * 1023 + 2  # one-hot: K0 = K
    # the defaults are the small preset's sizes; the preset also says they are meant at
    # 16 kHz (sizes_rate: carried to other rates in milliseconds), the defaults take samples
    assert arch.make_config(preset="small") == dataclasses.replace(small, sizes_rate=16000)


@pytest.mark.parametrize(
    ("overrides", "word"),
    [
        ({"levels": 1}, "levels"),
        ({"filter_width": 1}, "filter_width"),
        ({"dilations": []}, "dilations"),
        ({"dilations": [1, 0]}, "dilations"),
        ({"residual_channels": 2.5}, "residual_channels"),
        ({"quantization": "alaw"}, "quantization"),
        ({"conditioning_classes": -2}, "conditioning_classes"),
        ({"seq_len": 0}, "seq_len"),
        ({"window": 0}, "seq_len"),  # the old name of seq_len, still read
        ({"input_embedding": True}, "input_embedding"),
        ({"dilation": [1]}, "dilations"),  # unknown key, with a suggestion
    ],
)
def test_bad_configs_raise(overrides, word):
    with pytest.raises(ParameterError, match=word):
        WaveNet().make_config(overrides)


def test_bad_tensors_and_inputs_raise():
    program, tensors = random_program({"dilations": [1, 2], "levels": 8}, seed=0)
    broken = dict(tensors)
    broken["layers.1.res.weight"] = broken["layers.1.res.weight"][:, :-1]
    with pytest.raises(ModelFileError, match=r"layers\.1\.res\.weight"):
        WaveNetReference(program, broken)
    with pytest.raises(ModelFileError, match=r"'out2\.bias' contains NaN"):
        WaveNetReference(program, dict(tensors, **{"out2.bias": np.full(8, np.nan, np.float32)}))
    with pytest.raises(ModelFileError, match="filter_width"):
        WaveNetReference(dict(program, filter_width=1), tensors)
    ref = WaveNetReference(program, tensors)
    with pytest.raises(ParameterError, match="indices"):
        ref.logits([[0, 8]])
    with pytest.raises(ParameterError, match="not conditioned"):
        ref.start(2, cond=np.array([0, 1]))
    cprog, ct = random_program({"dilations": [1], "levels": 8, "conditioning_classes": 2}, 0)
    with pytest.raises(ParameterError, match="cond"):
        WaveNetReference(cprog, ct).start(2)


def test_old_window_key_is_read_as_seq_len():
    """Run folders and config files written before the rename say ``window``."""
    arch = WaveNet()
    assert arch.make_config({"window": 96}).seq_len == 96
    assert arch.make_config({"window": 96, "seq_len": 64}).seq_len == 64  # the new name wins
    assert arch.make_config({"window": 96}, preset="ibab").seq_len == 96
    assert "window" not in arch.config_to_json(arch.make_config({"window": 96}))


def test_configs_take_numpy_integers():
    config = WaveNet().make_config({"levels": np.int64(16), "dilations": [np.int32(1), 2]})
    assert (config.levels, config.dilations) == (16, [1, 2])
    assert type(config.levels) is int  # stored as plain JSON-able ints


def test_tensor_table_follows_docs():
    """The shapes of docs/architecture.md's WaveNet tensor table, for a config whose
    dimensions all differ (K=3, K0=4, Q=24, R=6, D=4, S=7, H=9, C=3, 5 position frames)."""
    config = WaveNetConfig(dilations=[1, 3], filter_width=3, initial_filter_width=4,
                           residual_channels=6, dilation_channels=4, skip_channels=7,
                           output_channels=9, levels=24, conditioning_classes=3,
                           position_frames=5, position_hop=10)
    program = program_from_config(config)
    assert (program["position_frames"], program["position_hop"]) == (5, 10)
    shapes = tensor_shapes(program)
    assert shapes == {
        "input.table": (4, 24, 6), "input.bias": (6,),
        **{f"layers.{i}.{name}": shape for i in range(2) for name, shape in [
            ("conv.weight", (3, 6, 8)), ("conv.bias", (8,)), ("cond.table", (3, 8)),
            ("pos.table", (5, 8)), ("res.weight", (4, 6)), ("res.bias", (6,)),
            ("skip.weight", (4, 7)), ("skip.bias", (7,))]},
        "out1.weight": (7, 9), "out1.bias": (9,), "out2.weight": (9, 24), "out2.bias": (24,),
    }
    plain = tensor_shapes(program_from_config(WaveNetConfig(dilations=[1], position_frames=0)))
    assert not any(name.endswith(("cond.table", "pos.table")) for name in plain)


# The program keys of every model file written before the position input (issue 13).
OLD_PROGRAM_KEYS = {
    "family", "levels", "quantization", "sample_rate", "initial_filter_width", "filter_width",
    "dilations", "residual_channels", "dilation_channels", "skip_channels", "output_channels",
    "conditioning_classes",
}


def test_old_model_files_load_and_give_the_same_results(tmp_path):
    # A model without position input writes exactly the program of before, and a file of
    # that program loads, scores and samples as a reference without any position term.
    from pysynth import _engine
    from pysynth.modelfile import load_model, save_model
    from pysynth.sampling import make_engine, reference_sample

    program, tensors = random_program({"dilations": [1, 2, 4], "levels": 32,
                                       "residual_channels": 6, "dilation_channels": 5,
                                       "skip_channels": 7, "output_channels": 8}, seed=2)
    assert set(program) == OLD_PROGRAM_KEYS
    path = save_model(tmp_path / "old.pysynth", program, tensors)
    mf = load_model(path)
    assert mf.program == program
    q = np.random.default_rng(0).integers(0, 32, size=(2, 50))
    ref = WaveNetReference(mf.program, mf.tensors)
    np.testing.assert_array_equal(ref.logits(q), WaveNetReference(program, tensors).logits(q))
    streams = np.arange(2, dtype=np.int32)
    got = make_engine(path, device="cpu", threads=1).generate(60, streams=streams, seed=5)
    want = reference_sample(ref, 60, _engine.uniforms(5, streams, 0, 60))
    np.testing.assert_array_equal(got, want)


def test_position_row_is_added_to_every_layer_by_frame():
    """docs/architecture.md: layer l adds pos.table[min(t // hop, P - 1)] to z at sample t.
    The logits at t see z at t-3..t (dilations 1, 2); where those all lie in frame f, they
    equal the logits of the model without position whose conv.bias holds frame f's row."""
    cfg = {"dilations": [1, 2], "residual_channels": 4, "dilation_channels": 3,
           "skip_channels": 5, "output_channels": 6, "levels": 8, "position_frames": 3,
           "position_hop": 8}
    program, w = random_program(cfg, seed=1)
    ref = WaveNetReference(program, w)
    q = np.random.default_rng(2).integers(0, 8, size=(1, 30))
    out = ref.logits(q)
    np.testing.assert_allclose(out, ReferenceModel.logits(ref, q), rtol=1e-5, atol=1e-6)
    plain_program = {k: v for k, v in program.items() if not k.startswith("position_")}
    for frame, times in [(0, [0, 3, 7]), (1, [11, 15]), (2, [19, 23, 29])]:  # 24+: last frame
        moved = {k: v for k, v in w.items() if ".pos." not in k}
        for i in range(2):
            moved[f"layers.{i}.conv.bias"] = (w[f"layers.{i}.conv.bias"]
                                              + w[f"layers.{i}.pos.table"][frame])
        want = WaveNetReference(plain_program, moved).logits(q)[0, times]
        np.testing.assert_allclose(out[0, times], want, rtol=1e-5, atol=1e-6)
    without = {k: v for k, v in w.items() if ".pos." not in k}
    assert not np.allclose(out, WaveNetReference(plain_program, without).logits(q))


def test_position_frames_resolve_from_the_longest_training_clip(tmp_path, dataset_of, sine):
    arch = WaveNet()
    clips = [("a", sine(seconds=0.5), "train", "x"), ("b", sine(seconds=1.0), "train", "y"),
             ("c", sine(seconds=3.0), "validation", "x")]  # validation clips do not count
    ds = Dataset.open(dataset_of(tmp_path / "d", clips))
    config = arch.prepare(arch.make_config({}), ds)
    assert config.position_frames == position_frames_for(16000, 256) == 63
    assert arch.prepare(arch.make_config({"position_hop": 100}), ds).position_frames == 160
    assert arch.prepare(arch.make_config({"position_hop": 10}), ds).position_frames == 256
    assert arch.prepare(arch.make_config({"position_hop": 16000}), ds).position_frames == 0
    assert arch.prepare(arch.make_config({"position_frames": 7}), ds).position_frames == 7
    assert arch.describe(config)["position_ms"] == 63 * 16.0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"position_frames": 3}, "lacks position_hop"),
        ({"position_frames": -1, "position_hop": 4}, "position_frames must be >= 0"),
        ({"position_frames": 3, "position_hop": 0}, "position_hop"),
    ],
)
def test_bad_position_programs_are_refused(change, match):
    program, tensors = random_program({"dilations": [1]}, seed=0)
    with pytest.raises(ModelFileError, match=match):
        WaveNetReference({**program, **change}, tensors)


def test_unresolved_position_frames_cannot_be_exported():
    with pytest.raises(ParameterError, match="position_frames=-1"):
        program_from_config(WaveNetConfig(dilations=[1]))
