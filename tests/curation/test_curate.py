"""End to end: a messy folder built here, curated; where every file lands and why."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil

import numpy as np
import pytest
import soundfile as sf

import pysynth
from pysynth.dataset import Dataset, audio_checksum, read_manifest, read_rejects
from pysynth.errors import DatasetError, ParameterError

SR = 16000


def _chirp(f0, f1, seconds, sr, amp=0.4):
    t = np.arange(round(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * (f0 + (f1 - f0) * t / (2 * seconds)) * t)).astype(np.float32)


# What each bad or good file becomes: ("kept", label) or ("rejected", reason).
EXPECTED = {
    "bad/zero.wav": ("rejected", "empty"),
    "bad/truncated_header.wav": ("rejected", "undecodable"),
    "bad/text.wav": ("rejected", "undecodable"),
    "bad/nan_float.wav": ("rejected", "non_finite"),
    "bad/silence.wav": ("rejected", "silent"),
    "bad/near_silent.wav": ("rejected", "silent"),
    "bad/clipped.wav": ("rejected", "clipped"),
    "bad/blip.wav": ("rejected", "too_short"),
    "good/pcm8.wav": ("kept", "good"),
    "good/pcm16.wav": ("kept", "good"),
    "good/pcm24.wav": ("kept", "good"),
    "good/float32.wav": ("kept", "good"),
    "good/stereo.wav": ("kept", "good"),
    "good/sr8k.wav": ("kept", "good"),
    "good/sr48k.flac": ("kept", "good"),
    "good/sr48k.wav": ("kept", "good"),
    "good/oneshot.wav": ("kept", "good"),
    "good/sub/deep.wav": ("kept", "good/sub"),
    "repeats/pcm16_copy.wav": ("rejected", "duplicate"),
    "repeats/float32_noisy.wav": ("rejected", "near_duplicate"),
    "top.wav": ("kept", ""),
}


def build_messy_folder(root, sine):
    """Every bad case of the issue, next to good files of every format, in ``root``."""
    rng = np.random.default_rng(1)
    for d in ("bad", "good/sub", "repeats"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "bad/zero.wav").write_bytes(b"")
    sf.write(root / "tmp.wav", sine(300, seconds=1.0), SR, subtype="PCM_16")
    (root / "bad/truncated_header.wav").write_bytes((root / "tmp.wav").read_bytes()[:30])
    (root / "tmp.wav").unlink()
    (root / "bad/text.wav").write_text("this is not audio, just a text file named .wav\n")
    y = sine(500, seconds=1.5)
    y[1000:1010] = np.nan
    sf.write(root / "bad/nan_float.wav", y, SR, subtype="FLOAT")
    sf.write(root / "bad/silence.wav", np.zeros(2 * SR, np.float32), SR, subtype="PCM_16")
    sf.write(root / "bad/near_silent.wav",
             (3e-4 * rng.standard_normal(2 * SR)).astype(np.float32), SR, subtype="PCM_16")
    sf.write(root / "bad/clipped.wav", np.clip(4 * sine(700, seconds=1.5), -1, 1), SR,
             subtype="PCM_16")
    sf.write(root / "bad/blip.wav", sine(1000, seconds=0.02), SR, subtype="PCM_16")

    sf.write(root / "good/pcm8.wav", sine(150, seconds=1.5), SR, subtype="PCM_U8")
    sf.write(root / "good/pcm16.wav", _chirp(200, 1800, 2.2, SR), SR, subtype="PCM_16")
    sf.write(root / "good/pcm24.wav", sine(650, seconds=1.5), SR, subtype="PCM_24")
    sf.write(root / "good/float32.wav", _chirp(2500, 600, 1.5, SR), SR, subtype="FLOAT")
    stereo = np.stack([sine(1000, seconds=1.5), sine(1000, seconds=1.5, amp=0.2)], axis=1)
    sf.write(root / "good/stereo.wav", stereo, SR, subtype="PCM_16")
    sf.write(root / "good/sr8k.wav", sine(250, seconds=1.5, sr=8000), 8000, subtype="PCM_16")
    sf.write(root / "good/sr48k.flac", sine(4000, seconds=1.5, sr=48000), 48000, subtype="PCM_24")
    sf.write(root / "good/sr48k.wav", sine(2600, seconds=1.5, sr=48000), 48000, subtype="PCM_16")
    sf.write(root / "good/oneshot.wav", _chirp(3000, 400, 0.3, SR), SR, subtype="PCM_16")
    sf.write(root / "good/sub/deep.wav", sine(1600, seconds=1.2), SR, subtype="PCM_16")
    shutil.copyfile(root / "good/pcm16.wav", root / "repeats/pcm16_copy.wav")
    noisy = _chirp(2500, 600, 1.5, SR) + (1e-3 * rng.standard_normal(round(1.5 * SR)))
    sf.write(root / "repeats/float32_noisy.wav", noisy.astype(np.float32), SR, subtype="FLOAT")
    sf.write(root / "top.wav", sine(400, seconds=1.0) * np.hanning(SR).astype(np.float32), SR)
    (root / "notes.txt").write_text("not an audio extension: ignored\n")
    return root


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def messy(tmp_path_factory, sine):
    return build_messy_folder(tmp_path_factory.mktemp("messy"), sine)


@pytest.fixture(scope="module")
def curated(messy, tmp_path_factory):
    before = _digest(messy)
    out = tmp_path_factory.mktemp("out") / "dataset"
    summary = pysynth.curate([messy], out, progress=False)
    return out, summary, before


def test_every_file_lands_in_exactly_one_place_with_the_right_reason(messy, curated):
    out, summary, _ = curated
    clips = read_manifest(out / "manifest.jsonl")
    rejects = read_rejects(out / "rejects.jsonl")
    file_rejects = {r["source"]: r for r in rejects if r["kind"] == "file"}
    kept = {c.source for c in clips}
    assert not kept & set(file_rejects)
    landed = {}
    for src in kept:
        labels = {c.label for c in clips if c.source == src}
        assert len(labels) == 1
        landed[os.path.relpath(src, messy.as_posix())] = ("kept", labels.pop())
    for src, r in file_rejects.items():
        landed[os.path.relpath(src, messy.as_posix())] = ("rejected", r["reason"])
    assert landed == EXPECTED
    assert summary.files == len(EXPECTED)
    assert summary.files_kept + summary.files_rejected == summary.files
    assert summary.rejects == {"empty": 1, "undecodable": 2, "non_finite": 1, "silent": 2,
                               "clipped": 1, "too_short": 1, "duplicate": 1,
                               "near_duplicate": 1}


def test_reject_lines_say_why(messy, curated):
    out, _, _ = curated
    rejects = {os.path.relpath(r["source"], messy.as_posix()): r
               for r in read_rejects(out / "rejects.jsonl") if r["kind"] == "file"}
    assert "0 bytes" in rejects["bad/zero.wav"]["detail"]
    assert "NaN" in rejects["bad/nan_float.wav"]["detail"]
    assert "0.062 s" in rejects["bad/nan_float.wav"]["detail"]  # where the first NaN is
    assert "%" in rejects["bad/clipped.wav"]["detail"]
    clip_ids = {c.id: c for c in read_manifest(out / "manifest.jsonl")}
    dup = rejects["repeats/pcm16_copy.wav"]
    assert clip_ids[dup["matched"]].source.endswith("good/pcm16.wav")
    near = rejects["repeats/float32_noisy.wav"]
    assert clip_ids[near["matched"]].source.endswith("good/float32.wav")
    assert 0 < near["distance"] <= 0.003


def test_clips_are_mono_16k_and_match_their_checksums(curated):
    out, _, _ = curated
    ds = Dataset.open(out)
    assert ds.sample_rate == SR
    assert ds.clip_seconds == 1.0
    for clip in ds.clips():
        info = sf.info(str(ds.path(clip)))
        assert (info.samplerate, info.channels, info.frames) == (SR, 1, SR)
        y = ds.load(clip)
        assert audio_checksum(y) == clip.checksum
        assert np.max(np.abs(y)) == pytest.approx(10 ** (-1 / 20), abs=2e-3)  # peak -1 dBFS
    by_source = {}
    for c in ds.clips():
        by_source.setdefault(c.source.rsplit("/", 1)[-1], []).append(c)
    assert len(by_source["pcm16.wav"]) == 2  # 2.2 s cut into 1 s clips, remainder dropped
    assert [c.offset for c in by_source["pcm16.wav"]] == [0.0, 1.0]
    assert len(by_source["oneshot.wav"]) == 1  # 0.3 s padded to one clip
    assert len(by_source["sr48k.flac"]) == 1


def test_resampled_clip_keeps_its_pitch(curated):
    out, _, _ = curated
    ds = Dataset.open(out)
    for name, freq in (("sr8k.wav", 250), ("sr48k.flac", 4000), ("sr48k.wav", 2600),
                       ("stereo.wav", 1000)):
        (clip,) = [c for c in ds.clips() if c.source.endswith(name)]
        spectrum = np.abs(np.fft.rfft(ds.load(clip)))
        assert np.argmax(spectrum) == pytest.approx(freq, abs=2)  # 1 Hz bins for 1 s clips


def test_inputs_are_not_modified(messy, curated):
    _, _, before = curated
    assert _digest(messy) == before


def test_summary_reports_durations_per_split(curated):
    out, summary, _ = curated
    ds = Dataset.open(out)
    for split in ("train", "validation", "test"):
        assert summary.seconds[split] == pytest.approx(ds.duration(split))
        assert summary.clips_per_split[split] == len(ds.clips(split))
    assert summary.clips == len(ds)
    assert summary.files_per_split["validation"] >= 1
    assert summary.files_per_split["test"] >= 1
    text = str(summary)
    assert "rejected files" in text
    assert "validation" in text


def test_split_is_by_source_file(curated):
    out, _, _ = curated
    split_of = {}
    for c in Dataset.open(out).clips():
        assert split_of.setdefault(c.source, c.split) == c.split


def test_rerun_is_idempotent_and_recovers_from_interruption(messy, curated, tmp_path):
    out, _, _ = curated
    copy = tmp_path / "ds"
    shutil.copytree(out, copy)
    reference = _digest(copy)
    pysynth.curate([messy], copy, progress=False)
    assert _digest(copy) == reference
    # an interrupted run: manifest gone, some clips missing, a temporary left behind
    (copy / "manifest.jsonl").unlink()
    for p in sorted((copy / "clips").iterdir())[:3]:
        p.unlink()
    (copy / "clips" / ".x.wav.123.tmp.wav").write_bytes(b"partial")
    (copy / "clips" / "stale-0000000000-00000.wav").write_bytes(b"old clip")
    pysynth.curate([messy], copy, progress=False)
    assert _digest(copy) == reference


def test_two_workers_give_the_same_dataset(messy, curated, tmp_path):
    out, _, _ = curated
    pysynth.curate([messy], tmp_path / "w2", workers=2, progress=False)
    assert _digest(tmp_path / "w2") == _digest(out)


def test_near_threshold_none_keeps_the_noisy_copy(messy, tmp_path):
    summary = pysynth.curate([messy / "good", messy / "repeats"], tmp_path / "ds",
                             near_threshold=None, progress=False)
    assert summary.rejects == {"duplicate": 1}
    sources = {c.source for c in Dataset.open(tmp_path / "ds").clips()}
    assert any(s.endswith("float32_noisy.wav") for s in sources)


def test_output_folder_rules(messy, tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "precious.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="not a pysynth dataset"):
        pysynth.curate([messy / "good"], tmp_path / "stuff", progress=False)
    assert (tmp_path / "stuff" / "precious.txt").read_text() == "keep me"
    with pytest.raises(ParameterError, match="no such file or folder"):
        pysynth.curate([tmp_path / "missing"], tmp_path / "ds", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="no audio files"):
        pysynth.curate([tmp_path / "empty"], tmp_path / "ds", progress=False)
    with pytest.raises(ParameterError, match="workers"):
        pysynth.curate([messy / "good"], tmp_path / "ds", workers=0, progress=False)


def test_output_inside_the_source_folder_is_not_curated_again(sine, tmp_path):
    sf.write(tmp_path / "a.wav", sine(440, seconds=2.0), SR)
    first = pysynth.curate([tmp_path], tmp_path / "ds", progress=False)
    second = pysynth.curate([tmp_path], tmp_path / "ds", progress=False)
    assert first.files == second.files == 1
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["sample_rate"] == SR


def test_one_long_recording_among_one_shots_splits_by_duration(tmp_path, sine):
    # The folder in small: 60 one-shots (0.3 to 1.5 s) and one 40 s session. Split
    # by file count the session dragged a split far off; split by duration every split
    # holds its fraction of the audio within 5 points, and the summary says so in percent.
    rng = np.random.default_rng(0)
    (tmp_path / "in/shots").mkdir(parents=True)
    for i, seconds in enumerate(rng.uniform(0.3, 1.5, size=60)):
        sf.write(tmp_path / f"in/shots/s{i:02d}.wav", sine(200 + 20 * i, seconds=seconds), SR)
    sf.write(tmp_path / "in/session.wav", sine(330, seconds=40.0), SR)
    summary = pysynth.curate([tmp_path / "in"], tmp_path / "out", clip_seconds=None,
                             progress=False, dedupe=False)
    total = sum(summary.seconds.values())
    shares = [summary.seconds[k] / total for k in ("train", "validation", "test")]
    assert shares == pytest.approx([0.8, 0.1, 0.1], abs=0.05)
    text = str(summary)
    for k, share in zip(("train", "validation", "test"), shares):
        assert f"{100 * share:5.1f} %" in text.split(f"  {k}")[1].splitlines()[0]
    # the session holds most of train: the summary names it
    assert summary.largest["train"][0] == [str(tmp_path / "in/session.wav"), 40.0]
    assert "largest: " + str(tmp_path / "in/session.wav") + " (40.0 s)" in text
    assert not re.search(r"\b1 (files|clips)", text)
