"""The map's HTML page: one self-contained file (inline script, inline or linked audio).

The page is ``templates/map.html`` with the map's data inserted as JSON; it loads nothing
from the network. Audio is embedded as base64 data URIs (Ogg Vorbis where the installed
libsndfile writes it, else 16-bit WAV), or referenced relative to the page for big datasets.
"""

from __future__ import annotations

import base64
import html as htmllib
import io
import json
import os
import urllib.parse
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from .colors import categories, model_marker, palette

TEMPLATE = "map.html"


def template() -> str:
    """The page template's text (package data under ``pysynth/mapping/templates``)."""
    return resources.files(__package__).joinpath("templates").joinpath(TEMPLATE).read_text("utf-8")


#: Inline audio is dropped for links to the files (with a warning) once it would add more
#: than this many bytes to the page: about 1 800 one-second clips at 16 kHz in Ogg Vorbis.
INLINE_MAX_BYTES = 20_000_000


def inline_format() -> tuple[str, str, str]:
    """``(format, subtype, MIME type)`` of inline audio: Ogg Vorbis when the installed
    libsndfile writes it (a quarter of 16-bit WAV's size, and every browser the page targets
    plays it), else 16-bit WAV."""
    import soundfile as sf

    if "VORBIS" in sf.available_subtypes("OGG"):
        return "OGG", "VORBIS", "audio/ogg"
    return "WAV", "PCM_16", "audio/wav"


def audio_data_uri(path: str | os.PathLike, *, sr: int | None = None) -> str:
    """A ``data:audio/...;base64,...`` URI of an audio file, mono, at ``sr`` (default: the
    file's rate), in :func:`inline_format`."""
    import soundfile as sf

    from ..audio import load

    fmt, subtype, mime = inline_format()
    y, rate = load(path, sr=sr)
    buf = io.BytesIO()
    sf.write(buf, np.clip(y, -1, 1), rate, format=fmt, subtype=subtype)
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def inline_sources(paths, *, sr: int | None = None) -> list[str] | None:
    """The data URIs of ``paths``, or None as soon as they pass :data:`INLINE_MAX_BYTES`."""
    srcs, size = [], 0
    for p in paths:
        srcs.append(audio_data_uri(p, sr=sr))
        size += len(srcs[-1])
        if size > INLINE_MAX_BYTES:
            return None
    return srcs


def relative_url(path: str | os.PathLike, page_dir: Path) -> str:
    """``path`` as a URL relative to the folder of the page (forward slashes, quoted)."""
    rel = os.path.relpath(Path(path).resolve(), page_dir.resolve())
    return urllib.parse.quote(rel.replace(os.sep, "/"))


#: The hover lines a clip's features give: (column, how to show its value).
SUMMARY = (
    ("centroid_mean", lambda v: f"centroid: {v:.0f} Hz"),
    ("rms_mean", lambda v: f"RMS: {20 * np.log10(max(v, 1e-5)):.1f} dBFS"),
    ("flatness_mean", lambda v: f"flatness: {v:.3f}"),
    ("zcr_mean", lambda v: f"zero crossings: {v:.3f}"),
)


def _summary(table, i: int) -> list[str]:
    # a map of some feature groups only lacks some columns: those lines are left out
    return [show(float(table.column(name)[i])) for name, show in SUMMARY if name in table.names]


def _round(a: np.ndarray) -> list[float]:
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return [float(v) for v in np.round(a, 5)]


