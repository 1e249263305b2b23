"""The CUDA SampleRNN engine (pysynth._engine_cuda.SampleRNNEngine) against the numpy
reference and the CPU engine.

The kernel's phase code also runs on the host (``emulate=True``), so its arithmetic (GRU and
LSTM tiers, any number of tiers and layers, skip connections, the folded table, class and
position rows), its frame schedule, launches and sampling are checked here without a GPU;
the same tests run on the device (``device=0``) when one is present and skip only when none
is. No TensorFlow and no soundfile: this file runs on a bare GPU machine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn.reference import SampleRNNReference, random_program

from pysynth import _engine
from pysynth.sampling import reference_sample
from pysynth.sampling.reference import reference_nll

try:
    from pysynth import _engine_cuda as cuda
except ImportError:  # built without nvcc
    cuda = None

HAS_DEVICE = cuda is not None and cuda.device_available()
pytestmark = pytest.mark.skipif(cuda is None, reason="pysynth._engine_cuda not built (no nvcc)")

# "-wide": each stream spread over 3 blocks, one launch per phase (what a few streams of a
# wide model get on a GPU); the others one persistent block per stream.
NO_DEVICE = pytest.mark.skipif(not HAS_DEVICE, reason="no CUDA device")
BACKENDS = [
    pytest.param("emulate", id="emulate"),
    pytest.param("emulate-wide", id="emulate-wide"),
    pytest.param("gpu", id="gpu", marks=NO_DEVICE),
    pytest.param("gpu-wide", id="gpu-wide", marks=NO_DEVICE),
]

# 2-tier (one frame tier) and 3-tier, GRU and LSTM, several layers, skip connections, no
# hidden MLP layer and several; Q not a power of two; classes and positions whose frames
# run out inside the tests' sequences.
CONFIGS = {
    "2tier-gru": {"frame_sizes": [4], "dim": 24, "rnn_type": "gru", "rnn_layers": 2,
                  "mlp_layers": 1, "levels": 37, "seq_len": 16},
    "2tier-lstm-skip": {"frame_sizes": [3], "dim": 16, "rnn_type": "lstm", "rnn_layers": 3,
                        "mlp_layers": 2, "levels": 16, "seq_len": 3, "skip_connections": True},
    "3tier-gru-skip": {"frame_sizes": [2, 8], "dim": 20, "rnn_type": "gru", "rnn_layers": 2,
                       "mlp_layers": 0, "levels": 64, "seq_len": 16, "skip_connections": True},
    "3tier-lstm": {"frame_sizes": [4, 16], "dim": 32, "rnn_type": "lstm", "rnn_layers": 1,
                   "mlp_layers": 3, "levels": 256, "seq_len": 16},
    "4tier-gru-cond-pos": {"frame_sizes": [2, 4, 12], "dim": 16, "rnn_type": "gru",
                           "rnn_layers": 1, "mlp_layers": 1, "levels": 8, "seq_len": 12,
                           "conditioning_classes": 3, "position_frames": 3,
                           "position_hop": 10},
    "3tier-lstm-cond-pos": {"frame_sizes": [2, 6], "dim": 12, "rnn_type": "lstm",
                            "rnn_layers": 2, "mlp_layers": 1, "levels": 20, "seq_len": 12,
                            "conditioning_classes": 2, "position_frames": 4,
                            "position_hop": 9},
}


# The 16-bit mixture output (output "mol16", 65,536 levels): 2- and 3-tier, GRU and LSTM.
MOL16_CONFIGS = {
    "2tier-gru": {"frame_sizes": [4], "dim": 24, "rnn_type": "gru", "rnn_layers": 2,
                  "mlp_layers": 1, "seq_len": 16, "output": "mol16", "mixtures": 3},
    "2tier-lstm": {"frame_sizes": [3], "dim": 16, "rnn_type": "lstm", "rnn_layers": 2,
                   "mlp_layers": 0, "seq_len": 3, "output": "mol16", "mixtures": 5,
                   "skip_connections": True},
    "3tier-gru-cond": {"frame_sizes": [2, 8], "dim": 20, "rnn_type": "gru", "rnn_layers": 2,
                       "mlp_layers": 1, "seq_len": 16, "output": "mol16", "mixtures": 4,
                       "conditioning_classes": 2, "position_frames": 3, "position_hop": 7},
    "3tier-lstm-skip": {"frame_sizes": [2, 6], "dim": 20, "rnn_type": "lstm", "rnn_layers": 2,
                        "mlp_layers": 2, "seq_len": 12, "output": "mol16", "mixtures": 4,
                        "skip_connections": True},
}
MOL16_LEVELS = 65536


def make(backend: str, program: dict, tensors: dict):
    blocks = 3 if backend.endswith("-wide") else 1
    if backend.startswith("emulate"):
        eng = cuda.SampleRNNEngine(json.dumps(program), tensors, emulate=True,
                                   blocks_per_stream=blocks)
    else:
        eng = cuda.SampleRNNEngine(json.dumps(program), tensors, device=0,
                                   blocks_per_stream=blocks)
    assert eng.blocks_for(2) == blocks
    return eng


def conditioned(program: dict, batch: int) -> np.ndarray | None:
    classes = program.get("conditioning_classes", 0)
    return np.arange(batch, dtype=np.int32) % classes if classes else None


def random_q(levels: int, shape, seed: int = 0) -> np.ndarray:
    """A smooth random walk over the levels (audio-like) rather than white noise."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-3, 4, size=shape)
    return (np.cumsum(steps, axis=-1) + levels // 2).clip(0, levels - 1).astype(np.int32)


def log2_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))) / np.log(2.0)


