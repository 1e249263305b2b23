"""pysynth.map: layouts, outputs (PNG, HTML, CSV), overlays, and errors, on synthetic datasets."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import sys
import warnings

import numpy as np
import pytest

import pysynth
from pysynth.audio import save
from pysynth.cli import main
from pysynth.dataset import Clip, write_dataset
from pysynth.errors import DatasetError, ParameterError, UnknownNameError

SR = 16000
KINDS = ("tone", "noise", "chirp")


def three_kinds(root, dataset_of, sine, n_per=4, seconds=0.5, seed=0):
    """Three clearly different kinds of clip (labelled), ``n_per`` of each; clip 0 of each
    kind is in the test split."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    clips = []
    for kind in KINDS:
        for i in range(n_per):
            if kind == "tone":
                y = sine(200 + 40 * i, sr=SR, seconds=seconds)
            elif kind == "noise":
                y = (0.3 * rng.normal(size=t.size)).astype(np.float32)
            else:
                y = 0.5 * np.sin(2 * np.pi * ((1000 + 100 * i) * t + 4000 * t**2))
                y = y.astype(np.float32)
            clips.append((f"{kind}-{i:02d}", y, "test" if i == 0 else "train", kind))
    return dataset_of(root, clips, sr=SR, info={"clip_seconds": seconds})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, dataset_of, sine):
    return three_kinds(tmp_path_factory.mktemp("map") / "ds", dataset_of, sine)


def page_data(path):
    text = path.read_text("utf-8")
    m = re.search(r'<script id="pysynth-data" type="application/json">(.*?)</script>', text, re.S)
    assert m, "the page holds its data"
    return text, json.loads(m.group(1))


def test_pca_map_separates_the_three_kinds(dataset, tmp_path):
    res = pysynth.map(dataset, html=None, reducer="pca", cluster="kmeans", n_clusters=3)
    assert res.coords.shape == (12, 2)
    assert res.color_by == "cluster"
    # the clusters are exactly the three kinds of sound
    by_label = {}
    for lab, c in zip(res.labels, res.clusters):
        by_label.setdefault(lab, set()).add(int(c))
    assert all(len(v) == 1 for v in by_label.values())
    assert len({next(iter(v)) for v in by_label.values()}) == 3
    # and in 2-D each clip's nearest neighbour has its own label
    d = np.linalg.norm(res.coords[:, None] - res.coords[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    assert [res.labels[j] for j in nearest] == res.labels


@pytest.mark.parametrize("reducer", ["pca", "tsne", "som"])
def test_each_reducer_is_seeded_and_writes_png_and_page(dataset, tmp_path, reducer):
    a = pysynth.map(dataset, html=tmp_path / "a.html", png=tmp_path / "a.png", reducer=reducer,
                    seed=3)
    b = pysynth.map(dataset, html=None, reducer=reducer, seed=3)
    assert a.coords.shape == (12, 2)
    assert np.all(np.isfinite(a.coords))
    np.testing.assert_allclose(a.coords, b.coords)
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a.color_by == "label"
    _, data = page_data(tmp_path / "a.html")
    assert data["points"]["id"] == a.ids
    np.testing.assert_allclose(data["points"]["x"], a.coords[:, 0], atol=1e-4)
    if reducer == "som":
        rows = a.grid["hits"].shape[0]
        assert a.grid["hits"].sum() == 12
        assert data["grid"]["rows"] == rows
        # every clip sits within its cell (jitter < 0.5)
        assert np.all(np.abs(a.coords - np.round(a.coords)) < 0.5)


def test_page_is_self_contained_with_inline_audio(dataset, tmp_path):
    pysynth.map(dataset, html=tmp_path / "map.html", reducer="pca")
    text, data = page_data(tmp_path / "map.html")
    # nothing is fetched from the network: no external scripts, styles or media
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', text)
    assert "<link" not in text
    assert 'id="player"' in text
    assert set(data["colorings"]) == {"label", "split", "none"}
    assert data["colorings"]["label"]["names"] == ["chirp", "noise", "tone"]
    assert "centroid:" in data["points"]["info"][0]


def test_inline_audio_is_compact_and_still_the_clip(dataset, tmp_path):
    # Ogg Vorbis where libsndfile writes it (it does wherever soundfile's wheels are used):
    # the page carries under 40 % of the clips' WAV bytes, and each clip decodes to itself
    import soundfile as sf

    from pysynth.mapping.page import inline_format

    res = pysynth.map(dataset, html=tmp_path / "map.html", reducer="pca")
    _, data = page_data(tmp_path / "map.html")
    fmt, _, mime = inline_format()
    wav_bytes = sum((dataset / "clips" / f"{i}.wav").stat().st_size for i in res.ids)
    if fmt == "OGG":
        # the audio the page carries (not the script around it), against base64 of the WAVs
        audio_chars = sum(len(u) for u in data["points"]["audio"])
        assert audio_chars < 0.4 * wav_bytes * 4 / 3
    i = res.ids.index("tone-01")
    uri = data["points"]["audio"][i]
    assert uri.startswith(f"data:{mime};base64,")
    y, sr = sf.read(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])), dtype="float32")
    want, _ = sf.read(dataset / "clips" / "tone-01.wav", dtype="float32")
    assert sr == SR
    assert len(y) == len(want)
    snr = 10 * np.log10(np.sum(want**2) / np.sum((y - want) ** 2))
    assert snr > 20, snr


