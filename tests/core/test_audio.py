"""Audio I/O and quantization against known values and round trips."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from pysynth import audio, files
from pysynth.errors import AudioFileError, ParameterError


def sine(freq=440.0, sr=16000, seconds=0.5, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spec) * sr / len(y)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT", "PCM_U8"])
def test_load_wav_subtypes(tmp_path, subtype):
    y = sine()
    path = tmp_path / f"x_{subtype}.wav"
    sf.write(path, y, 16000, subtype=subtype)
    z, sr = audio.load(path)
    assert sr == 16000
    assert z.dtype == np.float32
    tol = 1e-2 if subtype == "PCM_U8" else 1e-4
    np.testing.assert_allclose(z, y, atol=tol)


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_load_compressed_formats(tmp_path, fmt):
    y = sine(freq=1000.0)
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, y, 16000, format=fmt)
    z, sr = audio.load(path)
    assert sr == 16000
    assert abs(dominant_freq(z, sr) - 1000.0) < 5.0


def test_stereo_mixdown_is_channel_mean(tmp_path):
    left, right = sine(440.0), sine(880.0, amp=0.25)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    z, _ = audio.load(path)
    np.testing.assert_allclose(z, (left + right) / 2, atol=1e-6)
    both, _ = audio.load(path, mono=False)
    assert both.shape == (2, len(left))


@pytest.mark.parametrize(("orig", "target"), [(8000, 16000), (48000, 16000), (44100, 22050)])
def test_resampling_keeps_frequency_and_duration(tmp_path, orig, target):
    y = sine(1000.0, sr=orig, seconds=1.0)
    path = tmp_path / "x.wav"
    sf.write(path, y, orig, subtype="FLOAT")
    z, sr = audio.load(path, sr=target)
    assert sr == target
    assert abs(len(z) - target) <= 2
    assert abs(dominant_freq(z, sr) - 1000.0) < 3.0


def test_offset_and_duration(tmp_path):
    y = np.arange(16000, dtype=np.float32) / 16000
    path = tmp_path / "ramp.wav"
    sf.write(path, y, 16000, subtype="FLOAT")
    z, _ = audio.load(path, offset=0.25, duration=0.5)
    assert len(z) == 8000
    assert z[0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "empty"), (b"this is not audio at all, just text\n", "not a readable audio"),
     (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable audio")],
)
def test_bad_files_raise_naming_the_file(tmp_path, content, match):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match=match) as info:
        audio.load(path)
    assert "bad.wav" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        audio.load(tmp_path / "nope.wav")


def test_save_is_atomic_and_roundtrips(tmp_path):
    y = sine()
    path = tmp_path / "out" / "a.wav"
    audio.save(path, y, 16000, subtype="FLOAT")
    z, sr = audio.load(path)
    np.testing.assert_array_equal(z, y)
    assert sr == 16000
    assert [p.name for p in path.parent.iterdir()] == ["a.wav"]  # no temp files left


def test_save_refuses_nan_and_leaves_old_file(tmp_path):
    path = tmp_path / "a.wav"
    audio.save(path, sine(), 16000)
    before = path.read_bytes()
    bad = sine()
    bad[10] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        audio.save(path, bad, 16000)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a.wav"]


def test_bad_sample_rate():
    with pytest.raises(ParameterError, match="sr"):
        audio.resample(sine(), orig_sr=16000, target_sr=-5)


# ---- quantization ----------------------------------------------------------------------


def test_mu_law_known_values():
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(audio.mu_law_encode(x, 256), [0, 128, 255])
    # f(0.5) = ln(1 + 255*0.5)/ln(256) = 0.8756...; q = floor(0.9378*255 + 0.5) = 239
    assert audio.mu_law_encode(np.array([0.5]), 256)[0] == 239
    np.testing.assert_allclose(audio.mu_law_decode(np.array([0, 255]), 256), [-1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("levels", [256, 1024, 65536])
def test_mu_law_roundtrip_error_is_small_near_zero(levels):
    x = np.linspace(-1, 1, 10001)
    q = audio.mu_law_encode(x, levels)
    assert q.min() == 0
    assert q.max() == levels - 1
    y = audio.mu_law_decode(q, levels)
    mu = levels - 1
    # the quantization step of the companded signal is 2/mu; in x it grows with |x|
    step = (1 + mu * np.abs(x)) * np.log1p(mu) / mu * (2 / mu)
    assert np.all(np.abs(y - x) <= step + 1e-6)
    # indices are fixed points of decode -> encode
    idx = np.arange(levels)
    np.testing.assert_array_equal(audio.mu_law_encode(audio.mu_law_decode(idx, levels), levels), idx)


def test_linear_quantization_known_values_and_roundtrip():
    np.testing.assert_array_equal(audio.linear_encode(np.array([-1.0, 0.0, 1.0]), 256), [0, 128, 255])
    idx = np.arange(256)
    np.testing.assert_array_equal(audio.linear_encode(audio.linear_decode(idx, 256), 256), idx)
    np.testing.assert_allclose(audio.linear_decode(np.array([0, 255]), 256), [-1.0, 1.0])


def test_quantize_clips_out_of_range_and_rejects_unknown_kind():
    assert audio.quantize(np.array([5.0]), 256, "mu-law")[0] == 255
    assert audio.quantize(np.array([-5.0]), 256, "linear")[0] == 0
    with pytest.raises(ParameterError, match="quantization"):
        audio.quantize(np.zeros(3), 256, "alaw")
    with pytest.raises(ParameterError, match="levels"):
        audio.quantize(np.zeros(3), 1)


def test_level_table_matches_dequantize():
    t = audio.level_table(256, "mu-law")
    assert t.shape == (256,)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t[[3, 100, 200]], audio.mu_law_decode(np.array([3, 100, 200])))
    assert np.all(np.diff(t) > 0)


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        audio.save(tmp_path / "a.wav", sine(), 16000)
        files.atomic_write_bytes(tmp_path / "b.bin", b"x")
    finally:
        os.umask(mask)
    assert (tmp_path / "a.wav").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.bin").stat().st_mode & 0o777 == 0o644


def test_writing_onto_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ParameterError, match="is a folder"):
        audio.save(tmp_path / "taken", sine(), 16000)
    with pytest.raises(ParameterError, match="is a folder"):
        files.atomic_write_bytes(tmp_path / "taken", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no temporaries left


@pytest.mark.parametrize(("levels", "kind"), [(256, "mu-law"), (65536, "linear"), (1024, "mu-law")])
def test_silence_is_a_level_that_decodes_to_exact_zero(levels, kind):
    from pysynth.emphasis import deemphasize, preemphasize

    # silence (the tail of a one-shot) quantizes to the middle level, which decodes to 0:
    # no DC offset for a de-emphasis filter (DC gain 12.3 at 0.85) to lift to -60 dBFS
    q = audio.quantize(np.zeros(50), levels, kind)
    assert (q == levels // 2).all()
    assert (audio.dequantize(q, levels, kind) == 0).all()
    # a decaying tone that ends in silence, as generated: after de-emphasis the tail is exact 0
    t = np.arange(400) / 8000
    x = np.where(t < 0.02, 0.5 * np.exp(-t / 0.005) * np.sin(2 * np.pi * 300 * t), 0.0)
    q = audio.quantize(preemphasize(x, 0.85), levels, kind)
    y, _ = deemphasize(audio.dequantize(q, levels, kind), 0.85)
    assert q[-200:].tolist() == [levels // 2] * 200
    # the filters' float round-off around 0 does not move silence to a neighbouring level
    again = audio.quantize(preemphasize(y, 0.85), levels, kind)
    np.testing.assert_array_equal(again[200:], q[200:])
    assert np.abs(y[-100:]).max() < 1e-3 * np.abs(y).max()
    # the levels next to silence still decode to their own values, and every level round-trips
    mid = levels // 2
    below, above = audio.dequantize(np.array([mid - 1, mid + 1]), levels, kind)
    assert below < 0 < above
    idx = np.arange(levels)
    np.testing.assert_array_equal(audio.quantize(audio.dequantize(idx, levels, kind), levels, kind), idx)