# ---- teacher-forced parity with the reference ------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_logits_and_nll_match_reference(backend, name):
    program, tensors = random_program(CONFIGS[name], seed=3)
    ref = SampleRNNReference(program, tensors)
    eng = make(backend, program, tensors)
    assert eng.levels == program["levels"]
    assert eng.frame_sizes == program["frame_sizes"]
    q = random_q(program["levels"], (2, 50), seed=1)
    cond = conditioned(program, 2)
    want = ref.logits(q, cond)
    got = eng.logits(q, cond=cond)
    assert got.shape == (2, 50, program["levels"])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    bits = -np.take_along_axis(log2_softmax(want), q[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(eng.nll(q, cond=cond), bits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logits_over_many_launches_match_cpu_engine(backend):
    # T > 1024 steps: a window runs as several launches; the frame tiers' states carry over.
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=4)
    eng = make(backend, program, tensors)
    cpu = _engine.SampleRNNEngine(json.dumps(program), tensors, 1)
    q = random_q(program["levels"], (1, 1100), seed=2)
    want = cpu.logits(q)
    np.testing.assert_allclose(eng.logits(q), want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


# ---- sampling: the same samples as the CPU engine and the rule on the reference ----------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["2tier-gru", "3tier-lstm", "4tier-gru-cond-pos",
                                  "3tier-lstm-cond-pos"])
@pytest.mark.parametrize(("temperature", "min_p", "prime_len"),
                         [(1.0, 0.0, 0), (0.7, 0.05, 7), (0.0, 0.0, 3)])
def test_generate_matches_cpu_engine(backend, name, temperature, min_p, prime_len):
    program, tensors = random_program(CONFIGS[name], seed=5)
    eng = make(backend, program, tensors)
    cpu = _engine.SampleRNNEngine(json.dumps(program), tensors, 1)
    streams = np.array([0, 7, 3], dtype=np.int32)
    kwargs = {"streams": streams, "seed": 2024, "temperature": temperature, "min_p": min_p,
              "cond": conditioned(program, 3), "chunk": 25}
    if prime_len:
        kwargs["prime"] = random_q(program["levels"], (3, prime_len), seed=6)
    got = eng.generate(60, **kwargs)
    assert got.shape == (3, 60)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, cpu.generate(60, **kwargs))
    if temperature > 0:
        assert len(np.unique(got)) > 3  # really sampled, not stuck


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("temperature", "min_p"), [(1.0, 0.0), (0.6, 0.1)])
def test_generate_follows_the_sampling_rule_on_the_reference(backend, temperature, min_p):
    program, tensors = random_program(CONFIGS["3tier-gru-skip"], seed=8)
    ref = SampleRNNReference(program, tensors)
    eng = make(backend, program, tensors)
    streams = np.array([4, 9], dtype=np.int32)
    prime = random_q(program["levels"], (2, 5), seed=9)
    got = eng.generate(40, streams=streams, seed=123, temperature=temperature, min_p=min_p,
                       prime=prime)
    u = cuda.uniforms(123, streams, 0, 45)
    want = reference_sample(ref, 40, u[:, 5:], temperature, prime, min_p=min_p)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_streams_are_independent_of_batch_and_chunking(backend):
    program, tensors = random_program(CONFIGS["4tier-gru-cond-pos"], seed=2)
    eng = make(backend, program, tensors)
    both = eng.generate(90, streams=np.array([3, 8], np.int32), seed=5,
                        cond=np.array([0, 2], np.int32), chunk=90)
    alone = eng.generate(90, streams=np.array([8], np.int32), seed=5,
                         cond=np.array([2], np.int32), chunk=17)
    np.testing.assert_array_equal(both[1:], alone)
    assert not np.array_equal(both[0], both[1])
    blocks = []
    ret = eng.generate(90, streams=np.array([3, 8], np.int32), seed=5,
                       cond=np.array([0, 2], np.int32), chunk=40, callback=blocks.append)
    assert ret is None
    assert [b.shape for b in blocks] == [(2, 40), (2, 40), (2, 10)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), both)
    other = eng.generate(90, streams=np.array([8], np.int32), seed=6, cond=np.array([2], np.int32))
    assert not np.array_equal(other, alone)


