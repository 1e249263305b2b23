"""The compiled SampleRNN engine (pysynth._engine.SampleRNNEngine) against the numpy reference.

The reference (plugins/samplernn/pysynth_samplernn/reference.py) is the executable form of
docs/architecture.md; the engine must compute the same logits (rtol 1e-4 on random
weights), draw the same samples from the same uniforms, and give a stream the same audio
whatever the batch size, thread count or chunking.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn.reference import SampleRNNReference, random_program

from pysynth import _engine
from pysynth.sampling import reference_sample as sample_with_uniforms

uniforms = _engine.uniforms

CONFIGS = {
    # "2-tier" in the paper's counting: one frame tier over the sample-level MLP
    "2tier-gru": {"frame_sizes": [4], "dim": 24, "rnn_type": "gru", "rnn_layers": 2, "mlp_layers": 1,
                      "levels": 32, "seq_len": 16},
    "2tier-lstm-skip": {"frame_sizes": [3], "dim": 16, "rnn_type": "lstm", "rnn_layers": 3, "mlp_layers": 2,
                            "levels": 16, "seq_len": 3, "skip_connections": True},
    "3tier-gru-skip": {"frame_sizes": [2, 8], "dim": 20, "rnn_type": "gru", "rnn_layers": 2, "mlp_layers": 0,
                           "levels": 64, "seq_len": 16, "skip_connections": True},
    "3tier-lstm": {"frame_sizes": [4, 16], "dim": 32, "rnn_type": "lstm", "rnn_layers": 1, "mlp_layers": 3,
                       "levels": 256, "seq_len": 16},
    "4tier-gru": {"frame_sizes": [2, 4, 12], "dim": 16, "rnn_type": "gru", "rnn_layers": 1, "mlp_layers": 1,
                      "levels": 8, "seq_len": 12},
}


def make(name: str, seed: int = 0, threads: int = 2):
    program, tensors = random_program(CONFIGS[name], seed=seed)
    engine = _engine.SampleRNNEngine(json.dumps(program), tensors, threads)
    return program, tensors, engine


def random_q(levels: int, shape, seed: int = 0) -> np.ndarray:
    """A smooth random walk over the levels (audio-like) rather than white noise."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-3, 4, size=shape)
    return (np.cumsum(steps, axis=-1) + levels // 2).clip(0, levels - 1).astype(np.int32)


def reference_sample(ref, n, u, temperature, prime=None, cond=None, *, min_p=0.0):
    """The shared numpy sampler over the reference's step(); u is (B, P + n) from t = 0."""
    p = 0 if prime is None else prime.shape[1]
    return sample_with_uniforms(ref, n, u[:, p:], temperature, prime, cond, min_p=min_p)


# ---- teacher-forced parity ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_logits_match_reference(name):
    program, tensors, engine = make(name)
    q = random_q(program["levels"], (3, 61), seed=1)
    got = engine.logits(q)
    want = SampleRNNReference(program, tensors).logits(q)
    assert got.shape == want.shape == (3, 61, program["levels"])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # the logits really depend on the input (the test could fail)
    assert not np.allclose(got[:, 1:], got[:, :1])


def test_logits_first_sample_ignores_everything_but_the_model():
    _program, _, engine = make("3tier-gru-skip")
    a = engine.logits(np.array([[0, 5, 9]], dtype=np.int32))
    b = engine.logits(np.array([[63, 1, 2]], dtype=np.int32))
    np.testing.assert_array_equal(a[:, 0], b[:, 0])  # logits[0] sees no sample
    assert not np.allclose(a[:, 1], b[:, 1])


def test_nll_is_log2_softmax_of_reference_logits():
    program, tensors, engine = make("3tier-lstm")
    q = random_q(program["levels"], (2, 40), seed=2)
    logits = SampleRNNReference(program, tensors).logits(q).astype(np.float64)
    logz = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    want = (logz - np.take_along_axis(logits, q[..., None], -1)[..., 0]) / np.log(2)
    got = engine.nll(q)
    assert got.shape == (2, 40)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert np.all(got > 0)


def test_logits_accept_int64_and_batch_independent():
    # one thread and 8 streams: the group computes 12 rows (whole GEMM row blocks)
    program, tensors, engine = make("2tier-gru", threads=1)
    q = random_q(program["levels"], (8, 30), seed=3)
    whole = engine.logits(q.astype(np.int64))
    np.testing.assert_allclose(whole, SampleRNNReference(program, tensors).logits(q),
                               rtol=1e-4, atol=1e-5)
    for b in (0, 3, 7):
        np.testing.assert_allclose(engine.logits(q[b:b + 1]), whole[b:b + 1], rtol=1e-6, atol=1e-6)


# ---- sampling -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "temperature", "prime_len", "min_p"),
                         [("3tier-gru-skip", 1.0, 0, 0.0), ("2tier-lstm-skip", 0.7, 5, 0.0),
                          ("3tier-lstm", 1.3, 19, 0.0), ("4tier-gru", 0.0, 3, 0.0),
                          ("3tier-gru-skip", 1.0, 4, 0.05), ("2tier-lstm-skip", 1.3, 0, 0.3)])
