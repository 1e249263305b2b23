"""The `pysynth sample` and `pysynth score` commands, and the warnings shown before sampling."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf
from pysynth_wavenet import WaveNet, random_program

import pysynth
from pysynth import _engine, cli
from pysynth.modelfile import save_model
from pysynth.sampling import learned_little
from pysynth.sampling.defaults import MIN_P, TEMPERATURE, min_p_for


def test_cli_sample_and_score(model_path, tmp_path, capsys):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(model_path), "-o", str(out), "-n", "2", "--seconds", "0.05",
                     "--seed", "4", "-q"]) == 0
    files = sorted(out.glob("*.wav"))
    assert [f.name for f in files] == ["tiny-seed4-000.wav", "tiny-seed4-001.wav"]
    captured = capsys.readouterr()
    assert captured.out.strip() == f"wrote 2 clips to {out}"
    speed = re.search(r"([\d.]+) s of audio in ([\d.]+) s: real-time factor ([\d.]+)x",
                      captured.err)
    assert speed is not None, captured.err
    assert float(speed.group(1)) == pytest.approx(0.1)
    assert float(speed.group(3)) > 1  # a tiny model in the compiled engine
    assert cli.main(["score", str(model_path), *map(str, files), "--verbose"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[-1].endswith("bits/sample over 2 clips")
    want = pysynth.score(model_path, files, per_clip=True)
    np.testing.assert_allclose([float(line.split()[0]) for line in lines[:2]], want, atol=1e-4)
    assert float(lines[-1].split()[0]) == pytest.approx(np.mean(want), abs=1e-4)


def test_cli_errors_are_one_line(model_path, tmp_path, capsys):
    assert cli.main(["sample", str(model_path), "-o", str(tmp_path), "--seconds", "-1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("pysynth sample: error: seconds must be")
    assert "\n" not in err


def test_cli_score_reads_a_dataset_folder(model_path, tmp_path, capsys, sine, dataset_of):
    root = dataset_of(tmp_path / "ds", [(f"c{i}", sine(f, sr=8000, seconds=0.05, amp=0.4),
                                         "train", None)
                                        for i, f in enumerate((220.0, 330.0, 440.0))], sr=8000)
    assert cli.main(["score", str(model_path), str(root), "-v"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    per_clip = [float(line.split()[0]) for line in lines[:3]]
    want = pysynth.score(model_path, [root / "clips" / f"c{i}.wav" for i in range(3)],
                         per_clip=True)
    np.testing.assert_allclose(per_clip, want, atol=1e-4)
    assert float(lines[-1].split()[0]) == pytest.approx(np.mean(want), abs=1e-4)


def test_cli_sample_with_prime_and_cond(cond_model_path, tmp_path, sine):
    prime = pysynth.audio.save(tmp_path / "prime.wav", sine(300.0, sr=8000, seconds=0.05,
                                                            amp=0.3), 8000, subtype="FLOAT")
    out = tmp_path / "gen"
    assert cli.main(["sample", str(cond_model_path), "-o", str(out), "-n", "2", "--seconds",
                     "0.02", "--prime", str(prime), "--cond", "2", "1", "--prefix", "x",
                     "-q"]) == 0
    files = sorted(out.glob("*.wav"))
    # the model names no classes: the class id is the last token
    assert [f.name for f in files] == ["x-seed0-000-2.wav", "x-seed0-001-1.wav"]
    want = pysynth.sample(cond_model_path, n=2, seconds=0.02, prime=prime, cond=[2, 1],
                          temperature=TEMPERATURE, min_p=0.0)  # WaveNet's rule: untruncated
    for f, row in zip(files, want):
        np.testing.assert_allclose(sf.read(f, dtype="float32")[0], row, atol=1.0 / 32767 + 1e-6)


@pytest.fixture
def labelled_model(tmp_path):
    """A random SampleRNN conditioned on 3 classes named by its metadata labels, with position."""
    from pysynth_samplernn import random_program as samplernn_program

    program, tensors = samplernn_program(
        {"frame_sizes": [2, 8], "dim": 8, "levels": 32, "seq_len": 8, "sample_rate": 8000,
         "conditioning_classes": 3, "position_frames": 4, "position_hop": 40}, seed=2)
    return save_model(tmp_path / "drums.pysynth", program, tensors,
                      metadata={"labels": ["hi-hat", "kick", "snare"]})


def test_cli_sample_without_cond_cycles_classes_and_names_files(labelled_model, tmp_path,
                                                                 capsys):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(labelled_model), "-o", str(out), "-n", "4", "--seconds",
                     "0.02", "-q"]) == 0
    err = capsys.readouterr().err
    assert err.count("clip i gets class i % 3 (hi-hat, kick, snare)") == 1  # said once
    names = sorted(f.name for f in out.glob("*.wav"))
    assert names == ["drums-seed0-000-hi-hat.wav", "drums-seed0-001-kick.wav",
                     "drums-seed0-002-snare.wav", "drums-seed0-003-hi-hat.wav"]
    from pysynth.sampling.names import label_in_name  # how pysynth evaluate reads them

    known = ["hi-hat", "kick", "snare"]
    assert [label_in_name(out / x, known) for x in names] == [*known, "hi-hat"]
    want = pysynth.sample(labelled_model, n=4, seconds=0.02, cond=[0, 1, 2, 0],
                          temperature=TEMPERATURE, min_p=MIN_P)
    for name, row in zip(names, want):
        np.testing.assert_allclose(sf.read(out / name, dtype="float32")[0], row,
                                   atol=1.0 / 32767 + 1e-6)


def test_cli_cond_takes_label_names_and_ids(labelled_model, tmp_path, capsys):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(labelled_model), "-o", str(out), "-n", "3", "--seconds",
                     "0.02", "--cond", "snare", "0", "kick", "-q"]) == 0
    assert "clip i gets class" not in capsys.readouterr().err
    assert sorted(f.name for f in out.glob("*.wav")) == [
        "drums-seed0-000-snare.wav", "drums-seed0-001-hi-hat.wav", "drums-seed0-002-kick.wav"]
    np.testing.assert_array_equal(pysynth.sample(labelled_model, n=2, seconds=0.02, cond="kick"),
                                  pysynth.sample(labelled_model, n=2, seconds=0.02, cond=1))
    assert cli.main(["sample", str(labelled_model), "-o", str(out), "--cond", "tom"]) != 0
    assert "'tom' is not a class of this model (its labels: 'hi-hat', 'kick', 'snare')" in \
        capsys.readouterr().err


def test_learned_little_warns_only_near_chance(tmp_path):
    program, tensors = random_program(WaveNet().make_config({"dilations": [1, 2]}), seed=0)
    bad = save_model(tmp_path / "bad.pysynth", program, tensors, {"val_nll_bits": 7.95, "epoch": 1})
    good = save_model(tmp_path / "good.pysynth", program, tensors, {"val_nll_bits": 3.1})
    unknown = save_model(tmp_path / "unknown.pysynth", program, tensors, {})
    msg = learned_little(bad)
    assert "7.95 bits" in msg
    assert "chance (8 bits)" in msg
    assert "after 1 epoch:" in msg
    assert learned_little(good) is None
    assert learned_little(unknown) is None


def test_cli_sample_warns_before_sampling_a_model_near_chance(tmp_path, capsys):
    program, tensors = random_program(WaveNet().make_config({"dilations": [1, 2]}), seed=0)
    bad = save_model(tmp_path / "bad.pysynth", program, tensors, {"val_nll_bits": 7.95})
    assert cli.main(["sample", str(bad), "-o", str(tmp_path / "gen"), "-n", "1",
                     "--seconds", "0.01", "-q"]) == 0
    assert "pysynth sample: warning: this model's validation NLL is 7.95" in capsys.readouterr().err


@pytest.mark.parametrize("min_p", ["0", "0.5"])
def test_cli_min_p_reaches_the_engine(labelled_model, tmp_path, min_p):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(labelled_model), "-o", str(out), "-n", "3", "--seconds",
                     "0.05", "--min-p", min_p, "--cond", "kick", "-q"]) == 0
    got = np.stack([sf.read(f, dtype="float32")[0] for f in sorted(out.glob("*.wav"))])
    want = pysynth.sample(labelled_model, n=3, seconds=0.05, cond="kick",
                          temperature=TEMPERATURE, min_p=float(min_p))
    np.testing.assert_allclose(got, want, atol=1.0 / 32767 + 1e-6)
    # the truncation really changes what is drawn from this random model
    other = pysynth.sample(labelled_model, n=3, seconds=0.05, cond="kick",
                           temperature=TEMPERATURE, min_p=0.5 if min_p == "0" else 0.0)
    assert not np.allclose(got, other, atol=1e-3)


def test_cli_rejects_min_p_outside_0_1(labelled_model, tmp_path, capsys):
    assert cli.main(["sample", str(labelled_model), "-o", str(tmp_path / "g"), "-n", "1",
                     "--min-p", "1.5", "-q"]) != 0
    assert "min_p must be a number >= 0 and <= 1, got 1.5" in capsys.readouterr().err


@pytest.mark.skipif(not _engine.bf16_available(), reason="no AVX512_BF16 here")
def test_cli_weights_bf16_reaches_the_engine(labelled_model, tmp_path, capsys):
    out = tmp_path / "gen"
    assert cli.main(["sample", str(labelled_model), "-o", str(out), "-n", "2", "--seconds",
                     "0.05", "--cond", "kick", "--weights", "bf16", "-q"]) == 0
    files = sorted(out.glob("*.wav"))
    got = np.stack([sf.read(f, dtype="float32")[0] for f in files])
    kw = {"n": 2, "seconds": 0.05, "cond": "kick", "temperature": TEMPERATURE, "min_p": MIN_P}
    np.testing.assert_allclose(got, pysynth.sample(labelled_model, weights="bf16", **kw),
                               atol=1.0 / 32767 + 1e-6)
    capsys.readouterr()
    assert cli.main(["score", str(labelled_model), *map(str, files), "--cond", "0",
                     "--weights", "bf16"]) == 0
    bits = float(capsys.readouterr().out.split()[0])
    want = pysynth.score(labelled_model, files, cond=0, weights="bf16")
    assert bits == pytest.approx(want, abs=1e-4)
    # bfloat16 products: a small but real difference from float32
    f32 = pysynth.score(labelled_model, files, cond=0)
    assert 0 < abs(want - f32) < 0.05


def test_cli_weights_checked(model_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own usage error
        cli.main(["sample", str(model_path), "-o", str(tmp_path / "g"), "--weights", "int4"])
    assert exc.value.code != 0
    assert "--weights: invalid choice: 'int4'" in capsys.readouterr().err


@pytest.mark.parametrize("family", ["wavenet", "samplernn"])
def test_cli_default_min_p_is_the_model_familys(model_path, labelled_model, tmp_path,
                                                monkeypatch, family):
    from pysynth.sampling import defaults

    path = model_path if family == "wavenet" else labelled_model
    assert min_p_for(pysynth.load_model(path).program) == {"wavenet": 0.0, "samplernn": MIN_P}[family]
    # a rule strong enough to change random-weight samples shows the default is looked up
    monkeypatch.setitem(defaults.MIN_P_BY_FAMILY, family, 0.5)
    outs = {}
    for name, extra in (("default", []), ("half", ["--min-p", "0.5"]), ("none", ["--min-p", "0"])):
        out = tmp_path / name
        assert cli.main(["sample", str(path), "-o", str(out), "-n", "2", "--seconds", "0.02",
                         "-q", *extra]) == 0
        outs[name] = [sf.read(f)[0] for f in sorted(out.glob("*.wav"))]
    assert all(np.array_equal(a, b) for a, b in zip(outs["default"], outs["half"]))
    assert not all(np.array_equal(a, b) for a, b in zip(outs["default"], outs["none"]))
