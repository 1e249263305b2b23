"""Per-clip features (pysynth.mapping.features): known answers on synthetic signals, and the cache."""

from __future__ import annotations

import numpy as np
import pytest

from pysynth.dataset import Dataset
from pysynth.errors import ParameterError
from pysynth.mapping.features import (
    CACHE_FILE,
    FEATURE_NAMES,
    GROUP_NAMES,
    GROUPS,
    clip_features,
    columns,
    dataset_features,
    parse_groups,
)


def feat(f, name):
    return float(f[FEATURE_NAMES.index(name)])


@pytest.mark.parametrize("sr", [8000, 16000, 22050])
@pytest.mark.parametrize("freq", [440.0, 1500.0])
def test_sine_centroid_rolloff_and_rms(sine, sr, freq):
    f = clip_features(sine(freq, sr=sr), sr)
    assert f.shape == (len(FEATURE_NAMES),)
    assert feat(f, "centroid_mean") == pytest.approx(freq, rel=0.05)
    assert feat(f, "rolloff_mean") == pytest.approx(freq, rel=0.1)
    # RMS of a sine of amplitude a is a / sqrt(2) (edge frames are padded, hence the slack)
    assert feat(f, "rms_mean") == pytest.approx(0.5 / np.sqrt(2), rel=0.1)
    # a sine crosses zero twice per period
    assert feat(f, "zcr_mean") == pytest.approx(2 * freq / sr, rel=0.1)


def test_noise_is_flatter_brighter_and_crosses_more_than_a_tone(sine):
    sr = 16000
    tone = clip_features(sine(300, sr=sr), sr)
    noise = clip_features(0.3 * np.random.default_rng(0).normal(size=8000), sr)
    assert feat(noise, "flatness_mean") > 50 * feat(tone, "flatness_mean")
    assert feat(noise, "centroid_mean") > 5 * feat(tone, "centroid_mean")
    assert feat(noise, "zcr_mean") > 5 * feat(tone, "zcr_mean")


def test_chirp_has_rising_spread_and_louder_clip_has_higher_rms(sine):
    sr = 16000
    t = np.arange(sr) / sr
    chirp = (0.5 * np.sin(2 * np.pi * (200 * t + 2000 * t**2))).astype(np.float32)
    f_chirp = clip_features(chirp, sr)
    f_tone = clip_features(sine(1000, sr=sr, seconds=1.0), sr)
    assert feat(f_chirp, "centroid_std") > 10 * feat(f_tone, "centroid_std")
    quiet = clip_features(sine(1000, sr=sr, seconds=1.0, amp=0.05), sr)
    assert feat(quiet, "rms_db_max") == pytest.approx(feat(f_tone, "rms_db_max") - 20, abs=0.5)


@pytest.mark.parametrize("n", [0, 1, 100, 2047])
def test_silence_and_very_short_clips_give_finite_vectors(n):
    f = clip_features(np.zeros(n, dtype=np.float32), 16000)
    assert f.shape == (len(FEATURE_NAMES),)
    assert np.all(np.isfinite(f))


def test_stereo_input_is_rejected():
    with pytest.raises(ParameterError, match="mono"):
        clip_features(np.zeros((2, 1000), dtype=np.float32), 16000)


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, list(GROUPS)), ("all", list(GROUPS)), ("rms,mfcc", ["mfcc", "rms"]),
     (["ZCR", "logmel"], ["zcr", "logmel"]), ("spectral", ["spectral"])],
)
def test_parse_groups(given, expected):
    assert parse_groups(given) == expected


@pytest.mark.parametrize("bad", ["mfcc,chroma", "", [], ["tempo"]])
def test_parse_groups_rejects_unknown_or_empty(bad):
    with pytest.raises(ParameterError, match="features"):
        parse_groups(bad)


def test_columns_select_exactly_the_group_names():
    cols = columns(["rms", "zcr"])
    assert [FEATURE_NAMES[c] for c in cols] == GROUP_NAMES["rms"] + GROUP_NAMES["zcr"]


def _dataset(dataset_of, root, ys, sr=16000):
    return Dataset.open(dataset_of(root, [(f"c{i}", y, "train", None) for i, y in enumerate(ys)],
                                   sr=sr))


class CountingLoads:
    def __init__(self, ds):
        self.ds, self.loaded = ds, []
        self._load = ds.load
        ds.load = self

    def __call__(self, clip):
        self.loaded.append(clip.id)
        return self._load(clip)


def test_cache_is_reused_and_invalidated_per_clip(tmp_path, sine, dataset_of):
    ys = [sine(f, sr=16000) for f in (300, 600, 900)]
    ds = _dataset(dataset_of, tmp_path, ys)
    first = dataset_features(ds)
    assert (tmp_path / CACHE_FILE).is_file()
    assert first.ids == ["c0", "c1", "c2"]
    assert feat(first.values[1], "centroid_mean") == pytest.approx(600, rel=0.05)

    ds = Dataset.open(tmp_path)
    counter = CountingLoads(ds)
    again = dataset_features(ds)
    assert counter.loaded == []  # everything came from the cache
    np.testing.assert_array_equal(again.values, first.values)

    # replace one clip (new audio, new checksum): only that clip is recomputed
    ys[1] = sine(2000, sr=16000)
    _dataset(dataset_of, tmp_path, ys)
    ds = Dataset.open(tmp_path)
    counter = CountingLoads(ds)
    changed = dataset_features(ds)
    assert counter.loaded == ["c1"]
    assert feat(changed.values[1], "centroid_mean") == pytest.approx(2000, rel=0.05)
    np.testing.assert_array_equal(changed.values[[0, 2]], first.values[[0, 2]])


def test_corrupt_cache_is_recomputed_and_cache_false_skips_it(tmp_path, sine, dataset_of):
    ds = _dataset(dataset_of, tmp_path, [sine(300, sr=16000), sine(800, sr=16000)])
    (tmp_path / CACHE_FILE).parent.mkdir()
    (tmp_path / CACHE_FILE).write_bytes(b"not an npz file")
    table = dataset_features(ds)
    assert feat(table.values[1], "centroid_mean") == pytest.approx(800, rel=0.05)
    counter = CountingLoads(Dataset.open(tmp_path))
    dataset_features(counter.ds, cache=False)
    assert counter.loaded == ["c0", "c1"]