def test_sampling_matches_reference_given_same_uniforms(name, temperature, prime_len, min_p):
    program, tensors, engine = make(name, seed=4)
    streams = np.array([0, 7, 3], dtype=np.int32)
    n, seed = 48, 1234
    prime = random_q(program["levels"], (3, prime_len), seed=5) if prime_len else None
    got = engine.generate(n, streams=streams, seed=seed, temperature=temperature, min_p=min_p,
                          prime=prime)
    u = uniforms(seed, streams, 0, prime_len + n)
    want = reference_sample(SampleRNNReference(program, tensors), n, u, temperature, prime,
                            min_p=min_p)
    assert got.dtype == np.int32
    assert got.shape == (3, n)
    np.testing.assert_array_equal(got, want)
    if temperature > 0:
        assert len(np.unique(got)) > 3  # really sampled, not stuck


def test_same_seed_same_audio_for_any_batch_threads_and_chunking():
    program, tensors, _ = make("3tier-gru-skip")
    prime = random_q(program["levels"], (8, 6), seed=6)
    streams = np.arange(10, 18, dtype=np.int32)
    kw = {"seed": 99, "temperature": 1.0}
    one_thread = _engine.SampleRNNEngine(json.dumps(program), tensors, 1)
    two_threads = _engine.SampleRNNEngine(json.dumps(program), tensors, 2)
    ref = one_thread.generate(40, streams=streams, prime=prime, **kw)
    np.testing.assert_array_equal(two_threads.generate(40, streams=streams, prime=prime, **kw), ref)
    np.testing.assert_array_equal(
        two_threads.generate(40, streams=streams, prime=prime, chunk=7, **kw), ref)
    for b in (0, 5):  # B = 1
        single = two_threads.generate(40, streams=streams[b:b + 1], prime=prime[b:b + 1], **kw)
        np.testing.assert_array_equal(single, ref[b:b + 1])
    other = two_threads.generate(40, streams=streams, prime=prime, seed=100)
    assert not np.array_equal(other, ref)


# ---- class conditioning and position input --------------------------------------------

