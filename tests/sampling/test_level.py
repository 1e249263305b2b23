"""Generated clips levelled to the data: each clip's peak at the training clips' typical
peak, silence left silent, a bounded boost; `pysynth sample --level`."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import pysynth
from pysynth import cli
from pysynth.modelfile import load_model, save_model
from pysynth.sampling.level import MAX_GAIN_DB, data_peak_db, peak_db_of, to_peak


def test_to_peak_sets_each_clips_peak():
    t = np.arange(800) / 8000
    clips = np.stack([0.2 * np.sin(2 * np.pi * 200 * t), -0.9 * np.exp(-t / 0.01)])
    out = to_peak(clips, -1.0)
    np.testing.assert_allclose(np.abs(out).max(axis=1), 10 ** (-1 / 20), rtol=1e-6)
    # a scaling, nothing else: the shape of each clip is kept
    np.testing.assert_allclose(out[0] / out[0].max(), clips[0] / clips[0].max(), atol=1e-6)
    np.testing.assert_array_equal(to_peak(clips, None), clips.astype(np.float32))


def test_to_peak_leaves_silence_and_bounds_the_boost():
    quiet = np.full((1, 100), 1e-4)  # -80 dBFS: silence is not made loud
    np.testing.assert_array_equal(to_peak(quiet, -1.0), quiet.astype(np.float32))
    soft = np.full((1, 100), 10 ** (-50 / 20))  # 49 dB under the target: boosted 20 dB only
    got = 20 * np.log10(to_peak(soft, -1.0).max())
    assert got == pytest.approx(-50 + MAX_GAIN_DB, abs=1e-3)


def test_peak_db_of_is_the_median_of_the_clips_that_sound():
    clips = [np.array([0.5, -0.1]), np.array([0.25]), np.array([1.0]), np.zeros(10), np.array([])]
    assert peak_db_of(clips) == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert peak_db_of([np.zeros(4)]) is None


@pytest.fixture
def levelled_model(model_path, tmp_path):
    mf = load_model(model_path)
    return save_model(tmp_path / "lv.pysynth", mf.program, mf.tensors,
                      {**mf.metadata, "peak_db": -6.0})


def test_cli_sample_levels_clips_to_the_data_unless_told_not_to(levelled_model, tmp_path):
    assert data_peak_db(load_model(levelled_model)) == -6.0
    raw = pysynth.sample(levelled_model, n=3, seconds=0.05, seed=4)  # the API: as generated
    for level in ("data", "off"):
        out = tmp_path / level
        assert cli.main(["sample", str(levelled_model), "-o", str(out), "-n", "3", "--seconds",
                         "0.05", "--seed", "4", "--min-p", "0", "--level", level, "-q"]) == 0
        got = np.stack([sf.read(f, dtype="float32")[0] for f in sorted(out.glob("*.wav"))])
        want = to_peak(raw, -6.0) if level == "data" else raw
        np.testing.assert_allclose(got, want, atol=1.5 / 32767)
    assert np.abs(got).max() != pytest.approx(10 ** (-6 / 20), abs=1e-3)  # raw is not at -6


def test_candidates_are_levelled_too(levelled_model, tmp_path):
    from pysynth.sampling import sample_to_files

    report = sample_to_files(levelled_model, tmp_path / "k", n=2, seconds=0.05, candidates=2,
                             peak_db=-6.0)
    for p in report.paths:
        y, _ = sf.read(p, dtype="float32")
        assert np.abs(y).max() == pytest.approx(10 ** (-6 / 20), abs=2 / 32767)
