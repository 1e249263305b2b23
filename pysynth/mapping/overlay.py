"""Generated clips on a dataset's map: finding them, their nearest dataset clips, the CSV."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..files import AUDIO_EXTENSIONS, atomic_write_bytes, audio_files


def overlay_files(folder: str | os.PathLike) -> list[Path]:
    """The audio files directly in ``folder``, sorted; an error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"overlay must be a folder of audio files, got {str(folder)!r}")
    files = audio_files(folder, recursive=False)
    if not files:
        raise ParameterError(
            f"overlay folder {str(folder)!r} has no audio files ({', '.join(AUDIO_EXTENSIONS)})"
        )
    return files


#: A generated file's model is the start of its name, before ``-NN`` or ``-seedN-NNN``: the
#: demo names its clips ``wavenet-03-bell.wav``, ``pysynth sample`` ``MODEL-seed0-003.wav``.
MODEL_IN_NAME = re.compile(r"^(?P<model>.+?)-(?:seed\d+-)?\d+(?:-|$)")

#: Loudness flags of a clip: near-silent below this RMS peak (dBFS), clipped at this peak.
SILENT_DB = -50.0
CLIPPED_PEAK = 0.999


def model_of(path: str | os.PathLike) -> str:
    """The model a generated file came from, read from its name (see :data:`MODEL_IN_NAME`);
    ``"generated"`` when the name does not say.

    >>> model_of("out/wavenet-03-bell.wav"), model_of("net-seed0-012.wav"), model_of("x.wav")
    ('wavenet', 'net', 'generated')
    """
    m = MODEL_IN_NAME.match(Path(path).stem)
    return m.group("model") if m else "generated"


def loudness_flag(y: np.ndarray, *, rms_db_max: float) -> str:
    """``"silent"`` (loudest 46 ms below :data:`SILENT_DB`), ``"clipped"`` (a sample at full
    scale, :data:`CLIPPED_PEAK`) or ``""``: what a listener should know before playing it."""
    if rms_db_max < SILENT_DB:
        return "silent"
    if y.size and float(np.max(np.abs(y))) >= CLIPPED_PEAK:
        return "clipped"
    return ""


def nearest_clips(Z: np.ndarray, Z_new: np.ndarray | None, k: int,
                  among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances to, and row indices of, the ``k`` rows of ``Z`` nearest each row of ``Z_new``.

    ``among``: the row indices that may be listed (the original clips, so that augmented
    copies of one clip do not fill the list); default all. Both ``(m, min(k, rows))``,
    nearest first; ``(0, 0)`` arrays without ``Z_new``.
    """
    if Z_new is None:
        return np.zeros((0, 0)), np.zeros((0, 0), dtype=int)
    from sklearn.neighbors import NearestNeighbors

    rows = np.arange(len(Z)) if among is None or not len(among) else np.asarray(among)
    nn = NearestNeighbors(n_neighbors=min(int(k), len(rows))).fit(Z[rows])
    d, idx = nn.kneighbors(Z_new)
    return d, rows[idx]


def default_csv(html, png) -> Path | None:
    """``<stem>-neighbours.csv`` next to the page (or else the PNG); None if neither is written."""
    base = html if html is not None else png
    if base is None:
        return None
    base = Path(base)
    return base.with_name(f"{base.stem}-neighbours.csv")


def write_neighbours_csv(result, clips, path: str | os.PathLike) -> Path:
    """Write the overlay's nearest dataset clips as CSV (atomically).

    Columns: ``generated`` (file path), ``rank`` (1 = nearest), ``clip_id``,
    ``clip_path`` (relative to the dataset), ``label``, ``distance`` (Euclidean, in
    standardized feature units), ``x``, ``y`` (the generated file's map position).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["generated", "rank", "clip_id", "clip_path", "label", "distance", "x", "y"])
    for i, p in enumerate(result.overlay_paths):
        for r, (j, d) in enumerate(zip(result.neighbours[i], result.distances[i]), 1):
            c = clips[int(j)]
            w.writerow([
                str(p), r, c.id, c.path, c.label or "", f"{d:.6g}",
                f"{result.overlay_coords[i, 0]:.6g}", f"{result.overlay_coords[i, 1]:.6g}",
            ])
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
    return path