# 3 classes; 4 position frames of 7 samples: the top tier (frame 8) steps at samples 0, 8,
# 16, 24 (frames 0, 1, 2, 3) and 32, 40, ... (past P * H = 28: the last frame's row again).
COND_POS = {
    "3tier-gru-cond-pos": {"frame_sizes": [2, 8], "dim": 20, "rnn_type": "gru", "rnn_layers": 2,
                           "mlp_layers": 1, "levels": 64, "seq_len": 16,
                           "conditioning_classes": 3, "position_frames": 4, "position_hop": 7},
    "2tier-lstm-cond-pos": {"frame_sizes": [3], "dim": 16, "rnn_type": "lstm", "rnn_layers": 1,
                            "mlp_layers": 2, "levels": 32, "seq_len": 3,
                            "conditioning_classes": 2, "position_frames": 3, "position_hop": 4},
    "wide-gru-cond-pos": {"frame_sizes": [2, 8], "dim": 512, "rnn_type": "gru", "rnn_layers": 1,
                          "mlp_layers": 1, "levels": 64, "seq_len": 16,
                          "conditioning_classes": 2, "position_frames": 3, "position_hop": 16},
}


def make_cond(name: str, seed: int = 0, threads: int = 2):
    program, tensors = random_program(COND_POS[name], seed=seed)
    assert program["conditioning_classes"] > 0
    assert program["position_frames"] > 0
    return program, tensors, _engine.SampleRNNEngine(json.dumps(program), tensors, threads)


@pytest.mark.parametrize("name", sorted(COND_POS)[:2])
def test_conditioned_logits_and_nll_match_reference(name):
    program, tensors, engine = make_cond(name)
    ref = SampleRNNReference(program, tensors)
    q = random_q(program["levels"], (3, 61), seed=1)
    cond = np.array([0, program["conditioning_classes"] - 1, 1], dtype=np.int32)
    want = ref.logits(q, cond)
    np.testing.assert_allclose(engine.logits(q, cond), want, rtol=1e-4, atol=1e-5)
    logits = want.astype(np.float64)
    logz = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    bits = (logz - np.take_along_axis(logits, q[..., None], -1)[..., 0]) / np.log(2)
    np.testing.assert_allclose(engine.nll(q, cond), bits, rtol=1e-4, atol=1e-4)
    # the class changes the logits from the first sample on
    other = engine.logits(q, (cond + 1) % program["conditioning_classes"])
    assert not np.allclose(other[:, 0], want[:, 0], atol=1e-3)


def test_position_rows_are_the_frames_of_the_top_tier_steps():
    """Zeroing one row of pos.table changes the logits exactly from the first top-tier step
    in that position frame: frame k of hop 7 is first used by the step at sample 8 * ceil(7k/8)."""
    program, tensors, engine = make_cond("3tier-gru-cond-pos")
    q = random_q(program["levels"], (2, 61), seed=2)
    cond = np.array([1, 2], dtype=np.int32)
    base = engine.logits(q, cond)
    for frame, first_step in [(1, 8), (2, 16), (3, 24)]:
        t2 = dict(tensors)
        table = t2["tiers.1.pos.table"].copy()
        table[frame] = 0.0
        t2["tiers.1.pos.table"] = table
        got = _engine.SampleRNNEngine(json.dumps(program), t2, 1).logits(q, cond)
        np.testing.assert_array_equal(got[:, :first_step], base[:, :first_step])
        assert not np.allclose(got[:, first_step], base[:, first_step], atol=1e-4)
        np.testing.assert_allclose(got, SampleRNNReference(program, t2).logits(q, cond),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("name", "temperature", "prime_len"),
                         [("3tier-gru-cond-pos", 1.0, 0), ("3tier-gru-cond-pos", 0.8, 13),
                          ("2tier-lstm-cond-pos", 1.2, 7)])
def test_conditioned_sampling_matches_reference(name, temperature, prime_len):
    """Bit-identical to the reference from the same uniforms, across several position frames
    and past the last; a prime counts as the start of the clip."""
    program, tensors, engine = make_cond(name, seed=4)
    streams = np.array([0, 7, 3, 2], dtype=np.int32)
    cond = np.array([0, 1, 1, 0], dtype=np.int32)
    n, seed = 60, 77
    prime = random_q(program["levels"], (4, prime_len), seed=5) if prime_len else None
    got = engine.generate(n, streams=streams, seed=seed, temperature=temperature, prime=prime,
                          cond=cond)
    u = uniforms(seed, streams, 0, prime_len + n)
    want = reference_sample(SampleRNNReference(program, tensors), n, u, temperature, prime, cond)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(got)) > 3