def test_relative_audio_links_resolve_from_the_page(dataset, tmp_path):
    page = tmp_path / "sub" / "map.html"
    pysynth.map(dataset, html=page, reducer="pca", audio="relative")
    _, data = page_data(page)
    for src in data["points"]["audio"]:
        assert not src.startswith("data:")
        assert (page.parent / src).resolve().is_file()
    pysynth.map(dataset, html=page, reducer="pca", audio="none")
    assert page_data(page)[1]["points"]["audio"] is None


@pytest.mark.parametrize("reducer", ["pca", "som", "tsne"])
def test_overlay_copy_lands_on_its_original(dataset, tmp_path, sine, reducer):
    gen = tmp_path / "generated"
    gen.mkdir()
    shutil.copy(dataset / "clips" / "noise-02.wav", gen / "copy-of-noise.wav")
    # saved at another rate: resampled to the dataset's
    save(gen / "tone-240.wav", sine(240, sr=SR, seconds=0.5), 22050)
    res = pysynth.map(dataset, html=tmp_path / "m.html", reducer=reducer, overlay=gen, k=3)
    assert [p.name for p in res.overlay_paths] == ["copy-of-noise.wav", "tone-240.wav"]
    assert res.neighbours.shape == (2, 3)
    copy_row = 0
    assert res.ids[res.neighbours[copy_row, 0]] == "noise-02"
    assert res.distances[copy_row, 0] == pytest.approx(0, abs=1e-6)
    assert np.all(np.diff(res.distances, axis=1) >= 0)
    assert res.labels[res.neighbours[1, 0]] == "tone"
    orig = res.coords[res.ids.index("noise-02")]
    if reducer == "pca":
        np.testing.assert_allclose(res.overlay_coords[copy_row], orig, atol=1e-9)
    elif reducer == "som":  # same cell
        np.testing.assert_array_equal(np.round(res.overlay_coords[copy_row]), np.round(orig))
    # the neighbours CSV: one row per (generated file, rank)
    with open(tmp_path / "m-neighbours.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    assert rows[0]["clip_id"] == "noise-02"
    assert rows[0]["rank"] == "1"
    assert float(rows[0]["distance"]) == pytest.approx(0, abs=1e-5)
    _, data = page_data(tmp_path / "m.html")
    assert data["overlay"]["id"] == ["copy-of-noise.wav", "tone-240.wav"]
    assert data["overlay"]["neighbours"][0][0] == res.ids.index("noise-02")
    assert data["overlay"]["audio"][1].startswith("data:audio/")


def test_feature_selection_split_and_dbscan(dataset):
    res = pysynth.map(dataset, html=None, reducer="pca", features="rms,zcr", split="train",
                      cluster="dbscan")
    assert res.features.names == ["rms_mean", "rms_std", "rms_db_max", "zcr_mean", "zcr_std"]
    assert len(res) == 9
    assert set(res.splits) == {"train"}
    assert res.clusters.shape == (9,)


def test_cli_writes_page_png_and_csv(dataset, tmp_path, capsys):
    gen = tmp_path / "gen"
    gen.mkdir()
    shutil.copy(dataset / "clips" / "tone-01.wav", gen / "g.wav")
    (gen / "broken.wav").write_text("a text file named .wav\n")  # skipped, named, not fatal
    rc = main(["map", str(dataset), "-o", str(tmp_path / "p.html"), "--png",
               str(tmp_path / "p.png"), "--reducer", "som", "--overlay", str(gen), "-k", "2"])
    assert rc == 0
    out, err = capsys.readouterr()
    assert "mapped 12 clips with som and 1 generated clip:" in out
    assert f"pysynth map: warning: skipping {gen / 'broken.wav'}: not a readable audio file" in err
    # progress bars, as curate's (the dataset's features may come from the cache)
    assert re.search(r"overlay features: 100%.*2/2", err)
    for name in ("p.html", "p.png", "p-neighbours.csv"):
        assert (tmp_path / name).is_file()


def test_cli_reports_errors_in_one_line(dataset, tmp_path, capsys):
    assert main(["map", str(dataset), "--reducer", "tnse", "-o", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err.strip()
    assert "did you mean 'tsne'" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_one_clip_and_empty_dataset_are_clear_errors(tmp_path, dataset_of):
    one = dataset_of(tmp_path / "one", [("a", np.zeros(800, np.float32), "train", None)], sr=SR)
    with pytest.raises(DatasetError, match=r"at least 2 clips.*found 1"):
        pysynth.map(one, html=None)
    empty = dataset_of(tmp_path / "empty", [], sr=SR)
    with pytest.raises(DatasetError, match="no clips"):
        pysynth.map(empty, html=None)
    with pytest.raises(DatasetError, match="no such"):
        pysynth.map(tmp_path / "missing", html=None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"color_by": "mood"}, "map color_by must be one of 'auto', .*, got 'mood'"),
     ({"cluster": "spectral"}, "map cluster must be one of 'kmeans', 'dbscan', None, got 'spectral'"),
     ({"k": 0}, "map k must be an integer >= 1, got 0"),
     ({"audio": "mp3"}, "map audio must be one of 'inline', 'relative', 'none', got 'mp3'"),
     ({"features": "chroma"}, "map features must be one of 'mfcc', .*, got 'chroma'"),
     ({"n_clusters": 0}, "map n_clusters must be an integer >= 1, got 0"),
     ({"pca_dims": 1}, "map pca_dims must be an integer >= 2, got 1"),
     ({"split": "dev"}, "split"), ({"seed": 1.5}, "map seed must be an integer, got 1.5"),
     ({"reducer_params": {"perplexity": 5}}, "reducer_params for reducer 'pca'")],
)
def test_bad_parameters_are_named(dataset, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        pysynth.map(dataset, html=None, reducer="pca", **kwargs)


def test_unknown_reducer_and_bad_overlay(dataset, tmp_path):
    with pytest.raises(UnknownNameError, match="Known: pca, som, tsne, umap"):
        pysynth.map(dataset, html=None, reducer="isomap")
    with pytest.raises(ParameterError, match="overlay must be a folder"):
        pysynth.map(dataset, html=None, reducer="pca", overlay=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(ParameterError, match="no audio files"):
        pysynth.map(dataset, html=None, reducer="pca", overlay=tmp_path / "empty")


def test_missing_umap_is_a_clear_error(dataset, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # makes `import umap` raise ImportError
    with pytest.raises(ParameterError, match=r"pysynth\[umap\]"):
        pysynth.map(dataset, html=None, reducer="umap")


@pytest.mark.slow
def test_umap_map_with_overlay(dataset, tmp_path):
    pytest.importorskip("umap")
    gen = tmp_path / "gen"
    gen.mkdir()
    shutil.copy(dataset / "clips" / "chirp-01.wav", gen / "c.wav")
    res = pysynth.map(dataset, html=tmp_path / "u.html", reducer="umap", overlay=gen, seed=1)
    again = pysynth.map(dataset, html=None, reducer="umap", seed=1)
    assert res.coords.shape == (12, 2)
    np.testing.assert_allclose(res.coords, again.coords, rtol=1e-5, atol=1e-5)
    assert res.ids[res.neighbours[0, 0]] == "chirp-01"


@pytest.mark.slow
@pytest.mark.parametrize("reducer", ["pca", "som", "tsne"])
def test_twenty_thousand_clips(tmp_path, monkeypatch, reducer):
    """The reducers and the page at 20 000 clips (features faked: extraction is linear)."""
    from pysynth.mapping import features, pipeline

    n = 20000
    root = tmp_path / "big"
    y = np.zeros(160, np.float32)
    save(root / "clips" / "a.wav", y, SR)
    clips = [Clip(id=f"c{i}", path="clips/a.wav", source=f"s{i % 50}.wav", offset=0,
                  duration=0.01, split="train", checksum=f"sha256:{i}", label=f"l{i % 7}")
             for i in range(n)]
    write_dataset(root, clips, {"sample_rate": SR})
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(7, len(features.FEATURE_NAMES))) * 3

    def fake(ds, clips, **kw):
        vals = centers[np.arange(len(clips)) % 7] + rng.normal(size=(len(clips), centers.shape[1]))
        return features.FeatureTable([c.id for c in clips], vals, list(features.FEATURE_NAMES))

    monkeypatch.setattr(pipeline, "dataset_features", fake)
    res = pysynth.map(root, html=tmp_path / "big.html", reducer=reducer, audio="relative")
    assert res.coords.shape == (n, 2)
    assert np.all(np.isfinite(res.coords))


@pytest.mark.parametrize("identical", [False, True])
@pytest.mark.parametrize("reducer", ["pca", "tsne", "som"])
def test_two_clips_map_even_when_identical(tmp_path, dataset_of, sine, reducer, identical):
    root = dataset_of(tmp_path / "two", [
        (f"c{i}", sine(f, sr=SR, seconds=0.25), "train", None)
        for i, f in enumerate((300, 300 if identical else 2000))
    ], sr=SR)
    res = pysynth.map(root, html=tmp_path / "two.html", png=tmp_path / "two.png",
                      reducer=reducer, cluster="kmeans")
    assert res.coords.shape == (2, 2)
    assert np.all(np.isfinite(res.coords))
    assert res.color_by == "cluster"
    with pytest.raises(DatasetError, match="needs at least 3 clips"):
        pysynth.map(root, html=None, reducer="umap")


def test_a_page_past_the_inline_limit_links_its_audio(dataset, tmp_path, monkeypatch):
    from pysynth.mapping import page

    monkeypatch.setattr(page, "INLINE_MAX_BYTES", 20_000)
    html = tmp_path / "big.html"
    with pytest.warns(UserWarning, match="more than 0 MB to the page: it links the files"):
        pysynth.map(dataset, html=html, reducer="pca")
    for src in page_data(html)[1]["points"]["audio"]:
        assert not src.startswith("data:")
        assert (html.parent / src).resolve().is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pysynth.map(dataset, html=html, reducer="pca", audio="relative")


def test_png_categories_and_palette():
    from types import SimpleNamespace

    from pysynth.mapping.colors import categories, palette

    r = SimpleNamespace(ids=list("abcde"), clusters=np.array([1, -1, 0, 1, 0]),
                        labels=["x", "", "y", "x", ""], splits=["train"] * 4 + ["test"])
    names, idx = categories(r, "cluster")
    assert names == ["cluster 0", "cluster 1", "noise"]
    assert idx.tolist() == [1, 2, 0, 1, 0]
    names, idx = categories(r, "label")
    assert names == ["(no label)", "x", "y"]
    assert idx.tolist() == [1, 0, 2, 1, 0]
    assert categories(r, "none")[1].tolist() == [0] * 5
    for n in (1, 10, 15, 40):
        cols = palette(n)
        assert len(cols) == n
        assert len(set(cols)) == n
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in cols)
