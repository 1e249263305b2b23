"""The map as an instrument: one layout per dataset (with or without generated clips, and
for every later batch), generated clips told apart by model and flagged, augmented copies
grouped with their originals, and a selection copied out (issue 19)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

import pysynth
from pysynth.audio import save
from pysynth.cli import main
from pysynth.dataset import Dataset, write_dataset
from pysynth.errors import ParameterError
from pysynth.mapping.layout import LAYOUT_DIR
from pysynth.mapping.overlay import model_of

SR = 16000


def clean_and_noisy(dataset_of, sine, root, n=10, seconds=0.4, copies=0):
    """``n`` sines of rising pitch, every other one noisy (labelled); with ``copies``, that
    many augmented copies (a little quieter, with lineage) of each of the first two clips."""
    rng = np.random.default_rng(0)
    clips = []
    for i in range(n):
        y = sine(150 * (i + 1), sr=SR, seconds=seconds, amp=0.4)
        if i % 2:
            y = y + 0.1 * rng.normal(size=y.size).astype(np.float32)
        clips.append((f"clip-{i}", y, "train", "noisy" if i % 2 else "clean"))
    for i in range(2):
        for k in range(copies):
            y = clips[i][1] * (0.9 - 0.1 * k)
            clips.append((f"clip-{i}-aug{k}", y, "train", clips[i][3]))
    dataset_of(root, clips, sr=SR, info={"clip_seconds": seconds})
    if copies:
        ds = Dataset.open(root)
        records = ds.clips()
        for c in records:
            if "-aug" in c.id:
                c.lineage = {"source_clip": c.id.split("-aug")[0], "copy": int(c.id[-1])}
        write_dataset(root, records, dict(ds.info))
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, dataset_of, sine):
    return clean_and_noisy(dataset_of, sine, tmp_path_factory.mktemp("page") / "ds")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, dataset, sine):
    """Two models' clips: an exact copy of clip-3 and a clipped sine from "wavenet", a
    near-silent one from "samplernn", and one whose name names no model."""
    gen = tmp_path_factory.mktemp("gen")
    shutil.copy(dataset / "clips" / "clip-3.wav", gen / "wavenet-00-noisy.wav")
    save(gen / "wavenet-01.wav", sine(450, sr=SR, seconds=0.4, amp=1.0), SR)
    quiet = 1e-4 * np.random.default_rng(1).normal(size=int(0.4 * SR)).astype(np.float32)
    save(gen / "samplernn-seed0-000.wav", quiet, SR)
    save(gen / "take.wav", sine(600, sr=SR, seconds=0.4, amp=0.4), SR)
    return gen


def page_data(path):
    m = re.search(r'<script id="pysynth-data" type="application/json">(.*?)</script>',
                  path.read_text("utf-8"), re.S)
    return json.loads(m.group(1))


@pytest.mark.parametrize("reducer", ["tsne", "pca", "som"])
def test_dataset_points_are_identical_with_and_without_an_overlay(dataset, generated, tmp_path,
                                                                  reducer):
    alone = pysynth.map(dataset, html=tmp_path / "alone.html", reducer=reducer, audio="none")
    over = pysynth.map(dataset, html=tmp_path / "over.html", reducer=reducer, audio="none",
                       overlay=generated)
    np.testing.assert_array_equal(alone.coords, over.coords)
    a, b = page_data(tmp_path / "alone.html"), page_data(tmp_path / "over.html")
    assert a["points"]["x"] == b["points"]["x"]
    assert a["points"]["y"] == b["points"]["y"]


def test_a_saved_tsne_layout_is_the_map_every_later_overlay_lands_on(tmp_path, dataset_of,
                                                                     sine, generated):
    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds")
    first = pysynth.map(ds, html=None)
    saved = list((ds / LAYOUT_DIR).glob("*.npz"))
    assert len(saved) == 1
    # a layout that t-SNE would never make: only a reused layout can show it
    marked = np.column_stack([np.arange(len(first)), -np.arange(len(first))]).astype(float)
    with np.load(saved[0]) as z:
        key = str(z["key"])
    np.savez(saved[0], key=np.array(key), coords=marked)
    later = pysynth.map(ds, html=None, overlay=generated)
    np.testing.assert_array_equal(later.coords, marked)
    # the copy of clip-3 sits on clip-3 of that layout
    i = later.overlay_paths.index(generated / "wavenet-00-noisy.wav")
    np.testing.assert_allclose(later.overlay_coords[i], marked[later.ids.index("clip-3")],
                               atol=1e-6)
    # other settings, another layout; no cache, no layout read or written
    pysynth.map(ds, html=None, seed=1)
    assert len(list((ds / LAYOUT_DIR).glob("*.npz"))) == 2
    fresh = pysynth.map(ds, html=None, cache=False)
    np.testing.assert_array_equal(fresh.coords, first.coords)


def test_a_generated_copy_of_a_clip_lands_on_that_clip(dataset, generated):
    res = pysynth.map(dataset, html=None, overlay=generated, cache=False)
    i = res.overlay_paths.index(generated / "wavenet-00-noisy.wav")
    np.testing.assert_allclose(res.overlay_coords[i], res.coords[res.ids.index("clip-3")],
                               atol=1e-6)


@pytest.mark.parametrize(("name", "model"), [
    ("wavenet-03-bell.wav", "wavenet"), ("my-model-seed7-012-high.wav", "my-model"),
    ("samplernn-00.wav", "samplernn"), ("take.wav", "generated"), ("a-b.wav", "generated"),
])
def test_the_model_is_read_from_the_file_name(name, model):
    assert model_of(name) == model


def test_page_tells_models_apart_and_flags_silent_and_clipped(dataset, generated, tmp_path):
    page = tmp_path / "map.html"
    res = pysynth.map(dataset, html=page, reducer="pca", overlay=generated, audio="none")
    o = page_data(page)["overlay"]
    assert o["models"] == ["generated", "samplernn", "wavenet"]
    by_name = {name: (o["models"][k], f) for name, k, f in zip(o["id"], o["model"], o["flag"])}
    assert by_name == {
        "samplernn-seed0-000.wav": ("samplernn", "silent"),
        "take.wav": ("generated", ""),
        "wavenet-00-noisy.wav": ("wavenet", ""),
        "wavenet-01.wav": ("wavenet", "clipped"),
    }
    assert o["path"] == [str(p.resolve()) for p in res.overlay_paths]
    assert "model: samplernn" in o["info"][o["id"].index("samplernn-seed0-000.wav")]
    title = page_data(page)["title"]
    assert title == "ds: 10 clips, 4 generated by 3 models (pca map)"
    assert "nearby clips sound similar" in page_data(page)["about"]


def test_augmented_copies_are_grouped_with_their_originals_and_never_neighbours(
        tmp_path, dataset_of, sine, generated):
    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", copies=2)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", overlay=generated, k=9, audio="none")
    p = page_data(page)["points"]
    originals = {cid for cid in res.ids if "-aug" not in cid}
    assert len(originals) == 10
    assert len(res) == 14
    for i, cid in enumerate(p["id"]):
        want = p["id"].index(cid.split("-aug")[0]) if "-aug" in cid else -1
        assert p["copyOf"][i] == want
    assert "+ 2 augmented copies" in p["info"][p["id"].index("clip-0")]
    # nine neighbours of each generated clip: every original but one, never a copy
    listed = {res.ids[j] for row in res.neighbours for j in row}
    assert listed <= originals
    assert res.neighbours.shape[1] == 9
    assert page_data(page)["title"].startswith("ds: 10 clips (+4 augmented copies), 4 generated")


def selection_file(path, dataset, clips=(), generated=(), fmt="pysynth-map-selection"):
    data = {"format": fmt, "version": 1, "dataset": str(dataset),
            "clips": [{"id": c, "path": f"clips/{c}.wav"} for c in clips],
            "generated": [{"id": g.name, "path": str(g)} for g in generated]}
    path.write_text(json.dumps(data))
    return path


def test_copy_selection_copies_the_selected_clips_byte_for_byte(dataset, generated, tmp_path):
    sel = selection_file(tmp_path / "selection.json", dataset, ["clip-1", "clip-4"],
                         [generated / "take.wav"])
    out = tmp_path / "out"
    assert main(["map", str(dataset), "--selection", str(sel), "--copy-to", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["clip-1.wav", "clip-4.wav", "take.wav"]
    assert (out / "clip-4.wav").read_bytes() == (dataset / "clips" / "clip-4.wav").read_bytes()
    assert (out / "take.wav").read_bytes() == (generated / "take.wav").read_bytes()


@pytest.mark.parametrize(("clips", "fmt", "word"), [
    (["clip-1"], "pysynth-pick-marks", "not a selection"),
    ([], "pysynth-map-selection", "selects no clip"),
    (["missing"], "pysynth-map-selection", "missing"),
    (["../../etc/passwd"], "pysynth-map-selection", "not inside the dataset"),
])
def test_a_bad_selection_is_refused_with_a_reason(dataset, tmp_path, clips, fmt, word):
    sel = selection_file(tmp_path / "selection.json", dataset, clips, fmt=fmt)
    with pytest.raises(ParameterError, match=word):
        pysynth.mapping.copy_selection(sel, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_copy_to_without_a_selection_is_an_error(dataset, tmp_path, capsys):
    assert main(["map", str(dataset), "--copy-to", str(tmp_path / "out")]) != 0
    assert "--selection" in capsys.readouterr().err


def test_a_near_silent_dataset_clip_is_flagged_for_the_page(tmp_path, dataset_of, sine):
    quiet = 1e-4 * np.random.default_rng(2).normal(size=SR // 2).astype(np.float32)
    ds = dataset_of(tmp_path / "ds", [("tone-a", sine(300, sr=SR), "train", "a"),
                                      ("tone-b", sine(600, sr=SR), "train", "b"),
                                      ("hush", quiet, "train", "a")], sr=SR)
    pysynth.map(ds, html=tmp_path / "map.html", reducer="pca", audio="none")
    p = page_data(tmp_path / "map.html")["points"]
    assert dict(zip(p["id"], p["flag"])) == {"tone-a": "", "tone-b": "", "hush": "silent"}
