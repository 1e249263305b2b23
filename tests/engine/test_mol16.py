"""The 16-bit mixture output (``output = "mol16"``) in the compiled engines of both families
and in the CUDA kernels' host emulation (WaveNet's, and both kernels with the linear
predictor), against the numpy reference (the CUDA SampleRNN kernel's plain mol16 tests are in
test_cuda_samplernn.py).

The guarantees of the 8-bit path, restated for a sampler whose last step rounds a real
number to one of 65,536 levels: teacher-forced parameters and NLL equal the reference's at
rtol 1e-4; each generated sample is exactly the compiled rule (``sample_mixture``) applied
to the engine's own teacher-forced parameters with the uniforms of (seed, stream, t); a
stream's samples are bit-identical across batch sizes, thread counts and chunking; and the
float64 reference sampler, driven by the same uniforms, lands on the same level or a
neighbour (float32 against float64 rounding where a value falls at a level's edge; run
free at temperature 0, such one-level steps can feed back and add up, so that comparison
is made step by step on the same past).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn import SampleRNN
from pysynth_wavenet import WaveNet

from pysynth import _engine
from pysynth.mixture import sample_mixture
from pysynth.sampling import reference_sample
from pysynth.sampling.reference import reference_nll

try:
    from pysynth import _engine_cuda as cuda
except ImportError:  # built without nvcc
    cuda = None

Q = 65536
CONFIGS = {
    "wavenet": {"dilations": [1, 2, 4, 1, 3], "filter_width": 3, "initial_filter_width": 3,
                "residual_channels": 12, "dilation_channels": 10, "skip_channels": 20,
                "output_channels": 18, "output": "mol16", "mixtures": 5,
                "conditioning_classes": 3, "position_frames": 3, "position_hop": 9},
    "samplernn": {"frame_sizes": [2, 8], "dim": 20, "rnn_type": "gru", "rnn_layers": 2,
                  "mlp_layers": 1, "output": "mol16", "mixtures": 4,
                  "conditioning_classes": 2, "position_frames": 3, "position_hop": 7},
}
ARCHS = {"wavenet": WaveNet(), "samplernn": SampleRNN()}
#: each family alone and with the dataset's linear predictor in its means (lpc_order; random
#: stable coefficients), which the engines apply to the parameters before the rule
CASES = ["samplernn", "samplernn+lpc", "wavenet", "wavenet+lpc"]
ENGINES = {"wavenet": "WaveNetEngine", "samplernn": "SampleRNNEngine"}


def _model(case, seed=0, threads=2, **overrides):
    family, _, lpc = case.partition("+")
    if lpc:
        overrides = {"lpc_order": 5, **overrides}
    arch = ARCHS[family]
    program, tensors = arch.random_program(arch.make_config({**CONFIGS[family], **overrides}),
                                           seed=seed)
    eng = getattr(_engine, ENGINES[family])(json.dumps(program), tensors, threads)
    return program, tensors, arch.reference(program, tensors), eng


def _cond(program, b):
    c = program.get("conditioning_classes", 0)
    return (np.arange(b) % c).astype(np.int32) if c else None


@pytest.mark.parametrize("family", CASES)
def test_program_declares_the_mixture_head(family):
    program, tensors, ref, eng = _model(family)
    assert program["output"] == "mol16"
    assert program["levels"] == Q
    assert program["quantization"] == "linear"
    assert ref.width == 3 * program["mixtures"]
    assert eng.levels == Q
    table = _engine.tensor_table(program["family"], json.dumps(program))
    assert table == ARCHS[program["family"]].tensor_shapes(program)
    assert ("lpc.weight" in table) == ("+lpc" in family)
    assert {k: v.shape for k, v in tensors.items()} == table


@pytest.mark.parametrize("family", CASES)
def test_parameters_and_nll_match_reference(family):
    program, _, ref, eng = _model(family, seed=1)
    q = np.random.default_rng(2).integers(0, Q, (3, 70)).astype(np.int32)
    q[0, :5] = [0, Q - 1, 0, Q - 1, Q // 2]  # the open end bins
    cond = _cond(program, 3)
    want = ref.logits(q, cond)
    got = eng.logits(q, cond)
    assert got.shape == (3, 70, 3 * program["mixtures"])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    np.testing.assert_allclose(eng.nll(q, cond), reference_nll(want, q, "mol16", Q), rtol=1e-4)


@pytest.mark.parametrize("family", CASES)
@pytest.mark.parametrize(("temperature", "min_p"), [(1.0, 0.0), (0.6, 0.1), (0.0, 0.0)])
def test_generation_applies_the_rule_to_its_own_parameters(family, temperature, min_p):
    program, _, ref, eng = _model(family, seed=3)
    streams = np.array([4, 9, 1], dtype=np.int32)
    cond = _cond(program, 3)
    prime = np.random.default_rng(5).integers(0, Q, (3, 11)).astype(np.int32)
    n = 90
    out = eng.generate(n, streams=streams, seed=77, temperature=temperature, min_p=min_p,
                       prime=prime, cond=cond, chunk=32)
    full = np.concatenate([prime, out], axis=1)
    params = eng.logits(full, cond)
    u = _engine.uniforms(77, streams, 0, full.shape[1], pairs=True)
    want = np.stack([_engine.sample_mixture(params[:, t], temperature, u[:, t], min_p)
                     for t in range(11, 11 + n)], axis=1)
    np.testing.assert_array_equal(out, want)
    if temperature > 0:
        assert len(np.unique(out)) > 20  # really sampled
    # the float64 reference's parameters of the same past and its numpy rule, from the same
    # uniforms: the same level or a neighbour at each step
    ref_params = ref.logits(full, cond)
    ref_out = np.stack([sample_mixture(ref_params[:, t], temperature, u[:, t], min_p)
                        for t in range(11, 11 + n)], axis=1)
    diff = np.abs(ref_out.astype(np.int64) - out)
    assert diff.max() <= 1
    assert (diff == 0).mean() > 0.95
    if temperature > 0:  # and run free, the reference sampler stays on the same track
        free = reference_sample(ref, n, u[:, 11:], temperature, prime, cond, min_p=min_p)
        assert np.abs(free.astype(np.int64) - out).max() <= 4


@pytest.mark.parametrize("family", CASES)
def test_streams_bit_identical_across_batch_threads_and_chunking(family):
    program, tensors, _, two = _model(family, seed=4, threads=2)
    one = getattr(_engine, ENGINES[program["family"]])(json.dumps(program), tensors, 1)
    streams = np.arange(5, 11, dtype=np.int32)
    cond = _cond(program, 6)
    kw = {"seed": 12, "temperature": 1.0}
    whole = one.generate(150, streams=streams, cond=cond, **kw)
    np.testing.assert_array_equal(two.generate(150, streams=streams, cond=cond, chunk=13, **kw),
                                  whole)
    for b in (0, 4):
        alone = two.generate(150, streams=streams[b:b + 1], cond=None if cond is None
                             else cond[b:b + 1], **kw)
        np.testing.assert_array_equal(alone, whole[b:b + 1])


def test_old_softmax_programs_are_unchanged_by_the_output_key():
    """A program that says ``output: softmax`` is the program without the key."""
    arch = ARCHS["wavenet"]
    program, tensors = arch.random_program(
        arch.make_config({"dilations": [1, 2], "levels": 40, "position_frames": 0}), seed=2)
    assert "output" not in program
    plain = _engine.WaveNetEngine(json.dumps(program), tensors, 1)
    said = _engine.WaveNetEngine(json.dumps({**program, "output": "softmax"}), tensors, 1)
    kw = {"streams": np.array([0, 1], np.int32), "seed": 3}
    np.testing.assert_array_equal(plain.generate(50, **kw), said.generate(50, **kw))


@pytest.mark.parametrize(("change", "match"), [
    ({"output": "mol8"}, "output"),
    ({"mixtures": 0}, "mixtures"),
    ({"levels": 256}, "levels"),
])
def test_bad_output_keys_are_rejected(change, match):
    program, tensors, _, _ = _model("wavenet")
    with pytest.raises(ValueError, match=match):
        _engine.WaveNetEngine(json.dumps({**program, **change}), tensors, 1)


# ---- the CUDA kernels' phase code: emulated on the host, on the GPU when present ----------
# WaveNet's mol16 head alone and with the linear predictor, SampleRNN's with it (its plain
# mol16 head is tested in test_cuda_samplernn.py) in both launch layouts: one persistent block
# per stream, and "-wide", each stream spread over 3 blocks with one launch per phase.
needs_cuda = pytest.mark.skipif(cuda is None, reason="pysynth._engine_cuda not built (no nvcc)")
HAS_DEVICE = cuda is not None and cuda.device_available()
_NO_DEVICE = pytest.mark.skipif(not HAS_DEVICE, reason="no CUDA device")
CUDA_CASES = [pytest.param(case, backend, id=f"{case}-{backend}",
                           marks=[needs_cuda] + ([_NO_DEVICE] if backend.startswith("gpu") else []))
              for case, backends in [("wavenet", ["emulate", "gpu"]),
                                     ("wavenet+lpc", ["emulate", "gpu"]),
                                     ("samplernn+lpc", ["emulate", "emulate-wide", "gpu",
                                                        "gpu-wide"])]
              for backend in backends]


def _cuda_engine(case, backend, program, tensors):
    kw = {"emulate": True} if backend.startswith("emulate") else {"device": 0}
    if case.startswith("samplernn"):
        blocks = 3 if backend.endswith("-wide") else 1
        eng = cuda.SampleRNNEngine(json.dumps(program), tensors, blocks_per_stream=blocks, **kw)
        assert eng.blocks_for(3) == blocks
        return eng
    return cuda.WaveNetEngine(json.dumps(program), tensors, **kw)


@pytest.mark.parametrize(("case", "backend"), CUDA_CASES)
def test_cuda_kernel_parameters_and_nll_match_reference(case, backend):
    """The kernel's parameters (the predictor's means included) and NLL are the float64
    reference's, the open end bins too."""
    program, tensors, ref, _ = _model(case, seed=6)
    eng = _cuda_engine(case, backend, program, tensors)
    q = np.random.default_rng(7).integers(0, Q, (3, 50)).astype(np.int32)
    q[0, :5] = [0, Q - 1, 0, Q - 1, Q // 2]
    cond = _cond(program, 3)
    want = ref.logits(q, cond)
    np.testing.assert_allclose(eng.logits(q, cond=cond), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())
    np.testing.assert_allclose(eng.nll(q, cond=cond), reference_nll(want, q, "mol16", Q),
                               rtol=1e-4)


@pytest.mark.parametrize(("case", "backend"), CUDA_CASES)
@pytest.mark.parametrize(("temperature", "min_p"), [(1.0, 0.0), (0.1, 0.1)])
def test_cuda_kernel_generates_as_the_cpu_engine(case, backend, temperature, min_p):
    """After a prime, each sample is exactly the compiled rule on the kernel's own
    teacher-forced parameters with the uniforms of (seed, stream, t), and the CPU engine's
    samples for the same seed are the same. The CPU engine sums its products in another
    order, so a value within float rounding of a level's edge may land on the neighbouring
    level: at most one level apart, and nearly all equal."""
    program, tensors, _, cpu = _model(case, seed=8)
    eng = _cuda_engine(case, backend, program, tensors)
    streams = np.array([2, 9, 4], dtype=np.int32)
    cond = _cond(program, 3)
    prime = np.random.default_rng(9).integers(0, Q, (3, 7)).astype(np.int32)
    kw = {"streams": streams, "seed": 8, "temperature": temperature, "min_p": min_p,
          "prime": prime, "cond": cond}
    out = eng.generate(60, chunk=25, **kw)
    assert len(np.unique(out)) > 20  # really sampled, not stuck
    full = np.concatenate([prime, out], axis=1)
    params = eng.logits(full, cond=cond)
    u = cuda.uniforms(8, streams, 0, full.shape[1], pairs=True)
    want = np.stack([cuda.sample_mixture(params[:, t], temperature, u[:, t], min_p)
                     for t in range(7, 67)], axis=1)
    np.testing.assert_array_equal(out, want)
    diff = np.abs(cpu.generate(60, **kw).astype(np.int64) - out)
    assert diff.max() <= 1
    assert (diff == 0).mean() > 0.98
