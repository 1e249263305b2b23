"""The audition page: one offline HTML file where the kept clips sit on a self-organizing
map (similar clips together), beside the dataset's own map with the clips placed on it;
click or keyboard to play, mark keep or discard, export the marks as JSON."""

from __future__ import annotations

import html as htmllib
import json
from importlib import resources
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from ..mapping.colors import palette
from ..mapping.page import audio_data_uri, relative_url

TEMPLATE = "audition.html"
#: Format name and version of the marks file the page exports (``pysynth pick --marks``).
MARKS_FORMAT, MARKS_VERSION = "pysynth-marks", 1


def _som(Z: np.ndarray, seed: int):
    from ..mapping.visualizers.som import SOMReducer

    return SOMReducer(seed=seed).fit(Z)


def page_data(rows: list[dict], paths: list[Path], Z: np.ndarray, measurer, *, title: str,
              page_dir: Path, seed: int = 0) -> dict:
    """The JSON the page's script reads (see templates/audition.html)."""
    gen = _som(Z, seed)
    ref = measurer.reference
    ds_som = _som(measurer.Z_ref, seed)
    # the dataset map's cell of each kept clip: transform places a clip within 0.35 of its
    # cell's (column, row)
    landed = np.rint(ds_som.transform(Z)[:, ::-1]).astype(int)
    names = sorted({lab for lab in ref.labels if lab})
    colors = palette(len(names))
    audio = None
    if ref.dataset is not None:
        audio = [relative_url(ref.dataset.path(c), page_dir) for c in ref.dataset.clips()]
    clips = []
    for i, (r, p) in enumerate(zip(rows, paths)):
        facts = [f"typicality {r['typicality']:.2f}" if r["typicality"] is not None else "",
                 f"{r['nll_bits']:.2f} bits/sample" if r["nll_bits"] is not None else "",
                 f"noise index {r['noise_index']:.2f}" if r["noise_index"] is not None else "",
                 f"sounds like {r['predicted']} ({r['confidence']:.0%})" if r["predicted"] else ""]
        clips.append({
            "file": p.name, "audio": audio_data_uri(p, sr=measurer.sample_rate),
            "row": int(gen.bmu_[i, 0]), "col": int(gen.bmu_[i, 1]),
            "dsRow": int(landed[i, 0]), "dsCol": int(landed[i, 1]),
            "label": r["label"], "predicted": r["predicted"],
            "info": " · ".join(f for f in facts if f),
        })
    return {
        "title": title, "format": MARKS_FORMAT, "version": MARKS_VERSION,
        "grid": {"rows": int(gen.hits_.shape[0]), "cols": int(gen.hits_.shape[1])},
        "clips": clips,
        "dataset": {
            "rows": int(ds_som.hits_.shape[0]), "cols": int(ds_som.hits_.shape[1]),
            "labels": names, "colors": colors,
            "cell": [[int(v) for v in b] for b in ds_som.bmu_],
            "label": [names.index(lab) if lab else -1 for lab in ref.labels],
            "id": list(ref.names), "audio": audio,
        },
    }


def write_page(path: Path, rows: list[dict], paths: list[Path], Z: list[np.ndarray], measurer, *,
               title: str) -> Path:
    """Write the audition page of the clips ``paths`` (measured in ``rows``) atomically."""
    data = page_data(rows, paths, np.asarray(Z).reshape(len(paths), -1), measurer, title=title,
                     page_dir=path.parent)
    # "<" escaped as \u003c so no string in the data can close the <script> element
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    text = resources.files(__package__).joinpath("templates").joinpath(TEMPLATE).read_text("utf-8")
    text = text.replace("__PYSYNTH_TITLE__", htmllib.escape(title))
    text = text.replace("__PYSYNTH_DATA__", payload, 1)
    return atomic_write_bytes(path, text.encode("utf-8"))
