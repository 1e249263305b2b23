"""pysynth.score: bits per sample of arrays, files, audio folders and datasets, equal to the
NLL of the numpy reference."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pysynth
from pysynth.errors import AudioFileError, ParameterError
from pysynth.modelfile import load_model
from pysynth.sampling import clip_paths, reference_model, score_clips


def _reference_bits(mf, clips):
    q = pysynth.audio.quantize(clips, 64, "mu-law")
    lg = reference_model(mf).logits(q).astype(np.float64)
    lse = np.log(np.exp(lg - lg.max(-1, keepdims=True)).sum(-1)) + lg.max(-1)
    return (lse - np.take_along_axis(lg, q[..., None].astype(np.int64), -1)[..., 0]) / np.log(2)


def test_score_matches_reference_nll(model_path, tmp_path):
    mf = load_model(model_path)
    rng = np.random.default_rng(0)
    clips = (0.3 * rng.standard_normal((2, 300))).astype(np.float32)
    bits = _reference_bits(mf, clips)
    np.testing.assert_allclose(pysynth.score(mf, clips, per_clip=True), bits.mean(1), rtol=1e-4)
    assert pysynth.score(mf, clips) == pytest.approx(bits.mean(), rel=1e-4)
    # files of different lengths, scored from a list of paths
    paths = [pysynth.audio.save(tmp_path / f"c{i}.wav", clips[i, : 200 + 100 * i], 8000,
                                subtype="FLOAT") for i in range(2)]
    per, lengths = score_clips(mf, paths)
    assert list(lengths) == [200, 300]
    assert per[1] == pytest.approx(bits[1].mean(), rel=1e-4)
    # the overall figure weighs each clip by its length
    assert pysynth.score(mf, paths) == pytest.approx((per * lengths).sum() / 500, rel=1e-12)
    with pytest.raises(ParameterError, match="NaN"):
        pysynth.score(mf, np.array([0.0, np.nan], np.float32))


def test_model_scores_its_own_greedy_output_better_than_noise(model_path):
    own = pysynth.sample(model_path, n=2, seconds=0.05, temperature=0.0)
    noise = np.random.default_rng(1).uniform(-1, 1, size=own.shape).astype(np.float32)
    assert pysynth.score(model_path, own) < pysynth.score(model_path, noise)


def test_score_batches_many_clips_consistently(model_path):
    rng = np.random.default_rng(3)
    clips = (0.3 * rng.standard_normal((70, 30))).astype(np.float32)  # > one engine batch
    together = pysynth.score(model_path, clips, per_clip=True)
    alone = [pysynth.score(model_path, clips[i]) for i in (0, 63, 64, 69)]
    np.testing.assert_allclose(together[[0, 63, 64, 69]], alone, rtol=1e-6)


def test_clip_paths_expands_folders_and_skips_hidden_files(tmp_path, sine):
    folder = tmp_path / "gen"
    for name in ("b.wav", "a.wav", "sub/c.flac", ".x.wav.partial.wav", ".hidden/d.wav"):
        pysynth.audio.save(folder / name, sine(sr=8000, seconds=0.01), 8000)
    (folder / "notes.txt").write_text("not audio")
    assert [p.relative_to(folder).as_posix() for p in clip_paths(folder)] == [
        "a.wav", "b.wav", "sub/c.flac"]
    assert clip_paths(folder / "a.wav") == [folder / "a.wav"]
    with pytest.raises(AudioFileError, match="no such file or folder"):
        clip_paths(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioFileError, match="holds no audio files"):
        clip_paths(tmp_path / "empty")


@pytest.mark.parametrize(
    ("audio", "match"),
    [
        (np.zeros((2, 2, 2), np.float32), "audio must be 1-D or"),
        (3.0, "audio must be an array"),
        ([], "no audio to score"),
        (np.zeros(0, np.float32), "clip 0 is empty"),
    ],
)
def test_score_rejects_bad_audio(model_path, audio, match):
    with pytest.raises(ParameterError, match=match):
        pysynth.score(model_path, audio)


def _folder_with_a_text_file(root, sine):
    root.mkdir()
    for i, f in enumerate((220.0, 330.0)):
        pysynth.audio.save(root / f"c{i}.wav", sine(f, sr=8000, seconds=0.05), 8000)
    (root / "notes.wav").write_text("a text file named .wav\n")
    return root


def test_cli_score_skips_an_unreadable_file_and_scores_the_rest(model_path, tmp_path, sine,
                                                               capsys):
    from pysynth.cli import main

    root = _folder_with_a_text_file(tmp_path / "gen", sine)
    assert main(["score", str(model_path), str(root), "-v"]) == 0
    out, err = capsys.readouterr()
    assert f"pysynth score: warning: skipping {root / 'notes.wav'}: not a readable audio " \
           "file (" in err
    lines = out.strip().splitlines()
    assert [line.split()[-1] for line in lines[:2]] == [str(root / "c0.wav"), str(root / "c1.wav")]
    want = pysynth.score(model_path, [root / "c0.wav", root / "c1.wav"])
    assert lines[-1] == f"{want:.4f} bits/sample over 2 clips"
    assert re.search(r"score: 100%.*2/2", err)  # the progress bar, on stderr


def test_cli_score_fails_only_when_nothing_could_be_read(model_path, tmp_path, capsys):
    from pysynth.cli import main

    root = tmp_path / "bad"
    root.mkdir()
    (root / "a.wav").write_text("not audio")
    (root / "b.wav").write_bytes(b"")
    assert main(["score", str(model_path), str(root), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"skipping {root / 'b.wav'}: file is empty" in err
    assert "pysynth score: error: none of the 2 audio files could be read" in err
