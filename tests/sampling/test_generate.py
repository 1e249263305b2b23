"""pysynth.sample: shape, reproducibility, primes, conditions, engines and parameter checks.

Models are random-weight exports saved as real model files (fixtures in conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from pysynth_wavenet import WaveNet, random_program

import pysynth
from pysynth import _engine
from pysynth.errors import ModelFileError, ParameterError
from pysynth.modelfile import load_model, save_model
from pysynth.sampling import make_engine, reference_model, reference_sample


def test_sample_shape_range_and_reproducibility(model_path):
    audio = pysynth.sample(model_path, n=4, seconds=0.05, seed=3)
    assert audio.shape == (4, 400)
    assert audio.dtype == np.float32
    assert np.abs(audio).max() <= 1.0
    assert len(np.unique(audio)) > 10  # a random model makes noise, not silence
    np.testing.assert_array_equal(audio, pysynth.sample(model_path, n=4, seconds=0.05, seed=3))
    assert not np.array_equal(audio, pysynth.sample(model_path, n=4, seconds=0.05, seed=4))


def test_clip_i_does_not_depend_on_n_or_threads(model_path):
    four = pysynth.sample(model_path, n=4, seconds=0.05, seed=3, threads=2)
    one = pysynth.sample(model_path, n=1, seconds=0.05, seed=3, threads=1)
    np.testing.assert_array_equal(four[0], one[0])


def test_prime_from_array_and_file_agree(model_path, tmp_path, sine):
    prime = sine(440.0, sr=8000, seconds=0.1)
    path = pysynth.audio.save(tmp_path / "prime.wav", prime, 8000, subtype="FLOAT")
    a = pysynth.sample(model_path, n=2, seconds=0.02, seed=1, prime=prime)
    b = pysynth.sample(model_path, n=2, seconds=0.02, seed=1, prime=path)
    c = pysynth.sample(model_path, n=2, seconds=0.02, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the prime is teacher-forced: the engine continues exactly the quantized prime
    mf = load_model(model_path)
    q = pysynth.audio.quantize(prime, 64, "mu-law")[None].repeat(2, 0)
    u = _engine.uniforms(1, np.arange(2, dtype=np.int32), 800, 160)
    want = reference_sample(reference_model(mf), 160, u, 1.0, prime=q)
    np.testing.assert_array_equal(a, pysynth.audio.level_table(64, "mu-law")[want])


def test_conditioned_model_without_cond_cycles_its_classes(cond_model_path):
    a = pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=0)
    b = pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=[0, 2])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[1], b[1])
    with pytest.warns(UserWarning, match=r"conditioned on 3 classes.*clip i gets class i % 3"):
        cycled = pysynth.sample(cond_model_path, n=4, seconds=0.02)
    np.testing.assert_array_equal(
        cycled, pysynth.sample(cond_model_path, n=4, seconds=0.02, cond=[0, 1, 2, 0]))
    with pytest.raises(ParameterError, match=r"cond class ids must be in \[0, 3\)"):
        pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=3)
    with pytest.raises(ParameterError, match="not a class of this model"):
        pysynth.sample(cond_model_path, n=2, seconds=0.02, cond="kick")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be an integer >= 1, got 0"),
        ({"n": 2.0}, "n must be an integer"),
        ({"n": True}, "n must be an integer"),
        ({"seconds": -1.0}, "seconds must be a number >= 0"),
        ({"seconds": float("inf")}, "seconds must be a number"),
        ({"seconds": 1e-6}, "less than one sample"),
        ({"temperature": float("nan")}, "temperature must be a number >= 0, got nan"),
        ({"temperature": -0.5}, "temperature must be a number >= 0"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"device": "tpu"}, "device must be one of"),
        ({"threads": -2}, "threads must be an integer >= 0, got -2"),
        ({"prime": np.zeros((3, 10))}, "prime must be"),
        ({"prime": np.zeros((2, 0))}, "prime is empty"),
        ({"prime": np.array([0.0, np.nan])}, "prime contains NaN"),
        ({"cond": 1}, "not conditioned"),
    ],
)
def test_sample_rejects_bad_parameters(model_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        pysynth.sample(model_path, **{"n": 2, "seconds": 0.01, **kwargs})


def test_absurdly_long_clips_are_refused_before_any_work(model_path):
    with pytest.raises(ParameterError, match="too long for one clip"):
        pysynth.sample(model_path, n=1, seconds=1e9)


def test_cuda_device_raises_clearly_without_a_gpu(model_path):
    try:
        from pysynth import _engine_cuda
    except ImportError:
        _engine_cuda = None
    if _engine_cuda is not None and _engine_cuda.device_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(ParameterError, match="device='cuda'"):
        pysynth.sample(model_path, n=1, seconds=0.01, device="cuda")
    # auto falls back to the CPU
    assert pysynth.sample(model_path, n=1, seconds=0.01, device="auto").shape == (1, 80)


def test_bad_model_files_raise_model_file_errors(model_path, tmp_path, small_config):
    raw = model_path.read_bytes()
    truncated = tmp_path / "truncated.pysynth"
    truncated.write_bytes(raw[: len(raw) // 2])
    tampered = tmp_path / "tampered.pysynth"
    data = bytearray(raw)
    data[-5] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        pysynth.sample(truncated, n=1, seconds=0.01)
    with pytest.raises(ModelFileError, match="checksum"):
        pysynth.sample(tampered, n=1, seconds=0.01)
    with pytest.raises(ModelFileError, match="no such model file"):
        pysynth.sample(tmp_path / "missing.pysynth", n=1, seconds=0.01)
    with pytest.raises(ParameterError, match="model must be a model file path"):
        pysynth.sample(42, n=1, seconds=0.01)
    # a well-formed file whose tensor does not fit its program: the engine's check, with
    # the file named
    program, tensors = random_program(small_config, seed=0)
    tensors["out2.weight"] = tensors["out2.weight"][:, :10]
    wrong = save_model(tmp_path / "wrong.pysynth", program, tensors)
    with pytest.raises(ModelFileError, match=r"wrong\.pysynth: .*'out2\.weight' has shape"):
        pysynth.sample(wrong, n=1, seconds=0.01)


def test_wavenet_and_samplernn_models_run_in_the_engine(model_path, tmp_path):
    from pysynth_samplernn import random_program as srnn_random_program

    assert type(make_engine(model_path, device="cpu")).__name__ == "WaveNetEngine"
    program, tensors = srnn_random_program({"frame_sizes": [4, 16], "dim": 16}, seed=0)
    path = save_model(tmp_path / "srnn.pysynth", program, tensors)
    mf = load_model(path)
    assert type(make_engine(mf)).__name__ == "SampleRNNEngine"
    audio = pysynth.sample(mf, n=2, seconds=64 / mf.sample_rate, seed=2)
    u = _engine.uniforms(2, np.arange(2, dtype=np.int32), 0, 64)
    q = reference_sample(reference_model(mf), 64, u, 1.0)
    table = pysynth.audio.level_table(program["levels"], program["quantization"])
    np.testing.assert_array_equal(audio, table[q])


def test_wavenet_plugin_is_found_by_family(model_path, small_config):
    ref = reference_model(model_path)
    assert isinstance(ref, type(WaveNet().reference(*random_program(small_config, seed=0))))


def test_sampling_and_scoring_never_import_tensorflow(model_path):
    import subprocess
    import sys

    path = str(model_path)
    code = (
        "import sys, pysynth\n"
        f"audio = pysynth.sample({path!r}, n=2, seconds=0.01)\n"
        f"pysynth.score({path!r}, audio)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