def test_conditioned_streams_independent_of_batch_threads_and_split():
    program, tensors, _ = make_cond("wide-gru-cond-pos")
    streams = np.array([4, 1, 9], dtype=np.int32)
    cond = np.array([1, 0, 1], dtype=np.int32)
    kw = {"seed": 5, "temperature": 1.0}
    one, two = (_engine.SampleRNNEngine(json.dumps(program), tensors, k, split="always")
                for k in (1, 2))
    batch = two.generate(40, streams=streams, cond=cond, **kw)
    for b in range(3):  # one stream: the two threads split its products
        args = {"streams": streams[b:b + 1], "cond": cond[b:b + 1], **kw}
        np.testing.assert_array_equal(two.generate(40, chunk=9, **args), batch[b:b + 1])
        np.testing.assert_array_equal(one.generate(40, **args), batch[b:b + 1])


def test_cond_is_required_and_checked():
    program, _tensors, engine = make_cond("3tier-gru-cond-pos")
    q = random_q(program["levels"], (2, 9))
    with pytest.raises(ValueError, match="conditioned on 3 classes"):
        engine.logits(q)
    with pytest.raises(ValueError, match="cond"):
        engine.logits(q, np.array([0, 3], dtype=np.int32))
    with pytest.raises(ValueError, match="one class id per stream"):
        engine.generate(5, streams=np.array([0, 1], dtype=np.int32), seed=0,
                        cond=np.array([0], dtype=np.int32))
    _, _, plain = make("2tier-gru")
    with pytest.raises(ValueError, match="not conditioned"):
        plain.logits(random_q(32, (1, 4)), np.array([0], dtype=np.int32))


@pytest.mark.parametrize(("extra", "match"), [
    ({"conditioning_classes": -1}, "conditioning_classes"),
    ({"position_frames": -2}, "position_frames"),
    ({"position_frames": 4}, "position_hop"),
    ({"position_frames": 4, "position_hop": 0}, "position_hop"),
])
def test_bad_optional_program_keys_rejected(extra, match):
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=0)
    with pytest.raises(ValueError, match=match):
        _engine.SampleRNNEngine(json.dumps({**program, **extra}), tensors, 1)


def test_programs_without_the_new_keys_load_as_before():
    """An old program (no conditioning_classes / position keys) runs exactly as it did."""
    program, tensors, engine = make("3tier-lstm")
    assert "conditioning_classes" not in program
    assert "position_frames" not in program
    old = {**program, "conditioning_classes": 0, "position_frames": 0}
    again = _engine.SampleRNNEngine(json.dumps(old), tensors, 2)
    q = random_q(program["levels"], (2, 20))
    np.testing.assert_array_equal(again.logits(q), engine.logits(q))


# dim >= 512 and a multiple of 16: with fewer streams than threads the engine's threads
# split every product by output columns (528 units leave a ragged last part of 16).
WIDE = {
    "wide-gru-skip": {"frame_sizes": [2, 8], "dim": 512, "rnn_type": "gru", "rnn_layers": 2,
                      "mlp_layers": 1, "levels": 64, "seq_len": 16, "skip_connections": True},
    "wide-lstm": {"frame_sizes": [4], "dim": 528, "rnn_type": "lstm", "rnn_layers": 2,
                  "mlp_layers": 2, "levels": 32, "seq_len": 8},
}


