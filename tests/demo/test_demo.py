"""`pysynth demo --quick`: the whole loop, end to end, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pysynth.demo.output import MARKER, prepare_out
from pysynth.errors import ParameterError


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "my-precious.wav").write_bytes(b"RIFF")
    with pytest.raises(ParameterError, match="not made by `pysynth demo`"):
        prepare_out(tmp_path)
    assert (tmp_path / "my-precious.wav").read_bytes() == b"RIFF"


def test_rerun_rebuilds_only_the_demos_own_artifacts(tmp_path):
    out = tmp_path / "demo"
    prepare_out(out)
    (out / "dataset").mkdir()
    (out / "dataset" / "stale.txt").write_text("old")
    (out / "notes-by-user.txt").write_text("keep me")
    prepare_out(out)
    assert (out / MARKER).exists()
    assert not (out / "dataset").exists()
    assert (out / "notes-by-user.txt").read_text() == "keep me"


@pytest.mark.keras
def test_quick_demo_end_to_end(tmp_path):
    pytest.importorskip("tensorflow")
    out = tmp_path / "demo-out"
    r = subprocess.run(
        [sys.executable, "-m", "pysynth", "demo", str(out), "--quick"],
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "pysynth demo finished" in r.stdout
    assert "[1/" in r.stderr  # progress goes to stderr
    summary = json.loads((out / "summary.json").read_text())
    # curate: the two broken files are rejected with reasons, the rest made clips
    rejects = [json.loads(line) for line in (out / "dataset" / "rejects.jsonl").read_text().splitlines()]
    reasons = {r["source"].rsplit("/", 1)[-1]: r["reason"] for r in rejects}
    assert reasons["empty.wav"] == "empty"
    assert reasons["notes.wav"] == "undecodable"
    manifest = (out / "dataset-aug" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) > len((out / "dataset" / "manifest.jsonl").read_text().splitlines())
    for name in ("map.html", "map.png", "map-generated.html", "neighbours.csv"):
        assert (out / name).stat().st_size > 0, name
    for arch in ("samplernn", "wavenet"):
        info = summary["models"][arch]
        assert (out / "models" / f"{arch}.pysynth").exists()
        wavs = sorted((out / "generated").glob(f"{arch}-*.wav"))
        assert len(wavs) == 4
        # even the quick demo's models must have learned something: 8 bits is chance
        assert 0 < info["validation_nll_bits"] < 7.8, (arch, info)
        # a measured figure: audio seconds over wall seconds, and tiny models run far
        # faster than real time
        assert np.isfinite(info["realtime_factor"]), info
        assert info["realtime_factor"] > 1.0, info
    # the generated clips are real audio, not silence or NaN
    from pysynth.audio import load

    y, sr = load(sorted((out / "generated").glob("*.wav"))[0])
    assert sr == 16000
    assert np.all(np.isfinite(y))
    assert np.std(y) > 0