def page_data(result, ds, clips, *, page_dir: Path, audio: str, full, overlay_full, title: str):
    """The JSON the page's script reads (see templates/map.html)."""
    from .overlay import SILENT_DB

    page_dir = Path(page_dir)
    copy_of = (np.asarray(result.copy_of, dtype=int) if len(result.copy_of) == len(clips)
               else np.full(len(clips), -1))
    n_copies = np.bincount(copy_of[copy_of >= 0], minlength=len(clips))
    infos = []
    for i, c in enumerate(clips):
        lines = [c.id, f"label: {c.label or '(none)'}", f"split: {c.split}",
                 f"duration: {c.duration:.2f} s", *_summary(full, i)]
        if copy_of[i] >= 0:
            lines.insert(1, f"augmented copy of {clips[copy_of[i]].id}")
        elif n_copies[i]:
            lines.insert(1, f"+ {n_copies[i]} augmented copies (hidden unless shown)")
        infos.append("\n".join(lines))
    srcs = None
    if audio == "inline":
        srcs = inline_sources([ds.path(c) for c in clips])
        if srcs is None:
            warnings.warn(
                f"the clips' audio would add more than {INLINE_MAX_BYTES / 1e6:.0f} MB to the "
                f"page: it links the files instead (audio='relative', --audio relative), so keep "
                f"it where it can reach {ds.root}", stacklevel=5)  # the caller of pysynth.map
            audio = "relative"
    if audio == "relative":
        srcs = [relative_url(ds.path(c), page_dir) for c in clips]
    colorings = {}
    modes = (["cluster"] if result.clusters is not None else []) + ["label", "split", "none"]
    for mode in modes:
        names, idx = categories(result, mode)
        colorings[mode] = {"names": names, "index": idx.tolist(), "palette": palette(len(names))}
    loudest = (full.column("rms_db_max") if "rms_db_max" in full.names
               else np.zeros(len(clips)))
    data = {
        "title": title,
        "about": _about(result),
        "reducer": result.reducer,
        "colorBy": result.color_by,
        "colorings": colorings,
        "dataset": str(Path(ds.root).resolve()),
        "points": {"x": _round(result.coords[:, 0]), "y": _round(result.coords[:, 1]),
                   "id": list(result.ids), "info": infos, "audio": srcs,
                   "path": [c.path for c in clips], "copyOf": copy_of.tolist(),
                   "flag": ["silent" if v < SILENT_DB else "" for v in loudest]},
        "overlay": None,
        "grid": None,
    }
    if len(result.overlay_paths):
        data["overlay"] = _overlay_data(result, ds, clips, page_dir, audio, overlay_full)
    if result.grid is not None:
        um, hits = result.grid["umatrix"], result.grid["hits"]
        data["grid"] = {"rows": int(um.shape[0]), "cols": int(um.shape[1]),
                        "umatrix": [_round(row) for row in um], "hits": hits.astype(int).tolist()}
    return data


def _about(result) -> str:
    """The page's one-line legend: what a point is and what near means."""
    return (f"Each dot is a clip, placed by {result.reducer} from {len(result.features.names)} "
            "sound features: nearby clips sound similar.")


def _overlay_data(result, ds, clips, page_dir: Path, audio: str, overlay_full) -> dict:
    """The generated clips' part of the page data: positions, model, loudness flag, audio."""
    from ..audio import load
    from .overlay import loudness_flag

    models = sorted(set(result.overlay_models)) or ["generated"]
    model_of = (result.overlay_models if len(result.overlay_models) == len(result.overlay_paths)
                else ["generated"] * len(result.overlay_paths))
    loudest = overlay_full.column("rms_db_max")
    ids = [p.name for p in result.overlay_paths]
    oinfo, flags = [], []
    for i, (name, path) in enumerate(zip(ids, result.overlay_paths)):
        flag = loudness_flag(load(path, sr=ds.sample_rate)[0], rms_db_max=float(loudest[i]))
        flags.append(flag)
        near = [f"  {clips[int(j)].id}  ({d:.2f})"
                for j, d in zip(result.neighbours[i], result.distances[i])]
        note = {"silent": ["near-silent"], "clipped": ["clipped (samples at full scale)"]}
        oinfo.append("\n".join([f"{name} (generated)", f"model: {model_of[i]}",
                                *note.get(flag, []), *_summary(overlay_full, i),
                                "nearest clips (distance):", *near]))
    if audio == "inline":
        osrc = [audio_data_uri(p, sr=ds.sample_rate) for p in result.overlay_paths]
    elif audio == "relative":
        osrc = [relative_url(p, page_dir) for p in result.overlay_paths]
    else:
        osrc = None
    return {
        "x": _round(result.overlay_coords[:, 0]), "y": _round(result.overlay_coords[:, 1]),
        "id": ids, "info": oinfo, "audio": osrc, "models": models,
        "shapes": [model_marker(k)[0] for k in range(len(models))],
        "fills": [model_marker(k)[1] for k in range(len(models))],
        "model": [models.index(m) for m in model_of], "flag": flags,
        "path": [str(Path(p).resolve()) for p in result.overlay_paths],
        "neighbours": np.asarray(result.neighbours, dtype=int).tolist(),
        "distances": [_round(row) for row in result.distances],
    }


def render_html(
    result, ds, clips, path: str | os.PathLike, *, audio: str = "inline", title: str = "",
    full=None, overlay_full=None,
) -> Path:
    """Write the map page to ``path`` atomically and return the path."""
    path = Path(path)
    data = page_data(result, ds, clips, page_dir=path.parent, audio=audio,
                     full=full if full is not None else result.features,
                     overlay_full=overlay_full, title=title)
    # "<" escaped as \u003c so no string in the data can close the <script> element
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    page = template().replace("__PYSYNTH_TITLE__", htmllib.escape(title))
    page = page.replace("__PYSYNTH_DATA__", payload, 1)
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