@pytest.mark.parametrize("name", sorted(WIDE))
def test_one_stream_split_across_threads_is_bit_identical(name):
    program, tensors = random_program(WIDE[name], seed=2)
    prime = random_q(program["levels"], (3, 5), seed=3)
    streams = np.array([4, 1, 9], dtype=np.int32)
    kw = {"seed": 5, "temperature": 1.0}
    one, two = (_engine.SampleRNNEngine(json.dumps(program), tensors, k, split="always")
                for k in (1, 2))
    batch = two.generate(30, streams=streams, prime=prime, **kw)  # stream groups, no split
    for b in range(3):
        args = {"streams": streams[b:b + 1], "prime": prime[b:b + 1], **kw}
        want = one.generate(30, **args)
        np.testing.assert_array_equal(two.generate(30, **args), want)
        np.testing.assert_array_equal(two.generate(30, chunk=7, **args), want)
        np.testing.assert_array_equal(want, batch[b:b + 1])
    assert len(np.unique(batch)) > 3  # really sampled, not stuck


def test_split_across_threads_repeatable():
    # Many short calls, ~30,000 split products: a race between the threads' parts
    # (a part claimed twice or read while written) shows up as a differing stream.
    program, tensors = random_program(WIDE["wide-gru-skip"], seed=7)
    one, two = (_engine.SampleRNNEngine(json.dumps(program), tensors, k, split="always")
                for k in (1, 2))
    streams = np.array([3], dtype=np.int32)
    want = one.generate(24, streams=streams, seed=1)
    for chunk in [1, 5, 24] * 100:
        np.testing.assert_array_equal(two.generate(24, streams=streams, seed=1, chunk=chunk),
                                      want)


def test_callback_streams_blocks_in_order():
    _program, _, engine = make("2tier-gru")
    streams = np.array([1, 2], dtype=np.int32)
    whole = engine.generate(50, streams=streams, seed=3)
    blocks = []
    assert engine.generate(50, streams=streams, seed=3, chunk=16, callback=blocks.append) is None
    assert [blk.shape for blk in blocks] == [(2, 16), (2, 16), (2, 16), (2, 2)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


def test_callback_exception_propagates_and_stops():
    _, _, engine = make("2tier-gru")
    calls = []

    def stop(block):
        calls.append(block.shape)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.generate(100, streams=np.zeros(1, np.int32), seed=0, chunk=10, callback=stop)
    assert calls == [(1, 10)]


def test_empty_inputs_give_empty_outputs():
    program, _, engine = make("3tier-gru-skip")
    assert engine.logits(np.zeros((2, 0), np.int32)).shape == (2, 0, program["levels"])
    assert engine.nll(np.zeros((0, 5), np.int32)).shape == (0, 5)
    assert engine.logits(np.zeros((0, 0), np.int32)).shape == (0, 0, program["levels"])


def test_generate_zero_samples_and_properties():
    program, _, engine = make("3tier-lstm", threads=0)
    out = engine.generate(0, streams=np.zeros(3, np.int32), seed=0)
    assert out.shape == (3, 0)
    assert engine.levels == program["levels"]
    assert engine.frame_sizes == program["frame_sizes"]
    assert engine.num_threads >= 1


# ---- validation at the boundary -------------------------------------------------------


def build(program, tensors):
    return _engine.SampleRNNEngine(json.dumps(program), tensors)


def test_missing_tensor_named():
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=0)
    del tensors["tiers.1.rnn.1.recurrent_kernel"]
    with pytest.raises(ValueError, match=r"missing tensor 'tiers\.1\.rnn\.1\.recurrent_kernel'"):
        build(program, tensors)


def test_wrong_shape_named():
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=0)
    tensors["sample.table"] = tensors["sample.table"][:, :-1]
    with pytest.raises(ValueError, match=r"sample\.table.*shape \(2, 63, 20\).*expected \(2, 64, 20\)"):
        build(program, tensors)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_named(bad):
    program, tensors = random_program(CONFIGS["2tier-lstm-skip"], seed=0)
    tensors["tiers.0.rnn.2.c0"] = tensors["tiers.0.rnn.2.c0"].copy()
    tensors["tiers.0.rnn.2.c0"][3] = bad
    with pytest.raises(ValueError, match=r"tiers\.0\.rnn\.2\.c0.*NaN or infinite"):
        build(program, tensors)