@pytest.mark.parametrize("backend", BACKENDS)
def test_callback_errors_propagate(backend):
    program, tensors = random_program(CONFIGS["2tier-gru"], seed=0)
    eng = make(backend, program, tensors)

    def boom(block):
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        eng.generate(40, streams=np.array([0], np.int32), seed=1, chunk=10, callback=boom)


# ---- the 16-bit mixture output (mol16) ------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(MOL16_CONFIGS))
def test_mol16_parameters_and_nll_match_reference(backend, name):
    program, tensors = random_program(MOL16_CONFIGS[name], seed=3)
    assert program["levels"] == MOL16_LEVELS
    ref = SampleRNNReference(program, tensors)
    eng = make(backend, program, tensors)
    q = np.random.default_rng(2).integers(0, MOL16_LEVELS, (2, 50)).astype(np.int32)
    q[0, :4] = [0, MOL16_LEVELS - 1, 0, MOL16_LEVELS // 2]  # the open end bins
    cond = conditioned(program, 2)
    want = ref.logits(q, cond)
    got = eng.logits(q, cond=cond)
    assert got.shape == (2, 50, 3 * program["mixtures"])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    np.testing.assert_allclose(eng.nll(q, cond=cond),
                               reference_nll(want, q, "mol16", MOL16_LEVELS), rtol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(MOL16_CONFIGS))
@pytest.mark.parametrize(("temperature", "min_p", "prime_len"), [(1.0, 0.0, 0), (0.1, 0.1, 7)])
def test_mol16_generate_matches_cpu_engine(backend, name, temperature, min_p, prime_len):
    """Each sample is exactly the compiled rule (sample_mixture, the uniform pair of (seed,
    stream, t)) on the kernel's own teacher-forced parameters, and the CPU engine's samples
    for the same seed are the same. The CPU sums its products in another order, and a
    mixture's value is rounded to one of 65,536 levels, so where a value falls within float
    rounding of a level's edge the two may take neighbouring levels: at most one level apart,
    and nearly all equal (on these seeds: all but one sample of one case)."""
    program, tensors = random_program(MOL16_CONFIGS[name], seed=5)
    eng = make(backend, program, tensors)
    cpu = _engine.SampleRNNEngine(json.dumps(program), tensors, 1)
    streams = np.array([0, 7, 3], dtype=np.int32)
    cond = conditioned(program, 3)
    kwargs = {"streams": streams, "seed": 2024, "temperature": temperature, "min_p": min_p,
              "cond": cond, "chunk": 25}
    prime = np.random.default_rng(6).integers(0, MOL16_LEVELS, (3, prime_len)).astype(np.int32)
    if prime_len:
        kwargs["prime"] = prime
    got = eng.generate(60, **kwargs)
    assert got.shape == (3, 60)
    assert len(np.unique(got)) > 20  # really sampled, not stuck
    full = np.concatenate([prime, got], axis=1)
    params = eng.logits(full, cond=cond)
    u = cuda.uniforms(2024, streams, 0, full.shape[1], pairs=True)
    want = np.stack([cuda.sample_mixture(params[:, t], temperature, u[:, t], min_p)
                     for t in range(prime_len, prime_len + 60)], axis=1)
    np.testing.assert_array_equal(got, want)
    diff = np.abs(cpu.generate(60, **kwargs).astype(np.int64) - got)
    assert diff.max() <= 1
    assert (diff == 0).mean() > 0.98


# ---- without a device, bad models and arguments ------------------------------------------
def test_no_device_gives_a_clear_error():
    if HAS_DEVICE:
        pytest.skip("a CUDA device is present")
    program, tensors = random_program(CONFIGS["2tier-gru"], seed=0)
    with pytest.raises(RuntimeError, match="no CUDA device available: "):
        cuda.SampleRNNEngine(json.dumps(program), tensors)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p, t: t.pop("tiers.0.rnn.1.recurrent_kernel"),
         "missing tensor 'tiers.0.rnn.1.recurrent_kernel'"),
        (lambda p, t: t.__setitem__("sample.output.bias", np.zeros(5, np.float32)),
         "'sample.output.bias' has shape"),
        (lambda p, t: t["sample.table"].__setitem__((0, 0, 0), np.inf), "NaN or inf"),
        (lambda p, t: p.__setitem__("family", "wavenet"), "family"),
        (lambda p, t: p.__setitem__("rnn_type", "rnn"), "rnn_type"),
    ],
)
def test_bad_models_are_rejected(change, match):
    program, tensors = random_program(CONFIGS["2tier-gru"], seed=0)
    tensors = {k: v.copy() for k, v in tensors.items()}
    change(program, tensors)
    with pytest.raises(ValueError, match=match):
        cuda.SampleRNNEngine(json.dumps(program), tensors, emulate=True)


