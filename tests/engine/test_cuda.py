"""Tests of the optional CUDA module pysynth._engine_cuda (WaveNet sampling on a GPU).

Without a GPU the module must still import (when nvcc built it), report no device and
refuse to construct an engine with a clear error. The kernel's phase code also runs on
the host (``emulate=True``), so its arithmetic, ring buffers, chunking and sampling are
checked here against the numpy reference and the CPU engine; the same parity tests run on
the device (``device=0``) when one is available and are skipped only when none is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pysynth_wavenet = pytest.importorskip("pysynth_wavenet")
from pysynth_wavenet.reference import WaveNetReference, random_program  # noqa: E402

try:
    from pysynth import _engine_cuda as cuda
except ImportError:  # built without nvcc
    cuda = None

ROOT = Path(__file__).resolve().parents[2]
NVCC = shutil.which("nvcc") or (
    "/usr/local/cuda/bin/nvcc" if os.path.exists("/usr/local/cuda/bin/nvcc") else None
)
HAS_DEVICE = cuda is not None and cuda.device_available()
needs_module = pytest.mark.skipif(cuda is None, reason="pysynth._engine_cuda not built (no nvcc)")

BACKENDS = [
    pytest.param("emulate", id="emulate"),
    pytest.param(
        "gpu", id="gpu", marks=pytest.mark.skipif(not HAS_DEVICE, reason="no CUDA device")
    ),
]

# Small but complete: K0 = K = 3, repeated dilations, conditioning, Q not a power of two,
# the position input with frames so short that every test's sequences run past the last.
TINY = {
    "levels": 37,
    "filter_width": 3,
    "initial_filter_width": 3,
    "dilations": [1, 2, 4, 1, 3],
    "residual_channels": 8,
    "dilation_channels": 6,
    "skip_channels": 12,
    "output_channels": 10,
    "conditioning_classes": 3,
    "position_frames": 3,
    "position_hop": 8,
}


def make_engine(backend: str, program: dict, tensors: dict):
    if backend == "emulate":
        return cuda.WaveNetEngine(json.dumps(program), tensors, emulate=True)
    return cuda.WaveNetEngine(json.dumps(program), tensors, device=0)


@pytest.fixture(scope="module")
def tiny():
    program, tensors = random_program(TINY, seed=7)
    return program, tensors, WaveNetReference(program, tensors)


def ref_log2_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))) / np.log(2.0)


# ---- build and device detection (run everywhere) -------------------------------------
def test_module_is_built_when_nvcc_is_present():
    if NVCC is None:
        pytest.skip("nvcc not installed: the CUDA module is optional")
    assert cuda is not None, "nvcc is installed but pysynth._engine_cuda was not built"
    assert callable(cuda.device_available)


@needs_module
def test_no_device_gives_a_clear_error():
    if HAS_DEVICE:
        pytest.skip("a CUDA device is present")
    assert cuda.device_available() is False
    assert cuda.device_problem() != ""
    program, tensors = random_program(TINY, seed=0)
    with pytest.raises(RuntimeError, match="no CUDA device available: "):
        cuda.WaveNetEngine(json.dumps(program), tensors)
    with pytest.raises(RuntimeError, match="no CUDA device available"):
        cuda.WaveNetEngine(json.dumps(program), tensors, device=0)


def _nvcc_compile(source: Path, out: Path) -> None:
    """Compile one .cu file exactly as .ci/run does (host + default device arch)."""
    pybind_inc = subprocess.run(
        [sys.executable, "-m", "pybind11", "--includes"], capture_output=True, text=True,
        check=True,
    ).stdout.split()
    cmd = [NVCC, "-std=c++17", "-O2", "-Xcompiler", "-fPIC", f"-I{ROOT / 'csrc'}",
           *pybind_inc, "-c", str(source), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert out.stat().st_size > 0


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
def test_kernel_compiles_with_nvcc(tmp_path):
    pytest.importorskip("pybind11")
    _nvcc_compile(ROOT / "csrc" / "cuda" / "wavenet_kernel.cu", tmp_path / "kernel.o")


@pytest.mark.slow
@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "csrc" / "cuda").glob("*.cu")))
def test_every_cuda_source_compiles_with_nvcc(tmp_path, name):
    pytest.importorskip("pybind11")
    _nvcc_compile(ROOT / "csrc" / "cuda" / name, tmp_path / f"{name}.o")


# ---- parity: the kernel's code (emulated here, on the GPU when present) ---------------
@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
def test_logits_and_nll_match_reference(backend, tiny):
    program, tensors, ref = tiny
    eng = make_engine(backend, program, tensors)
    assert eng.levels == TINY["levels"]
    assert eng.receptive_field == ref.receptive_field == 2 * 11 + 3
    rng = np.random.default_rng(1)
    q = rng.integers(0, TINY["levels"], (3, 60)).astype(np.int32)
    cond = np.array([2, 0, 1], dtype=np.int32)
    want = ref.logits(q, cond)
    got = eng.logits(q, cond=cond)
    assert got.shape == (3, 60, TINY["levels"])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    # conditioning matters: another class gives other logits
    assert not np.allclose(eng.logits(q, cond=np.array([0, 0, 0], np.int32))[0], got[0])
    bits = -np.take_along_axis(ref_log2_softmax(want), q[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(eng.nll(q, cond=cond), bits, rtol=1e-4, atol=1e-4)


@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
def test_logits_over_many_launches_match_reference(backend):
    # T > 1024 steps: the engine splits a window into several launches.
    cfg = {**TINY, "conditioning_classes": 0, "dilations": [1, 8, 64]}
    program, tensors = random_program(cfg, seed=3)
    ref = WaveNetReference(program, tensors)
    eng = make_engine(backend, program, tensors)
    q = np.random.default_rng(2).integers(0, cfg["levels"], (1, 1300)).astype(np.int32)
    want = ref.logits(q)
    np.testing.assert_allclose(eng.logits(q), want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("temperature", "min_p"), [(1.0, 0.0), (0.6, 0.0), (0.0, 0.0),
                                                    (1.0, 0.1)])
def test_generate_follows_the_sampling_rule(backend, tiny, temperature, min_p):
    program, tensors, ref = tiny
    eng = make_engine(backend, program, tensors)
    streams = np.array([4, 9], dtype=np.int32)
    cond = np.array([1, 2], dtype=np.int32)
    prime = np.random.default_rng(5).integers(0, TINY["levels"], (2, 6)).astype(np.int32)
    out = eng.generate(50, streams=streams, seed=123, temperature=temperature, min_p=min_p,
                       prime=prime, cond=cond, chunk=16)
    assert out.shape == (2, 50)
    assert out.dtype == np.int32
    full = np.concatenate([prime, out], axis=1)
    logits = ref.logits(full, cond)
    u = cuda.uniforms(123, streams, 0, full.shape[1])
    want = np.stack(
        [cuda.sample_logits(logits[:, t], temperature, u[:, t], min_p) for t in range(6, 56)], axis=1
    )
    np.testing.assert_array_equal(out, want)
    if temperature > 0:
        assert len(np.unique(out)) > 5  # really sampled, not stuck


@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
def test_generate_matches_cpu_engine(backend):
    engine = pytest.importorskip("pysynth._engine")
    if not hasattr(engine, "WaveNetEngine"):
        pytest.skip("CPU WaveNet engine not built")
    # the default (small) preset, with the position input crossing frames
    program, tensors = random_program({"position_frames": 4, "position_hop": 16}, seed=11)
    eng = make_engine(backend, program, tensors)
    cpu = engine.WaveNetEngine(json.dumps(program), tensors, 1)
    streams = np.array([0, 1, 2], dtype=np.int32)
    prime = np.random.default_rng(0).integers(0, 256, (3, 20)).astype(np.int32)
    kwargs = {"streams": streams, "seed": 2024, "temperature": 1.0, "prime": prime}
    np.testing.assert_array_equal(eng.generate(64, **kwargs), cpu.generate(64, **kwargs))
    np.testing.assert_allclose(eng.logits(prime), cpu.logits(prime), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(cuda.uniforms(9, streams, 5, 7), engine.uniforms(9, streams, 5, 7))


@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
def test_streams_are_independent_of_batch_and_chunking(backend, tiny):
    program, tensors, _ = tiny
    eng = make_engine(backend, program, tensors)
    both = eng.generate(1100, streams=np.array([3, 8], np.int32), seed=5,
                        cond=np.array([0, 1], np.int32), chunk=1050)
    alone = eng.generate(1100, streams=np.array([8], np.int32), seed=5,
                         cond=np.array([1], np.int32), chunk=1100)
    np.testing.assert_array_equal(both[1:], alone)
    assert not np.array_equal(both[0], both[1])
    blocks = []
    ret = eng.generate(1100, streams=np.array([3, 8], np.int32), seed=5,
                       cond=np.array([0, 1], np.int32), chunk=400, callback=blocks.append)
    assert ret is None
    assert [b.shape for b in blocks] == [(2, 400), (2, 400), (2, 300)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), both)
    # a different seed gives different audio
    other = eng.generate(100, streams=np.array([8], np.int32), seed=6, cond=np.array([1], np.int32))
    assert not np.array_equal(other, alone[:, :100])


@needs_module
@pytest.mark.parametrize("backend", BACKENDS)
def test_callback_errors_propagate(backend, tiny):
    program, tensors, _ = tiny
    eng = make_engine(backend, program, tensors)

    def boom(block):
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        eng.generate(40, streams=np.array([0], np.int32), seed=1, cond=np.array([0], np.int32),
                     chunk=10, callback=boom)


# ---- bad inputs (checked before any device work, so emulation covers them) -------------
@needs_module
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p, t: t.pop("layers.2.res.bias"), "missing tensor 'layers.2.res.bias'"),
        (lambda p, t: t.__setitem__("out2.bias", np.zeros(5, np.float32)), "'out2.bias' has shape"),
        (lambda p, t: t["layers.0.conv.weight"].__setitem__((0, 0, 0), np.nan), "NaN or inf"),
        (lambda p, t: p.__setitem__("family", "samplernn"), "family"),
        (lambda p, t: p.__setitem__("dilations", [1, 0]), "dilations"),
        (lambda p, t: p.__setitem__("levels", "256"), "levels"),
    ],
)
def test_bad_models_are_rejected(change, match):
    program, tensors = random_program(TINY, seed=0)
    tensors = {k: v.copy() for k, v in tensors.items()}
    change(program, tensors)
    with pytest.raises(ValueError, match=match):
        cuda.WaveNetEngine(json.dumps(program), tensors, emulate=True)


@needs_module
def test_bad_call_arguments_are_rejected(tiny):
    program, tensors, _ = tiny
    eng = cuda.WaveNetEngine(json.dumps(program), tensors, emulate=True)
    s = np.array([0], np.int32)
    c = np.array([0], np.int32)
    ok = np.zeros((1, 4), np.int32)
    assert eng.logits(ok, cond=c).shape == (1, 4, TINY["levels"])
    with pytest.raises(ValueError, match=r"q values must be in \[0, 37\), got 37"):
        eng.logits(np.full((1, 4), 37, np.int32), cond=c)
    with pytest.raises(ValueError, match="must be an integer array, got dtype float32"):
        eng.logits(ok.astype(np.float32), cond=c)
    with pytest.raises(ValueError, match="conditioned on 3 classes: pass cond"):
        eng.logits(ok)
    with pytest.raises(ValueError, match="cond"):
        eng.logits(ok, cond=np.array([3], np.int32))
    with pytest.raises(ValueError, match="temperature"):
        eng.generate(4, streams=s, seed=0, cond=c, temperature=-1.0)
    with pytest.raises(ValueError, match="seed"):
        eng.generate(4, streams=s, seed=-1, cond=c)
    with pytest.raises(ValueError, match="chunk"):
        eng.generate(4, streams=s, seed=0, cond=c, chunk=0)
    with pytest.raises(ValueError, match="prime"):
        eng.generate(4, streams=s, seed=0, cond=c, prime=np.zeros((2, 3), np.int32))
    with pytest.raises(TypeError, match="callback"):
        eng.generate(4, streams=s, seed=0, cond=c, callback=3)
    assert eng.generate(0, streams=s, seed=0, cond=c).shape == (1, 0)


@needs_module
def test_uniforms_and_sample_logits_helpers():
    u = cuda.uniforms(1, np.array([0, 1], np.int32), 0, 1000)
    assert u.shape == (2, 1000)
    assert u.dtype == np.float32
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.05
    assert not np.array_equal(u[0], u[1])
    np.testing.assert_array_equal(cuda.uniforms(1, np.array([1], np.int32), 10, 5), u[1:, 10:15])
    logits = np.log(np.array([[0.25, 0.25, 0.5]], np.float32))
    assert cuda.sample_logits(logits, 1.0, np.array([0.1], np.float32))[0] == 0
    assert cuda.sample_logits(logits, 1.0, np.array([0.3], np.float32))[0] == 1
    assert cuda.sample_logits(logits, 1.0, np.array([0.9], np.float32))[0] == 2
    assert cuda.sample_logits(logits, 0.0, np.array([0.0], np.float32))[0] == 2


# ---- the front end: pysynth.sample(device="cuda") ------------------------------------
@needs_module
@pytest.mark.parametrize("output", ["softmax", "mol16+lpc"])
def test_sample_front_end_uses_or_refuses_the_gpu(tmp_path, output):
    """device="auto" gives the CPU's clips without a device (a mol16 head with the linear
    predictor too), device="cuda" the CPU's clips on one, and a clear error without."""
    from pysynth import sampling
    from pysynth.errors import ParameterError
    from pysynth.modelfile import save_model

    config = {**TINY, "conditioning_classes": 0}
    if output == "mol16+lpc":
        config = {k: v for k, v in config.items() if k != "levels"}
        config.update(output="mol16", mixtures=3, lpc_order=4)
    program, tensors = random_program(config, seed=4)
    assert ("lpc.weight" in tensors) == (output == "mol16+lpc")
    path = save_model(tmp_path / "tiny.pysynth", program, tensors)
    kwargs = {"n": 2, "seconds": 60 / program["sample_rate"], "seed": 9}
    cpu = sampling.sample(path, device="cpu", **kwargs)
    assert cpu.shape[0] == 2
    np.testing.assert_array_equal(sampling.sample(path, device="auto", **kwargs), cpu)
    if HAS_DEVICE:
        gpu = sampling.sample(path, device="cuda", **kwargs)
        if output == "softmax":
            np.testing.assert_array_equal(gpu, cpu)
        else:  # a value at a level's edge may round to the neighbour (test_mol16.py)
            np.testing.assert_allclose(gpu, cpu, atol=1e-3)
    else:
        with pytest.raises(ParameterError, match="CUDA"):
            sampling.sample(path, device="cuda", **kwargs)