def test_dtypes_cast_or_rejected():
    program, tensors = random_program(CONFIGS["2tier-gru"], seed=0)
    as64 = {k: v.astype(np.float64) for k, v in tensors.items()}
    q = random_q(program["levels"], (1, 20))
    np.testing.assert_allclose(build(program, as64).logits(q), build(program, tensors).logits(q),
                               rtol=1e-6)
    tensors["sample.bias"] = np.array(["a"] * 24)
    with pytest.raises(ValueError, match=r"sample\.bias.*dtype"):
        build(program, tensors)


@pytest.mark.parametrize(("key", "value", "match"), [
    ("family", "wavenet", "family"),
    ("frame_sizes", [16, 24], "frame_sizes"),
    ("rnn_type", "rnn", "rnn_type"),
    ("dim", 0, "dim"),
    ("skip_connections", "yes", "skip_connections"),
])
def test_bad_program_rejected(key, value, match):
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=0)
    program[key] = value
    with pytest.raises(ValueError, match=match):
        build(program, tensors)
    del program[key]
    with pytest.raises(ValueError, match=f"'{key}' is missing"):
        build(program, tensors)


def test_bad_call_arguments_rejected():
    _program, _, engine = make("2tier-gru")
    s = np.zeros(2, np.int32)
    with pytest.raises(ValueError, match=r"q values must be in \[0, 32\)"):
        engine.logits(np.array([[0, 32]]))
    with pytest.raises(ValueError, match="q must have 2 dimensions"):
        engine.nll(np.zeros(5, np.int32))
    with pytest.raises(ValueError, match="q must be an integer array"):
        engine.logits(np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError, match="cond"):
        engine.logits(np.zeros((1, 5), np.int32), cond=np.zeros(1, np.int32))
    with pytest.raises(ValueError, match="n must be >= 0"):
        engine.generate(-1, streams=s, seed=0)
    with pytest.raises(ValueError, match="temperature"):
        engine.generate(5, streams=s, seed=0, temperature=-1.0)
    with pytest.raises(ValueError, match="seed"):
        engine.generate(5, streams=s, seed=-3)
    with pytest.raises(TypeError, match="seed must be an integer"):
        engine.generate(5, streams=s, seed=1.5)
    np.testing.assert_array_equal(engine.generate(5, streams=s, seed=np.int64(4)),
                                  engine.generate(5, streams=s, seed=4))
    with pytest.raises(ValueError, match="chunk"):
        engine.generate(5, streams=s, seed=0, chunk=0)
    with pytest.raises(ValueError, match="prime must have one row per stream"):
        engine.generate(5, streams=s, seed=0, prime=np.zeros((3, 4), np.int32))
    with pytest.raises(ValueError, match="prime values"):
        engine.generate(5, streams=s, seed=0, prime=np.full((2, 4), 40, np.int32))
    with pytest.raises(ValueError, match="streams"):
        engine.generate(5, streams=np.array([-1], np.int32), seed=0)
    with pytest.raises(ValueError, match="streams"):
        engine.generate(5, streams=np.array([2**40]), seed=0)
    # a good call next to the bad ones
    assert engine.generate(5, streams=s, seed=0).shape == (2, 5)


def test_long_scores_span_several_mlp_blocks():
    # score() runs the sample-level MLP over blocks of up to 1024 rows; a long sequence
    # crosses block edges and must still equal the reference (and the per-stream result
    # must not depend on the batch it is scored in).
    program, tensors, engine = make("3tier-gru-skip")
    q = random_q(program["levels"], (3, 1100), seed=7)
    got = engine.logits(q)
    np.testing.assert_allclose(got, SampleRNNReference(program, tensors).logits(q),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(engine.logits(q[1:2]), got[1:2])
