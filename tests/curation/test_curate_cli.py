"""`pysynth curate` on the command line, recipes from files, and long inputs in blocks."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

import pysynth
from pysynth.cli import main
from pysynth.dataset import Dataset, read_rejects

SR = 16000


@pytest.fixture
def sounds(tmp_path, sine):
    src = tmp_path / "sounds"
    (src / "drums").mkdir(parents=True)
    (src / "keys").mkdir()
    for i, f in enumerate((200, 330, 520, 800)):
        sf.write(src / "drums" / f"d{i}.wav", sine(f, seconds=2.0, sr=44100), 44100)
        sf.write(src / "keys" / f"k{i}.wav", sine(f * 2.7, seconds=1.5, sr=22050), 22050)
    (src / "keys" / "broken.wav").write_bytes(b"RIFF")
    return src


def test_cli_curates_and_prints_a_summary(sounds, tmp_path, capsys):
    out = tmp_path / "ds"
    rc = main(["curate", str(sounds), "-o", str(out), "--clip-seconds", "0.5",
               "--split", "0.5,0.25,0.25", "--seed", "3", "-q"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "curated 9 files" in text
    assert "undecodable 1" in text
    ds = Dataset.open(out)
    assert ds.clip_seconds == 0.5
    assert ds.labels() == ["drums", "keys"]
    assert {c.split for c in ds.clips()} == {"train", "validation", "test"}
    assert len(ds.clips()) == 4 * 4 + 4 * 3


def test_cli_json_summary_and_options(sounds, tmp_path, capsys):
    out = tmp_path / "ds"
    rc = main(["curate", str(sounds / "drums"), "-o", str(out), "--clip-seconds", "none",
               "--normalize", "loudness", "--no-dedupe", "--sr", "8000", "--json", "-q",
               "--workers", "2"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["clips"] == 4
    ds = Dataset.open(out)
    assert ds.sample_rate == 8000
    assert ds.clip_seconds is None
    for clip in ds.clips():
        y = ds.load(clip)
        assert clip.duration == pytest.approx(2.0, abs=0.02)  # whole recordings
        assert 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2))) == pytest.approx(
            -20, abs=0.1)
    steps = [s["curator"] for s in ds.info["steps"]]
    assert steps == ["decode", "reject", "trim", "normalize", "reject", "split"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--split", "0.5,0.5"], "three comma-separated"),
        (["--split", "0.6,0.6,0.1"], "sum to 1"),
        (["--workers", "0"], "--workers"),
        (["--sr", "50"], "sr must be"),
        (["--hop-seconds", "-1"], "hop_seconds"),
    ],
)
def test_cli_bad_arguments_fail_with_one_line(sounds, tmp_path, capsys, argv, message):
    try:
        rc = main(["curate", str(sounds), "-o", str(tmp_path / "ds"), "-q", *argv])
    except SystemExit as exc:  # argparse type errors exit 2
        rc = exc.code
    assert rc != 0
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "ds" / "manifest.jsonl").exists()


def test_cli_recipe_file(sounds, tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "steps:\n"
        "  - decode: {sr: 8000}\n"
        "  - normalize: {mode: peak, target_db: -6}\n"
        "  - cut: {clip_seconds: 0.25, hop_seconds: 0.125, short: drop}\n"
        "  - reject\n"
        "  - split: {fractions: [1.0, 0.0, 0.0]}\n")
    rc = main(["curate", str(sounds / "keys"), "-o", str(tmp_path / "ds"), "--recipe",
               str(recipe), "-q"])
    assert rc == 0
    ds = Dataset.open(tmp_path / "ds")
    assert ds.sample_rate == 8000
    assert {c.split for c in ds.clips()} == {"train"}
    assert len(ds.clips()) == 4 * 11  # 1.5 s, 0.25 s clips every 0.125 s
    assert np.max(np.abs(ds.load(ds.clips()[0]))) == pytest.approx(10 ** (-6 / 20), abs=1e-3)
    bad = tmp_path / "bad.json"
    bad.write_text('["decode", {"trim": {"top_db": 30}}]')
    rc = main(["curate", str(sounds), "-o", str(tmp_path / "ds2"), "--recipe", str(bad), "-q"])
    assert rc == 1
    assert "has no parameter top_db" in capsys.readouterr().err


def test_long_input_is_processed_in_blocks_with_bounded_memory(sine, tmp_path):
    """A 2-minute file at 48 kHz stereo: peak traced memory stays far below its decoded size."""
    sr, seconds = 48000, 120
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", sr, 2, subtype="PCM_16") as f:
        for k in range(seconds // 10):
            block = sine(300 + 10 * k, seconds=10.0, sr=sr, amp=0.4)
            f.write(np.stack([block, block], axis=1))
    decoded_bytes = sr * seconds * 2 * 4  # float32 stereo: ~46 MB
    tracemalloc.start()
    try:
        summary = pysynth.curate([path], tmp_path / "ds", block_seconds=10.0, normalize=None,
                                 dedupe=False, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.clips == seconds  # 1 s clips, none lost at block seams
    assert peak < decoded_bytes / 8
    assert read_rejects(tmp_path / "ds" / "rejects.jsonl") == []
