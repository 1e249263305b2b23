"""The dataset layout: write, open, read back; clear errors on broken datasets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pysynth.audio import save
from pysynth.dataset import (
    Clip,
    Dataset,
    audio_checksum,
    read_manifest,
    write_dataset,
)
from pysynth.errors import DatasetError, ParameterError

SR = 8000


def _make(root, n=3):
    clips = []
    t = np.arange(SR // 2) / SR
    for i in range(n):
        y = (0.5 * np.sin(2 * np.pi * (220 + 110 * i) * t)).astype(np.float32)
        save(root / "clips" / f"c{i}.wav", y, SR, subtype="FLOAT")
        split = ("train", "validation", "test")[i % 3]
        clips.append(Clip(f"c{i}", f"clips/c{i}.wav", f"src{i}.wav", 0.0, 0.5, split,
                          audio_checksum(y), label="drums" if i else "keys"))
    write_dataset(root, clips, {"sample_rate": SR, "clip_seconds": 0.5},
                  rejects=[{"source": "bad.wav", "reason": "undecodable"}])
    return clips


def test_round_trip(tmp_path):
    clips = _make(tmp_path)
    ds = Dataset.open(tmp_path)
    assert ds.sample_rate == SR
    assert ds.clip_seconds == 0.5
    assert ds.info["format"] == "pysynth-dataset"
    assert ds.clips() == clips
    assert [c.id for c in ds.clips("validation")] == ["c1"]
    y = ds.load(ds.clips()[2])
    assert y.dtype == np.float32
    assert y.shape == (SR // 2,)
    assert audio_checksum(y) == clips[2].checksum
    assert ds.labels() == ["drums", "keys"]
    assert ds.rejects() == [{"source": "bad.wav", "reason": "undecodable"}]
    assert ds.duration() == pytest.approx(1.5)
    assert ds.path(clips[0]) == tmp_path / "clips" / "c0.wav"


def test_unknown_keys_survive_round_trip(tmp_path):
    _make(tmp_path, n=1)
    line = json.loads((tmp_path / "manifest.jsonl").read_text())
    line["gain_db"] = -3.0
    (tmp_path / "manifest.jsonl").write_text(json.dumps(line) + "\n")
    (clip,) = read_manifest(tmp_path / "manifest.jsonl")
    assert clip.extra == {"gain_db": -3.0}
    assert clip.to_dict()["gain_db"] == -3.0


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("missing", "no such dataset"),
        ("no_info", "not a pysynth dataset"),
        ("no_manifest", "no manifest.jsonl"),
        ("empty_manifest", "no clips"),
        ("bad_line", ":2: not a valid clip line"),
        ("bad_info", "not valid JSON"),
    ],
)
def test_open_broken_dataset_names_the_problem(tmp_path, breakage, message):
    root = tmp_path / "ds"
    root.mkdir()
    _make(root)
    if breakage == "missing":
        root = tmp_path / "nope"
    elif breakage == "no_info":
        (root / "dataset.json").unlink()
    elif breakage == "no_manifest":
        (root / "manifest.jsonl").unlink()
    elif breakage == "empty_manifest":
        (root / "manifest.jsonl").write_text("")
    elif breakage == "bad_line":
        lines = (root / "manifest.jsonl").read_text().splitlines()
        lines[1] = '{"id": "x"}'
        (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    elif breakage == "bad_info":
        (root / "dataset.json").write_text("{not json")
    with pytest.raises(DatasetError, match=message):
        Dataset.open(root)


def test_write_rejects_bad_clips(tmp_path):
    c = Clip("a", "clips/a.wav", "s.wav", 0.0, 1.0, "train", "sha256:0")
    with pytest.raises(ParameterError, match="duplicate clip id"):
        write_dataset(tmp_path, [c, c], {"sample_rate": SR})
    bad = Clip("b", "clips/b.wav", "s.wav", 0.0, 1.0, "dev", "sha256:0")
    with pytest.raises(ParameterError, match="split"):
        write_dataset(tmp_path, [bad], {"sample_rate": SR})
    with pytest.raises(ParameterError, match="sample_rate"):
        write_dataset(tmp_path, [c], {})
    assert not (tmp_path / "manifest.jsonl").exists()


def test_checksum_depends_on_samples_only():
    y = np.linspace(-1, 1, 100, dtype=np.float32)
    assert audio_checksum(y) == audio_checksum(y.astype(np.float64))
    z = y.copy()
    z[5] += 1e-3
    assert audio_checksum(z) != audio_checksum(y)
