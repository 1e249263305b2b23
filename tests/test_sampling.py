"""pysynth.sample / pysynth.score and the `pysynth sample` / `pysynth score` commands.

Models are random-weight WaveNet exports saved as real model files in tmp_path; a toy
third-party family (registered in the architectures registry for the test) checks that
models the engine does not know sample through their plugin's numpy reference.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from pysynth_wavenet import WaveNet, random_program

import pysynth
from pysynth import _engine, cli
from pysynth.arch import Architecture, ReferenceModel
from pysynth.errors import ModelFileError, ParameterError
from pysynth.modelfile import load_model, save_model
from pysynth.registry import architectures
from pysynth.sampling import reference_model, reference_sample, sample_to_files, score_clips

SMALL = {"dilations": [1, 2, 4, 8, 1, 2], "residual_channels": 8, "dilation_channels": 8,
         "skip_channels": 16, "output_channels": 16, "levels": 64, "sample_rate": 8000}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    program, tensors = random_program(SMALL, seed=0)
    return save_model(tmp_path_factory.mktemp("models") / "tiny.pysynth", program, tensors)


@pytest.fixture(scope="module")
def cond_model_path(tmp_path_factory):
    program, tensors = random_program({**SMALL, "conditioning_classes": 3}, seed=1)
    return save_model(tmp_path_factory.mktemp("models") / "cond.pysynth", program, tensors)


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


def test_sample_equals_numpy_reference_sampler(model_path):
    mf = load_model(model_path)
    ref = reference_model(mf)
    audio = pysynth.sample(mf, n=2, seconds=0.02, seed=5, temperature=0.9)
    n = audio.shape[1]
    u = _engine.uniforms(5, np.arange(2, dtype=np.int32), 0, n)
    q = reference_sample(ref, n, u, 0.9)
    np.testing.assert_array_equal(audio, pysynth.audio.level_table(64, "mu-law")[q])


def test_prime_from_array_and_file_agree(model_path, tmp_path):
    t = np.arange(800) / 8000
    prime = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
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


def test_conditioned_model_needs_cond(cond_model_path):
    a = pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=0)
    b = pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=[0, 2])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[1], b[1])
    with pytest.raises(ParameterError, match="conditioned on 3 classes"):
        pysynth.sample(cond_model_path, n=2, seconds=0.02)
    with pytest.raises(ParameterError, match=r"cond class ids must be in \[0, 3\)"):
        pysynth.sample(cond_model_path, n=2, seconds=0.02, cond=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be"),
        ({"seconds": -1.0}, "seconds must be"),
        ({"seconds": 1e-6}, "less than one sample"),
        ({"temperature": float("nan")}, "temperature"),
        ({"seed": -1}, "seed"),
        ({"device": "tpu"}, "device must be one of"),
        ({"threads": -2}, "threads"),
        ({"prime": np.zeros((3, 10))}, "prime must be"),
        ({"cond": 1}, "not conditioned"),
    ],
)
def test_sample_rejects_bad_parameters(model_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        pysynth.sample(model_path, **{"n": 2, "seconds": 0.01, **kwargs})


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


def test_bad_model_files_raise_model_file_errors(model_path, tmp_path):
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
    # a well-formed file whose tensor does not fit its program: the engine's check
    program, tensors = random_program(SMALL, seed=0)
    tensors["out2.weight"] = tensors["out2.weight"][:, :10]
    wrong = save_model(tmp_path / "wrong.pysynth", program, tensors)
    with pytest.raises(ModelFileError, match=r"'out2\.weight' has shape"):
        pysynth.sample(wrong, n=1, seconds=0.01)


def test_sample_to_files_streams_wavs_atomically(model_path, tmp_path):
    out = tmp_path / "gen"
    report = sample_to_files(model_path, out, n=3, seconds=0.1, seed=2)
    assert [p.name for p in report.paths] == [f"tiny-seed2-{i:03d}.wav" for i in range(3)]
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in report.paths]
    expect = pysynth.sample(model_path, n=3, seconds=0.1, seed=2)
    for i, p in enumerate(report.paths):
        y, sr = sf.read(p, dtype="float32")
        assert sr == 8000
        np.testing.assert_allclose(y, expect[i], atol=1.0 / 32767 + 1e-6)
    assert report.audio_seconds == pytest.approx(0.3)
    assert report.real_time_factor > 0


def test_interrupted_sampling_leaves_no_partial_files(model_path, tmp_path, monkeypatch):
    from pysynth import sampling

    def fail(self, on_block, chunk):
        on_block(np.zeros((self.n, 10), np.int32), 0)
        raise KeyboardInterrupt

    monkeypatch.setattr(sampling._Plan, "run", fail)
    with pytest.raises(KeyboardInterrupt):
        sample_to_files(model_path, tmp_path / "gen", n=2, seconds=0.1)
    assert list((tmp_path / "gen").iterdir()) == []


def test_score_matches_reference_nll(model_path, tmp_path):
    mf = load_model(model_path)
    rng = np.random.default_rng(0)
    clips = (0.3 * rng.standard_normal((2, 300))).astype(np.float32)
    q = pysynth.audio.quantize(clips, 64, "mu-law")
    lg = reference_model(mf).logits(q).astype(np.float64)
    lse = np.log(np.exp(lg - lg.max(-1, keepdims=True)).sum(-1)) + lg.max(-1)
    bits = (lse - np.take_along_axis(lg, q[..., None].astype(np.int64), -1)[..., 0]) / np.log(2)
    np.testing.assert_allclose(pysynth.score(mf, clips, per_clip=True), bits.mean(1), rtol=1e-4)
    assert pysynth.score(mf, clips) == pytest.approx(bits.mean(), rel=1e-4)
    # files of different lengths, scored from a list of paths
    paths = [pysynth.audio.save(tmp_path / f"c{i}.wav", clips[i, : 200 + 100 * i], 8000,
                                subtype="FLOAT") for i in range(2)]
    per, lengths = score_clips(mf, paths)
    assert list(lengths) == [200, 300]
    assert per[1] == pytest.approx(bits[1].mean(), rel=1e-4)
    with pytest.raises(ParameterError, match="NaN"):
        pysynth.score(mf, np.array([0.0, np.nan], np.float32))


def test_model_scores_its_own_greedy_output_better_than_noise(model_path):
    own = pysynth.sample(model_path, n=2, seconds=0.05, temperature=0.0)
    noise = np.random.default_rng(1).uniform(-1, 1, size=own.shape).astype(np.float32)
    assert pysynth.score(model_path, own) < pysynth.score(model_path, noise)


# -- a third-party family the engine does not know -------------------------------------


class _CountingReference(ReferenceModel):
    """q[t] = (q[t-1] + 1) mod Q with near-certainty; q[0] = 0."""

    def start(self, batch, cond=None):
        return {"b": batch}

    def step(self, state, q_prev):
        b = state["b"]
        nxt = np.zeros(b, np.int64) if q_prev is None else (np.asarray(q_prev) + 1) % self.levels
        logits = np.zeros((b, self.levels), np.float32)
        logits[np.arange(b), nxt] = 30.0
        return logits


class _Counting(Architecture):
    name = "test-counting"
    family = "test-counting"

    def reference(self, program, tensors):
        return _CountingReference(program, tensors)


@pytest.fixture(scope="module")
def counting_model(tmp_path_factory):
    if "test-counting" not in architectures:
        architectures.register("test-counting", _Counting(), origin="tests")
    program = {"family": "test-counting", "levels": 8, "quantization": "linear",
               "sample_rate": 1000}
    return save_model(tmp_path_factory.mktemp("m") / "count.pysynth", program,
                      {"w": np.zeros(1, np.float32)})


def test_unknown_family_samples_through_plugin_reference(counting_model):
    audio = pysynth.sample(counting_model, n=2, seconds=0.012, temperature=1.0)
    table = pysynth.audio.level_table(8, "linear")
    np.testing.assert_array_equal(audio, table[np.arange(12) % 8][None].repeat(2, 0))
    bits = pysynth.score(counting_model, table[np.arange(12) % 8])
    assert bits < 1e-6


def test_unknown_family_without_plugin_raises(tmp_path):
    path = save_model(tmp_path / "x.pysynth", {"family": "nobody-knows", "levels": 4,
                                                "sample_rate": 1000}, {})
    with pytest.raises(ParameterError, match="no installed architecture plugin"):
        pysynth.sample(path, n=1, seconds=0.01)


# -- the CLI ----------------------------------------------------------------------------


def test_cli_sample_and_score(model_path, tmp_path, capsys):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(model_path), "-o", str(out), "-n", "2", "--seconds", "0.05",
                     "--seed", "4", "-q"]) == 0
    files = sorted(out.glob("*.wav"))
    assert len(files) == 2
    captured = capsys.readouterr()
    assert "real-time factor" in captured.err
    assert cli.main(["score", str(model_path), *map(str, files), "--verbose"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[-1].endswith("bits/sample over 2 clip(s)")
    assert float(lines[-1].split()[0]) > 0


def test_cli_errors_are_one_line(model_path, tmp_path, capsys):
    assert cli.main(["sample", str(model_path), "-o", str(tmp_path), "--seconds", "-1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("pysynth sample: error: seconds must be")
    assert "\n" not in err


def test_wavenet_plugin_is_found_by_family(model_path):
    ref = reference_model(model_path)
    assert isinstance(ref, type(WaveNet().reference(*random_program(SMALL, seed=0))))


def test_samplernn_models_sample_through_the_engine(tmp_path):
    from pysynth_samplernn import random_program as srnn_random_program

    program, tensors = srnn_random_program({"frame_sizes": [4, 16], "dim": 16}, seed=0)
    path = save_model(tmp_path / "srnn.pysynth", program, tensors)
    mf = load_model(path)
    assert type(pysynth.sampling.make_engine(mf)).__name__ == "SampleRNNEngine"
    audio = pysynth.sample(mf, n=2, seconds=64 / mf.sample_rate, seed=2)
    u = _engine.uniforms(2, np.arange(2, dtype=np.int32), 0, 64)
    q = reference_sample(reference_model(mf), 64, u, 1.0)
    table = pysynth.audio.level_table(program["levels"], program["quantization"])
    np.testing.assert_array_equal(audio, table[q])


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


def test_cli_score_reads_a_dataset_folder(model_path, tmp_path, capsys):
    from pysynth.dataset import Clip, audio_checksum, write_dataset

    root = tmp_path / "ds"
    (root / "clips").mkdir(parents=True)
    t = np.arange(400) / 8000
    clips = []
    for i, f in enumerate((220.0, 330.0, 440.0)):
        y = (0.4 * np.sin(2 * np.pi * f * t)).astype(np.float32)
        pysynth.audio.save(root / "clips" / f"c{i}.wav", y, 8000, subtype="FLOAT")
        clips.append(Clip(id=f"c{i}", path=f"clips/c{i}.wav", source="synth", offset=0.0,
                          duration=0.05, split="train", checksum=audio_checksum(y)))
    write_dataset(root, clips, {"sample_rate": 8000})
    assert cli.main(["score", str(model_path), str(root), "-v"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    per_clip = [float(line.split()[0]) for line in lines[:3]]
    want = pysynth.score(model_path, [root / "clips" / f"c{i}.wav" for i in range(3)],
                         per_clip=True)
    np.testing.assert_allclose(per_clip, want, atol=1e-4)
    assert float(lines[-1].split()[0]) == pytest.approx(np.mean(want), abs=1e-4)


def test_cli_sample_with_prime_and_cond(cond_model_path, tmp_path):
    t = np.arange(400) / 8000
    prime = pysynth.audio.save(tmp_path / "prime.wav",
                               (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 8000,
                               subtype="FLOAT")
    out = tmp_path / "gen"
    assert cli.main(["sample", str(cond_model_path), "-o", str(out), "-n", "2", "--seconds",
                     "0.02", "--prime", str(prime), "--cond", "2", "1", "--prefix", "x",
                     "-q"]) == 0
    files = sorted(out.glob("*.wav"))
    assert [f.name for f in files] == ["x-seed0-000.wav", "x-seed0-001.wav"]
    want = pysynth.sample(cond_model_path, n=2, seconds=0.02, prime=prime, cond=[2, 1])
    for f, row in zip(files, want):
        np.testing.assert_allclose(sf.read(f, dtype="float32")[0], row, atol=1.0 / 32767 + 1e-6)


def test_score_batches_many_clips_consistently(model_path):
    rng = np.random.default_rng(3)
    clips = (0.3 * rng.standard_normal((70, 30))).astype(np.float32)  # > one engine batch
    together = pysynth.score(model_path, clips, per_clip=True)
    alone = [pysynth.score(model_path, clips[i]) for i in (0, 63, 64, 69)]
    np.testing.assert_allclose(together[[0, 63, 64, 69]], alone, rtol=1e-6)


def test_stream_yields_the_same_audio_in_blocks(model_path):
    from pysynth.sampling import stream

    whole = pysynth.sample(model_path, n=3, seconds=0.1, seed=6)
    blocks = list(stream(model_path, n=3, seconds=0.1, seed=6, block_seconds=0.03))
    assert [b.shape for b in blocks] == [(3, 240)] * 3 + [(3, 80)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


def test_stream_stops_when_the_consumer_leaves(model_path):
    import threading

    from pysynth.sampling import stream

    before = threading.active_count()
    gen = stream(model_path, n=2, seconds=3600.0, block_seconds=0.01)  # an hour of audio
    first = next(gen)
    assert first.shape == (2, 80)
    gen.close()  # must return promptly and leave no worker thread behind
    assert threading.active_count() == before


def test_stream_reraises_errors_from_the_engine(model_path, monkeypatch):
    from pysynth import sampling

    def fail(self, on_block, chunk):
        on_block(np.zeros((self.n, 4), np.int32), 0)
        raise RuntimeError("engine failed")

    monkeypatch.setattr(sampling._Plan, "run", fail)
    gen = sampling.stream(model_path, n=2, seconds=0.1)
    assert next(gen).shape == (2, 4)
    with pytest.raises(RuntimeError, match="engine failed"):
        next(gen)


def test_learned_little_warns_only_near_chance(tmp_path):
    from pysynth_wavenet import WaveNet
    from pysynth_wavenet.reference import random_program

    from pysynth.modelfile import save_model
    from pysynth.sampling import learned_little

    arch = WaveNet()
    program, tensors = random_program(arch.make_config({"dilations": [1, 2]}), seed=0)
    bad = save_model(tmp_path / "bad.pysynth", program, tensors, {"val_nll_bits": 7.95, "epoch": 1})
    good = save_model(tmp_path / "good.pysynth", program, tensors, {"val_nll_bits": 3.1})
    unknown = save_model(tmp_path / "unknown.pysynth", program, tensors, {})
    msg = learned_little(bad)
    assert "7.95 bits" in msg
    assert "chance (8 bits)" in msg
    assert learned_little(good) is None
    assert learned_little(unknown) is None


def test_absurdly_long_clips_are_refused_before_any_work(tmp_path):
    from pysynth_wavenet import WaveNet
    from pysynth_wavenet.reference import random_program

    from pysynth.errors import ParameterError
    from pysynth.modelfile import save_model

    program, tensors = random_program(WaveNet().make_config({"dilations": [1, 2]}), seed=0)
    model = save_model(tmp_path / "m.pysynth", program, tensors)
    with pytest.raises(ParameterError, match="too long for one clip"):
        pysynth.sample(model, n=1, seconds=1e9)