def test_bad_call_arguments_are_rejected():
    program, tensors = random_program(CONFIGS["4tier-gru-cond-pos"], seed=0)
    eng = cuda.SampleRNNEngine(json.dumps(program), tensors, emulate=True)
    assert eng.emulated is True
    assert eng.device == -1
    assert eng.conditioning_classes == 3
    assert eng.flops_per_sample == _engine.SampleRNNEngine(
        json.dumps(program), tensors, 1).flops_per_sample
    s, c = np.array([0], np.int32), np.array([0], np.int32)
    with pytest.raises(ValueError, match=r"q values must be in \[0, 8\), got 8"):
        eng.logits(np.full((1, 4), 8, np.int32), cond=c)
    with pytest.raises(ValueError, match="cond"):
        eng.logits(np.zeros((1, 4), np.int32))
    with pytest.raises(ValueError, match="temperature"):
        eng.generate(4, streams=s, seed=0, cond=c, temperature=-1.0)
    with pytest.raises(ValueError, match="chunk"):
        eng.generate(4, streams=s, seed=0, cond=c, chunk=0)
    with pytest.raises(ValueError, match="blocks_per_stream"):
        cuda.SampleRNNEngine(json.dumps(program), tensors, emulate=True, blocks_per_stream=-1)
    assert eng.blocks_for(1) == 1  # emulation's automatic choice: one block per stream
    with pytest.raises(ValueError, match="prime"):
        eng.generate(4, streams=s, seed=0, cond=c, prime=np.zeros((2, 3), np.int32))
    assert eng.generate(0, streams=s, seed=0, cond=c).shape == (1, 0)
    assert eng.nll(np.zeros((1, 0), np.int32), cond=c).shape == (1, 0)


