"""The compiled WaveNet engine against the numpy reference (docs/architecture.md).

The "pos-" configs have the position input, with hops so short that the sequences cross
every frame and run past the last one (``position_frames * position_hop`` samples).

Random-weight programs from the WaveNet plugin's random_program: teacher-forced logits
match the reference at rtol 1e-4, sampling with the engine's uniforms reproduces the
numpy reference sampler, and a stream's audio does not depend on the batch size or the
thread count. Bad programs, tensors and inputs raise ValueError naming the culprit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pysynth_wavenet import WaveNet, random_program

from pysynth import _engine
from pysynth.sampling import reference_sample

# channel counts deliberately not multiples of the 8/16-wide vector blocks
CONFIGS = {
    "one-stack": {"dilations": [1, 2, 4, 8], "residual_channels": 16, "dilation_channels": 16,
                  "skip_channels": 32, "output_channels": 32, "levels": 64},
    "multi-stack-odd": {"dilations": [1, 2, 4, 1, 2, 4, 1, 2], "residual_channels": 12,
                        "dilation_channels": 10, "skip_channels": 20, "output_channels": 18,
                        "levels": 37},
    "cond-k3": {"dilations": [1, 3, 9, 1, 3], "filter_width": 3, "initial_filter_width": 5,
                "residual_channels": 8, "dilation_channels": 9, "skip_channels": 24,
                "output_channels": 17, "levels": 50, "conditioning_classes": 3},
    "cond-k2-k0": {"dilations": [1, 2, 4, 8, 16, 1, 2], "initial_filter_width": 3,
                   "residual_channels": 20, "dilation_channels": 24, "skip_channels": 40,
                   "output_channels": 33, "levels": 256, "conditioning_classes": 2},
    "pos-onehot": {"dilations": [1, 2, 4, 8], "residual_channels": 16, "dilation_channels": 12,
                   "skip_channels": 24, "output_channels": 20, "levels": 40,
                   "position_frames": 3, "position_hop": 6},
    "pos-cond-k3": {"dilations": [1, 3, 9, 1, 3], "filter_width": 3, "initial_filter_width": 5,
                    "residual_channels": 8, "dilation_channels": 9, "skip_channels": 24,
                    "output_channels": 17, "levels": 50, "conditioning_classes": 3,
                    "position_frames": 5, "position_hop": 7},
}


def _model(name, seed=0):
    program, tensors = random_program(CONFIGS[name], seed=seed)
    return program, tensors


def _engine_for(program, tensors, threads=1, split="measured"):
    return _engine.WaveNetEngine(json.dumps(program), tensors, threads, split=split)


def _cond(program, b, rng):
    c = program["conditioning_classes"]
    return rng.integers(0, c, size=b).astype(np.int32) if c else None


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_teacher_forced_logits_match_reference(name):
    program, tensors = _model(name)
    ref = WaveNet().reference(program, tensors)
    eng = _engine_for(program, tensors, threads=2)
    rng = np.random.default_rng(1)
    # longer than the receptive field, so every ring buffer wraps
    t = ref.receptive_field + 20
    q = rng.integers(0, program["levels"], size=(3, t)).astype(np.int32)
    cond = _cond(program, 3, rng)
    got = eng.logits(q, cond)
    want = ref.logits(q, cond)
    assert got.shape == (3, t, program["levels"])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    # and the engine's NLL is the log-softmax of its own logits at the targets
    nll = eng.nll(q, cond)
    lg = want.astype(np.float64)
    lse = np.log(np.exp(lg - lg.max(-1, keepdims=True)).sum(-1)) + lg.max(-1)
    bits = (lse - np.take_along_axis(lg, q[..., None], -1)[..., 0]) / np.log(2)
    np.testing.assert_allclose(nll, bits, rtol=1e-4, atol=1e-4)


def test_receptive_field_and_properties():
    program, tensors = _model("cond-k3")
    eng = _engine_for(program, tensors, threads=2)
    assert eng.receptive_field == 2 * (1 + 3 + 9 + 1 + 3) + 5
    assert eng.levels == 50
    assert eng.num_threads == 2
    assert eng.flops_per_sample > 0


def test_logits_depend_on_input_only_within_receptive_field():
    # changing q[0] must change logits[t] for t <= RF and leave t > RF untouched
    program, tensors = _model("one-stack")
    eng = _engine_for(program, tensors)
    rf = eng.receptive_field
    rng = np.random.default_rng(2)
    q = rng.integers(0, program["levels"], size=(1, rf + 10)).astype(np.int32)
    q2 = q.copy()
    q2[0, 0] = (q[0, 0] + 7) % program["levels"]
    a, b = eng.logits(q), eng.logits(q2)
    assert not np.allclose(a[0, rf], b[0, rf])
    np.testing.assert_array_equal(a[0, rf + 1 :], b[0, rf + 1 :])
    np.testing.assert_array_equal(a[0, 0], b[0, 0])


@pytest.mark.parametrize("name", ["multi-stack-odd", "cond-k3", "pos-onehot", "pos-cond-k3"])
@pytest.mark.parametrize(("temperature", "min_p"), [(1.0, 0.0), (0.8, 0.0), (0.0, 0.0),
                                                    (1.0, 0.05), (1.3, 0.3)])
def test_generation_matches_numpy_reference_sampler(name, temperature, min_p):
    program, tensors = _model(name, seed=3)
    ref = WaveNet().reference(program, tensors)
    eng = _engine_for(program, tensors, threads=2)
    rng = np.random.default_rng(4)
    b, n, p = 3, 120, 9
    streams = np.array([0, 5, 2], dtype=np.int32)
    prime = rng.integers(0, program["levels"], size=(b, p)).astype(np.int32)
    cond = _cond(program, b, rng)
    got = eng.generate(n, streams=streams, seed=11, temperature=temperature, min_p=min_p,
                       prime=prime, cond=cond)
    u = _engine.uniforms(11, streams, p, n)
    want = reference_sample(ref, n, u, temperature, prime, cond, min_p=min_p)
    np.testing.assert_array_equal(got, want)
    # the generated samples are not degenerate (the sampler actually samples)
    if temperature > 0:
        assert len(np.unique(got)) > 5


@pytest.mark.parametrize("name", ["pos-onehot", "pos-cond-k3"])
def test_position_tables_are_added_by_frame(name):
    # zeroing every pos.table gives the model without position input; the row of frame f
    # changes the logits of exactly the samples in frame f (the last frame: all after it)
    program, tensors = _model(name, seed=8)
    frames, hop = program["position_frames"], program["position_hop"]
    rng = np.random.default_rng(3)
    t = frames * hop + 25
    q = rng.integers(0, program["levels"], size=(2, t)).astype(np.int32)
    cond = _cond(program, 2, rng)
    logits = _engine_for(program, tensors, threads=2).logits(q, cond)
    plain = {k: v for k, v in tensors.items() if ".pos." not in k}
    plain_program = {k: v for k, v in program.items() if not k.startswith("position_")}
    zeroed = {k: (np.zeros_like(v) if ".pos." in k else v) for k, v in tensors.items()}
    np.testing.assert_array_equal(_engine_for(program, zeroed).logits(q, cond),
                                  _engine_for(plain_program, plain).logits(q, cond))
    for f in (0, frames - 1):
        bumped = {k: v.copy() for k, v in tensors.items()}
        for k in bumped:
            if ".pos." in k:
                bumped[k][f] += 1.0
        changed = np.any(_engine_for(program, bumped).logits(q, cond) != logits, axis=(0, 2))
        first = np.flatnonzero(changed)[0]
        assert first == f * hop
        if f == frames - 1:
            assert changed[first:].all()  # the last frame holds every later sample


def test_position_counts_from_the_prime():
    # a prime is the clip's start: generating after a prime equals scoring prime + output
    program, tensors = _model("pos-cond-k3", seed=2)
    eng = _engine_for(program, tensors, threads=2)
    rng = np.random.default_rng(1)
    prime = rng.integers(0, program["levels"], size=(2, 23)).astype(np.int32)
    cond = np.array([2, 0], np.int32)
    out = eng.generate(30, streams=np.arange(2, dtype=np.int32), seed=0, temperature=0.0,
                       prime=prime, cond=cond)
    full = np.concatenate([prime, out], axis=1)
    np.testing.assert_array_equal(eng.logits(full, cond)[:, 23:].argmax(-1), out)


def test_same_seed_same_audio_across_batch_sizes_and_threads():
    program, tensors = _model("cond-k2-k0", seed=5)
    n = 300
    cond8 = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=np.int32)
    one = _engine_for(program, tensors, threads=1)
    two = _engine_for(program, tensors, threads=2)
    solo = one.generate(n, streams=np.array([3], dtype=np.int32), seed=9, cond=cond8[3:4])
    batch1 = one.generate(n, streams=np.arange(8, dtype=np.int32), seed=9, cond=cond8)
    batch2 = two.generate(n, streams=np.arange(8, dtype=np.int32), seed=9, cond=cond8)
    np.testing.assert_array_equal(batch1, batch2)
    np.testing.assert_array_equal(batch1[3], solo[0])
    # another seed gives other audio
    other = one.generate(n, streams=np.array([3], dtype=np.int32), seed=10, cond=cond8[3:4])
    assert not np.array_equal(other, solo)


# a head large enough (skip 4*32 x 512 + out1 512 x 512 multiply-adds per stream) that
# fewer streams than threads split its products by columns across the threads
WIDE_HEAD = {"dilations": [1, 2, 4, 8], "residual_channels": 16, "dilation_channels": 32,
             "skip_channels": 512, "output_channels": 500, "levels": 256,
             "conditioning_classes": 2}


def test_head_split_across_threads_is_bit_identical():
    program, tensors = random_program(WIDE_HEAD, seed=4)
    one, two, three = (_engine_for(program, tensors, threads=k, split="always") for k in (1, 2, 3))
    rng = np.random.default_rng(2)
    prime = rng.integers(0, 256, size=(3, 20)).astype(np.int32)
    cond = np.array([1, 0, 1], dtype=np.int32)
    streams = np.array([4, 1, 9], dtype=np.int32)
    kw = {"seed": 5, "temperature": 1.0}
    batch = one.generate(60, streams=streams, prime=prime, cond=cond, **kw)
    for b in range(3):  # B = 1 < 2 threads: the head is split
        args = {"streams": streams[b:b + 1], "prime": prime[b:b + 1], "cond": cond[b:b + 1],
                **kw}
        want = one.generate(60, **args)
        np.testing.assert_array_equal(want, batch[b:b + 1])
        np.testing.assert_array_equal(two.generate(60, **args), want)
        np.testing.assert_array_equal(two.generate(60, chunk=7, **args), want)
    # B = 2 < 3 threads: one group of two streams, split three ways
    args = {"streams": streams[:2], "prime": prime[:2], "cond": cond[:2], **kw}
    np.testing.assert_array_equal(three.generate(60, chunk=13, **args), batch[:2])
    # teacher-forced logits too, bit for bit
    np.testing.assert_array_equal(two.logits(prime[:1], cond[:1]), one.logits(prime[:1], cond[:1]))
    assert len(np.unique(batch)) > 10  # really sampled, not stuck


def test_small_preset_head_split_is_bit_identical():
    # the default preset's 128-wide head is split in 4-panel parts
    from pysynth_wavenet import PRESETS

    program, tensors = random_program(PRESETS["small"], seed=1)
    one, two = (_engine_for(program, tensors, threads=k, split="always") for k in (1, 2))
    streams = np.array([2], dtype=np.int32)
    want = one.generate(200, streams=streams, seed=3)
    np.testing.assert_array_equal(two.generate(200, streams=streams, seed=3, chunk=64), want)


def test_head_split_across_threads_repeatable():
    # Many short calls, ~40,000 split products: a race between the threads' parts (a part
    # claimed twice or read while written) shows up as a differing sample.
    program, tensors = random_program(WIDE_HEAD, seed=7)
    one, two = (_engine_for(program, tensors, threads=k, split="always") for k in (1, 2))
    streams = np.array([3], dtype=np.int32)
    cond = np.array([1], dtype=np.int32)
    want = one.generate(24, streams=streams, seed=1, cond=cond)
    for chunk in [1, 5, 24] * 200:
        got = two.generate(24, streams=streams, seed=1, cond=cond, chunk=chunk)
        np.testing.assert_array_equal(got, want)


def test_callback_streams_the_same_samples_in_chunks():
    program, tensors = _model("one-stack")
    eng = _engine_for(program, tensors, threads=2)
    streams = np.arange(3, dtype=np.int32)
    whole = eng.generate(250, streams=streams, seed=1)
    blocks = []
    assert eng.generate(250, streams=streams, seed=1, chunk=64, callback=blocks.append) is None
    assert [blk.shape for blk in blocks] == [(3, 64)] * 3 + [(3, 58)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


def test_callback_exception_propagates():
    program, tensors = _model("one-stack")
    eng = _engine_for(program, tensors)
    calls = []

    def boom(block):
        calls.append(block.shape)
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        eng.generate(200, streams=np.arange(2, dtype=np.int32), seed=0, chunk=50, callback=boom)
    assert len(calls) == 1


def test_prime_is_teacher_forced():
    # continuing a prime equals generating from the logits of the primed context: with
    # temperature 0 the first new sample is the argmax of the teacher-forced logits
    program, tensors = _model("one-stack")
    eng = _engine_for(program, tensors)
    rng = np.random.default_rng(6)
    prime = rng.integers(0, program["levels"], size=(2, 40)).astype(np.int32)
    got = eng.generate(1, streams=np.arange(2, dtype=np.int32), seed=0, temperature=0.0,
                       prime=prime)
    padded = np.concatenate([prime, np.zeros((2, 1), np.int32)], axis=1)
    expect = eng.logits(padded)[:, -1].argmax(-1)
    np.testing.assert_array_equal(got[:, 0], expect)


# -- validation at the boundary --------------------------------------------------------


def _tampered(mutate):
    program, tensors = _model("cond-k3")
    tensors = dict(tensors)
    program = dict(program)
    mutate(program, tensors)
    return program, tensors


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda p, t: t.pop("layers.2.res.weight"), "missing tensor 'layers.2.res.weight'"),
        (lambda p, t: t.update({"out2.bias": np.zeros(7, np.float32)}), "'out2.bias' has shape"),
        (lambda p, t: t.update({"input.bias": np.array(["a"] * 8)}), "'input.bias' has dtype"),
        (lambda p, t: t["layers.1.conv.weight"].__setitem__((0, 0, 0), np.nan), "NaN"),
        (lambda p, t: t["out1.weight"].__setitem__((0, 0), np.inf), "NaN or infinite"),
        (lambda p, t: p.update({"family": "samplernn"}), "family"),
        (lambda p, t: p.pop("dilations"), "dilations"),
        (lambda p, t: p.update({"filter_width": 0}), "filter_width"),
        (lambda p, t: p.update({"levels": "many"}), "levels"),
        (lambda p, t: p.update({"position_frames": 4, "position_hop": 8}),
         "missing tensor 'layers.0.pos.table'"),
        (lambda p, t: p.update({"position_frames": 4}), "position_hop"),
        (lambda p, t: p.update({"position_frames": -1}), "position_frames"),
        (lambda p, t: p.update({"position_frames": 2, "position_hop": 0}), "position_hop"),
    ],
)
def test_bad_programs_and_tensors_raise_clear_errors(mutate, match):
    program, tensors = _tampered(mutate)
    with pytest.raises(ValueError, match=match):
        _engine_for(program, tensors)


def test_castable_dtypes_are_accepted():
    program, tensors = _model("one-stack")
    as64 = {k: v.astype(np.float64) for k, v in tensors.items()}
    q = np.random.default_rng(0).integers(0, 64, size=(1, 30)).astype(np.int32)
    np.testing.assert_allclose(_engine_for(program, as64).logits(q),
                               _engine_for(program, tensors).logits(q), rtol=1e-6)


def test_bad_inputs_raise_clear_errors():
    program, tensors = _model("cond-k3")
    eng = _engine_for(program, tensors)
    q = np.zeros((2, 5), np.int32)
    cond = np.array([0, 2], np.int32)
    with pytest.raises(ValueError, match="q values must be in"):
        eng.logits(np.full((2, 5), 50, np.int32), cond)
    with pytest.raises(ValueError, match="must be an integer array"):
        eng.logits(q.astype(np.float32), cond)
    with pytest.raises(ValueError, match="2 dimension"):
        eng.logits(q[0], cond)
    with pytest.raises(ValueError, match="pass cond"):
        eng.logits(q)
    with pytest.raises(ValueError, match="cond values must be in"):
        eng.logits(q, np.array([0, 3], np.int32))
    with pytest.raises(ValueError, match="one class id per stream"):
        eng.logits(q, np.array([0], np.int32))
    streams = np.arange(2, dtype=np.int32)
    with pytest.raises(ValueError, match="temperature"):
        eng.generate(5, streams=streams, seed=0, temperature=-1.0, cond=cond)
    with pytest.raises(ValueError, match="seed"):
        eng.generate(5, streams=streams, seed=-3, cond=cond)
    with pytest.raises(ValueError, match="prime must have one row per stream"):
        eng.generate(5, streams=streams, seed=0, cond=cond, prime=np.zeros((3, 4), np.int32))
    with pytest.raises(ValueError, match="prime values"):
        eng.generate(5, streams=streams, seed=0, cond=cond, prime=np.full((2, 4), 99))
    plain_program, plain_tensors = _model("one-stack")
    plain = _engine_for(plain_program, plain_tensors)
    with pytest.raises(ValueError, match="not conditioned"):
        plain.logits(q, cond)


def test_ctrl_c_interrupts_a_long_generation():
    import _thread
    import signal
    import threading

    program, tensors = _model("multi-stack-odd")
    eng = _engine_for(program, tensors, threads=2)
    # interrupt_main only raises KeyboardInterrupt where Python's own SIGINT handler is in place:
    # a process that inherited SIGINT as ignored (`pytest &` from a script, nohup, some CI
    # runners) has none, and without this the generation below would run for hours.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # hours of audio: only an interrupt between slices of work ends it early
            eng.generate(10**9, streams=np.arange(4, dtype=np.int32), seed=0, chunk=4096,
                         callback=lambda block: None)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_test_ends_where_sigint_was_ignored(tmp_path):
    # The test above, run by a pytest whose parent ignored SIGINT: it must still end (the hang
    # guard is the subprocess timeout, far above the second or two the test takes).
    import signal
    import subprocess
    import sys

    node = f"{__file__}::test_ctrl_c_interrupts_a_long_generation"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.keras
@pytest.mark.parametrize("embed", [0, 5])
def test_engine_runs_the_keras_export(embed):
    # train-side model -> export -> engine: the engine's logits equal the Keras model's,
    # position input included (40 samples run past its 3 frames of 9)
    pytest.importorskip("tensorflow")
    import keras

    arch = WaveNet()
    config = arch.make_config({"dilations": [1, 2, 4, 1, 2], "initial_filter_width": 3,
                               "residual_channels": 6, "dilation_channels": 5,
                               "skip_channels": 7, "output_channels": 9, "levels": 24,
                               "conditioning_classes": 2, "input_embedding": embed,
                               "position_frames": 3, "position_hop": 9})
    keras.utils.set_random_seed(0)
    model = arch.build(config)
    rng = np.random.default_rng(1)
    model.set_weights([(rng.standard_normal(w.shape) * 0.4).astype(np.float32)
                       for w in model.get_weights()])
    q = rng.integers(0, config.levels, size=(2, 40)).astype(np.int32)
    cond = np.array([1, 0], np.int32)
    want = arch.teacher_forced_logits(model, config, q, cond)
    program, tensors = arch.export(model, config)
    got = _engine_for(program, tensors, threads=2).logits(q, cond)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
