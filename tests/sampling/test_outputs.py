"""Generation that does not hold a whole clip in memory: sample_to_files (WAV files written
as they grow, renamed when complete) and stream (blocks from a background thread)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import soundfile as sf

import pysynth
from pysynth.sampling import sample_to_files, stream
from pysynth.sampling.plan import Plan


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
    # the real-time factor is the measured figure: audio seconds per wall second, and for
    # a model this small the compiled engine is far faster than real time
    assert 0 < report.wall_seconds < 60
    assert math.isfinite(report.real_time_factor)
    assert report.real_time_factor == pytest.approx(report.audio_seconds / report.wall_seconds)
    assert report.real_time_factor > 1


def test_sample_to_files_refuses_a_file_as_output_folder(model_path, tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(pysynth.errors.ParameterError, match="is not a folder"):
        sample_to_files(model_path, tmp_path / "taken", n=1, seconds=0.01)


def test_interrupted_sampling_leaves_no_partial_files(model_path, tmp_path, monkeypatch):
    def fail(self, on_block, chunk):
        on_block(np.zeros((self.n, 10), np.int32), 0)
        raise KeyboardInterrupt

    monkeypatch.setattr(Plan, "run", fail)
    with pytest.raises(KeyboardInterrupt):
        sample_to_files(model_path, tmp_path / "gen", n=2, seconds=0.1)
    assert list((tmp_path / "gen").iterdir()) == []


def test_stream_yields_the_same_audio_in_blocks(model_path):
    whole = pysynth.sample(model_path, n=3, seconds=0.1, seed=6)
    blocks = list(stream(model_path, n=3, seconds=0.1, seed=6, block_seconds=0.03))
    assert [b.shape for b in blocks] == [(3, 240)] * 3 + [(3, 80)]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


def test_stream_stops_when_the_consumer_leaves(model_path):
    before = threading.active_count()
    gen = stream(model_path, n=2, seconds=3600.0, block_seconds=0.01)  # an hour of audio
    first = next(gen)
    assert first.shape == (2, 80)
    gen.close()  # must return promptly and leave no worker thread behind
    assert threading.active_count() == before


def test_stream_reraises_errors_from_the_engine(model_path, monkeypatch):
    def fail(self, on_block, chunk):
        on_block(np.zeros((self.n, 4), np.int32), 0)
        raise RuntimeError("engine failed")

    monkeypatch.setattr(Plan, "run", fail)
    gen = stream(model_path, n=2, seconds=0.1)
    assert next(gen).shape == (2, 4)
    with pytest.raises(RuntimeError, match="engine failed"):
        next(gen)


def test_stream_checks_block_seconds(model_path):
    with pytest.raises(pysynth.errors.ParameterError, match="block_seconds must be a number >= 0"):
        next(stream(model_path, n=1, seconds=0.01, block_seconds=-1))


def test_progress_bar_goes_to_stderr_and_changes_nothing(model_path, tmp_path, capsys):
    quiet = pysynth.sample(model_path, n=2, seconds=0.1, seed=1)
    np.testing.assert_array_equal(
        pysynth.sample(model_path, n=2, seconds=0.1, seed=1, progress=True), quiet)
    report = sample_to_files(model_path, tmp_path, n=2, seconds=0.1, seed=1, progress=True)
    assert len(report.paths) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "s audio" in captured.err