# ---- the front end: pysynth.sample / score_clips(device="cuda") ----------------------------
@pytest.mark.parametrize("output", ["softmax", "mol16", "mol16+lpc"])
def test_front_end_uses_or_refuses_the_gpu(tmp_path, output):
    """device="auto" gives the CPU's clips without a device (any head, the linear predictor's
    too), device="cuda" the CPU's clips and bits on one, and a clear error without."""
    from pysynth import sampling
    from pysynth.errors import ParameterError
    from pysynth.modelfile import save_model

    config = CONFIGS["3tier-gru-skip"] if output == "softmax" else MOL16_CONFIGS["3tier-lstm-skip"]
    if output == "mol16+lpc":
        config = {**config, "lpc_order": 4}
    program, tensors = random_program(config, seed=4)
    path = save_model(tmp_path / "tiny.pysynth", program, tensors)
    kwargs = {"n": 2, "seconds": 64 / program["sample_rate"], "seed": 9}
    cpu = sampling.sample(path, device="cpu", **kwargs)
    np.testing.assert_array_equal(sampling.sample(path, device="auto", **kwargs), cpu)
    audio = [np.sin(np.linspace(0, 20, 80)).astype(np.float32)]
    cpu_bits = sampling.score_clips(path, audio, device="cpu")[0]
    if HAS_DEVICE:
        gpu = sampling.sample(path, device="cuda", **kwargs)
        if output == "softmax":
            np.testing.assert_array_equal(gpu, cpu)
        else:  # a value at a level's edge may round to the neighbour (see the mol16 tests)
            np.testing.assert_allclose(gpu, cpu, atol=1e-3)
        np.testing.assert_allclose(sampling.score_clips(path, audio, device="cuda")[0],
                                   cpu_bits, rtol=1e-4, atol=1e-4)
    else:
        with pytest.raises(ParameterError, match="CUDA"):
            sampling.sample(path, device="cuda", **kwargs)
        with pytest.raises(ParameterError, match="CUDA"):
            sampling.score_clips(path, audio, device="cuda")


def test_cli_sample_and_score_on_cuda(tmp_path, capsys):
    """`pysynth sample/score --device cuda` for a SampleRNN model: the CPU's clips and bits
    on a GPU, the one-line CUDA error without one."""
    sf = pytest.importorskip("soundfile")  # the CLI writes and reads WAV files
    from pysynth import cli
    from pysynth.modelfile import save_model

    program, tensors = random_program(CONFIGS["3tier-lstm-cond-pos"], seed=1)
    model = str(save_model(tmp_path / "tiny.pysynth", program, tensors))
    clip = ["-n", "2", "--seconds", str(48 / program["sample_rate"]), "--seed", "3", "-q"]
    assert cli.main(["sample", model, "-o", str(tmp_path / "cpu"), *clip, "--device", "cpu"]) == 0
    wavs = sorted((tmp_path / "cpu").glob("*.wav"))
    assert len(wavs) == 2
    capsys.readouterr()
    assert cli.main(["score", model, *map(str, wavs), "--cond", "1", "-v", "-q",
                     "--device", "cpu"]) == 0
    cpu_bits = capsys.readouterr().out
    rc = cli.main(["sample", model, "-o", str(tmp_path / "gpu"), *clip, "--device", "cuda"])
    if not HAS_DEVICE:
        assert rc == 1
        assert "pysynth sample: error: device='cuda'" in capsys.readouterr().err
        assert cli.main(["score", model, str(wavs[0]), "--cond", "1", "--device", "cuda",
                         "-q"]) == 1
        assert "pysynth score: error: device='cuda'" in capsys.readouterr().err
        return
    assert rc == 0
    for wav in wavs:
        np.testing.assert_array_equal(sf.read(tmp_path / "gpu" / wav.name)[0], sf.read(wav)[0])
    capsys.readouterr()
    assert cli.main(["score", model, *map(str, wavs), "--cond", "1", "-v", "-q",
                     "--device", "cuda"]) == 0
    gpu_bits = capsys.readouterr().out
    got = [float(line.split()[0]) for line in gpu_bits.splitlines() if ".wav" in line]
    want = [float(line.split()[0]) for line in cpu_bits.splitlines() if ".wav" in line]
    assert len(got) == 2
    np.testing.assert_allclose(got, want, atol=1e-3)
