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
    # each model's quality report and where its clips land on the map, in the summary
    # and in the closing text
    from pysynth import load_model

    for arch in ("samplernn", "wavenet"):
        info = summary["models"][arch]
        conditioned = load_model(out / "models" / f"{arch}.pysynth").program.get(
            "conditioning_classes", 0) > 0
        q = info["quality"]
        assert q["n_generated"] == 4
        assert q["n_reference"] == len(manifest)
        assert np.isfinite(q["noise_scale"]), q
        assert np.isfinite(q["noise_index"]), q
        assert q["class_metric"] == ("consistency" if conditioned else "inception"), q
        assert 0 <= q["silent_share"] <= 1
        place = info["placement"]
        assert place["neighbours"] == 5
        assert sum(place["instruments"].values()) == 4
        assert 0 <= place["agreeing_share"] <= 1
        if conditioned:  # clip i is made for instrument i % 6: 4 instruments, one clip each
            assert sum(n for _, n in place["per_instrument"].values()) == 4
            assert 0 <= place["in_cluster_share"] <= 1
            assert len(list((out / "generated").glob(f"{arch}-00-*.wav"))) == 1
    assert r.stdout.count("quality of 4 clips: noise scale") == 2
    assert r.stdout.count("on the map: ") == 2
    assert r.stdout.count("sounds like: ") == 2  # each model's class mix
    assert "--set output=mol16" in r.stdout  # the summary says which output to use when
    # the generated clips are real audio, not silence or NaN
    from pysynth.audio import load

    y, sr = load(sorted((out / "generated").glob("*.wav"))[0])
    assert sr == 16000
    assert np.all(np.isfinite(y))
    assert np.std(y) > 0


def _neighbours_csv(path, rows):
    """A neighbours CSV as pysynth.map writes it: (generated, rank, label) rows."""
    lines = ["generated,rank,clip_id,clip_path,label,distance,x,y"]
    lines += [f"/out/generated/{g},{r},c{i},clips/c{i}.wav,{lab},0.5,0,0"
              for i, (g, r, lab) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_placement_counts_clips_landing_among_their_instrument(tmp_path):
    from pysynth.demo.placement import describe, placement

    csv_path = _neighbours_csv(tmp_path / "n.csv", [
        # a: kick, kick, snare -> lands among kicks (made for kick: a hit)
        ("m-00-kick.wav", 1, "kick"), ("m-00-kick.wav", 2, "kick"), ("m-00-kick.wav", 3, "snare"),
        # b: a tie (hat, bell, bell, hat ranked so) goes to the nearest: hat (made for bell)
        ("m-01-bell.wav", 2, "bell"), ("m-01-bell.wav", 1, "hat"), ("m-01-bell.wav", 3, "bell"),
        ("m-01-bell.wav", 4, "hat"),
        # c: bell, bell, bell -> bell (made for bell: a hit)
        ("m-02-bell.wav", 1, "bell"), ("m-02-bell.wav", 2, "bell"), ("m-02-bell.wav", 3, "bell"),
        # another model's clip in the same file is not counted
        ("other-00.wav", 1, "kick"),
    ])
    place = placement(csv_path, {"m-00-kick.wav": "kick", "m-01-bell.wav": "bell",
                                 "m-02-bell.wav": "bell"})
    assert place["instruments"] == {"bell": 1, "hat": 1, "kick": 1}
    assert place["per_instrument"] == {"bell": [1, 2], "kick": [1, 1]}
    assert place["in_cluster_share"] == pytest.approx(2 / 3)
    assert place["agreeing_share"] == pytest.approx(2 / 3)  # the tie is no majority
    assert place["neighbours"] == 3
    assert describe(place).startswith("2 of 3 generated clips land among the clips of the "
                                      "instrument they were generated for (67%")


def test_placement_of_an_unconditioned_model_says_where_clips_land(tmp_path):
    from pysynth.demo.placement import describe, placement

    csv_path = _neighbours_csv(tmp_path / "n.csv", [
        ("u-00.wav", 1, "organ"), ("u-00.wav", 2, "organ"),
        ("u-01.wav", 1, "hat"), ("u-01.wav", 2, "kick"),
    ])
    place = placement(csv_path, {"u-00.wav": None, "u-01.wav": None})
    assert "in_cluster_share" not in place
    assert place["instruments"] == {"hat": 1, "organ": 1}
    assert place["agreeing_share"] == 0.5
    assert describe(place) == ("unconditioned: the nearest dataset clips of 1 of 2 generated "
                               "clips agree on one instrument; they land among: hat 1, organ 1")


def test_placement_names_a_clip_the_map_did_not_list(tmp_path):
    from pysynth.demo.placement import placement
    from pysynth.errors import PysynthError

    csv_path = _neighbours_csv(tmp_path / "n.csv", [("u-00.wav", 1, "organ")])
    with pytest.raises(PysynthError, match=r"u-01\.wav"):
        placement(csv_path, {"u-00.wav": None, "u-01.wav": None})
