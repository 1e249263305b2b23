"""``pysynth.map``: place a dataset's clips (and optionally generated clips) on a 2-D map.

Features per clip (cached in the dataset) are standardized, reduced to at most 50
dimensions with PCA, and laid out in 2-D by a registered visualizer (pca, tsne, umap,
som, or a plugin's). The map is written as a self-contained HTML page (hover, click to
play, zoom, pan) and optionally as a PNG; generated clips given with ``overlay`` are
placed on the same map and linked to their nearest dataset clips (also written as CSV).
Named ``mapping.py`` so that the module does not shadow the ``map`` builtin.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DatasetError, ParameterError
from .features import FeatureTable, dataset_features, file_features, parse_groups
from .files import AUDIO_EXTENSIONS, atomic_write_bytes
from .visualizers.base import limit_threads

COLOR_BY = ("auto", "cluster", "label", "split", "none")
CLUSTERINGS = ("kmeans", "dbscan")
AUDIO_MODES = ("inline", "relative", "none")
#: Above this much audio, an inline page gets a warning suggesting audio="relative".
INLINE_WARN_BYTES = 200_000_000


@dataclass
class MapResult:
    """What :func:`map` computed and wrote.

    Attributes
    ----------
    ids : list of str
        Dataset clip ids, one per row of ``coords``.
    coords : np.ndarray
        ``(n, 2)`` map coordinates of the dataset clips.
    labels, splits : list of str
        Each clip's label (``""`` if none) and split.
    clusters : np.ndarray or None
        Cluster index per clip (``-1``: DBSCAN noise), if clustering was asked for.
    color_by : str
        What the PNG is coloured by (``"cluster"``, ``"label"``, ``"split"``, ``"none"``).
    reducer : str
        The visualizer's registry name.
    features : FeatureTable
        The (unstandardized) features the map was made from.
    overlay_paths : list of Path
        Generated files placed on the map, in the order of ``overlay_coords``.
    overlay_coords : np.ndarray
        ``(m, 2)`` coordinates of the overlay files (``(0, 2)`` without an overlay).
    neighbours, distances : np.ndarray
        ``(m, k)`` row indices into ``ids`` of each overlay file's nearest dataset clips,
        and their Euclidean distances in standardized feature space.
    html, png, csv : Path or None
        The files written.
    """

    ids: list[str]
    coords: np.ndarray
    labels: list[str]
    splits: list[str]
    clusters: np.ndarray | None
    color_by: str
    reducer: str
    features: FeatureTable
    overlay_paths: list[Path] = field(default_factory=list)
    overlay_coords: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    neighbours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=int))
    distances: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    html: Path | None = None
    png: Path | None = None
    csv: Path | None = None
    grid: dict[str, np.ndarray] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


def map(
    dataset,
    *,
    html: str | os.PathLike | None = "map.html",
    png: str | os.PathLike | None = None,
    features: str | Sequence[str] | None = None,
    reducer: str = "tsne",
    overlay: str | os.PathLike | None = None,
    color_by: str = "auto",
    cluster: str | None = None,
    n_clusters: int | None = None,
    k: int = 5,
    seed: int = 0,
    audio: str = "inline",
    split: str | None = None,
    pca_dims: int = 50,
    csv_path: str | os.PathLike | None = None,
    cache: bool = True,
    reducer_params: dict[str, Any] | None = None,
    title: str | None = None,
    progress: bool = False,
) -> MapResult:
    """Map a dataset's clips in 2-D and write an interactive HTML page and/or a PNG.

    Parameters
    ----------
    dataset : path-like or pysynth.dataset.Dataset
        A curated dataset folder.
    html : path-like or None
        Where to write the self-contained HTML page (``None``: no page).
    png : path-like or None
        Where to write a PNG scatter (for ``reducer="som"``: the U-matrix grid).
    features : str or list of str, optional
        Feature groups to use (default all): ``mfcc``, ``spectral``, ``rms``, ``zcr``,
        ``logmel``; a comma-separated string or a list.
    reducer : str
        A registered visualizer: ``tsne`` (default), ``pca``, ``umap`` (needs the extra
        ``pysynth[umap]``), ``som``, or a plugin's.
    overlay : path-like, optional
        A folder of generated audio files to place on the same map. Each is linked to
        its ``k`` nearest dataset clips; the neighbours go to a CSV.
    color_by : str
        ``auto`` (cluster if clustering, else label if there are several, else split),
        ``cluster``, ``label``, ``split`` or ``none``. The page can switch between them.
    cluster : {"kmeans", "dbscan"} or None
        Cluster the clips (in the standardized, PCA-reduced feature space) for colours.
    n_clusters : int, optional
        For k-means; default ``min(8, max(2, round(sqrt(n / 2))))``.
    k : int
        Nearest dataset clips listed per overlay file.
    seed : int
        Seeds the reducer, the clustering and the SOM jitter: same seed, same map.
    audio : {"inline", "relative", "none"}
        ``inline`` embeds every clip as a base64 WAV data URI (the page works anywhere,
        but is about 1.4 x the audio's size); ``relative`` links the files relative to
        the page (for big sets; keep the page next to the dataset); ``none`` no audio.
    split : str, optional
        Map only one split (``train``, ``validation``, ``test``).
    pca_dims : int
        Standardized features are reduced to this many dimensions with PCA before a
        non-linear reducer (t-SNE, UMAP, SOM); this keeps 20 000-clip maps fast.
    csv_path : path-like, optional
        Where to write the overlay neighbours (default: next to the page or PNG, named
        ``<stem>-neighbours.csv``).
    cache : bool
        Use and update the feature cache ``DATASET/.cache/features.npz``.
    reducer_params : dict, optional
        Extra keyword arguments for the visualizer (e.g. ``{"perplexity": 10}``).
    title : str, optional
        Page and figure title (default: the dataset folder's name).
    progress : bool
        Show progress bars (tqdm, on stderr) while computing features.

    Returns
    -------
    MapResult

    Raises
    ------
    DatasetError
        The dataset is missing, empty, or has fewer than two clips (in ``split``).
    ParameterError
        A bad option (the message names it), an empty overlay folder, or UMAP asked for
        without umap-learn installed.
    UnknownNameError
        An unknown reducer name (the message lists the known ones).

    Examples
    --------
    >>> res = pysynth.map("dataset", html="map.html", reducer="pca")   # doctest: +SKIP
    >>> res.coords.shape                                                 # doctest: +SKIP
    (120, 2)
    """
    from .dataset import Dataset
    from .registry import visualizers

    # -- check every option before any work --------------------------------------------
    groups = parse_groups(features)
    if color_by not in COLOR_BY:
        raise ParameterError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    if cluster is not None and cluster not in CLUSTERINGS:
        raise ParameterError(
            f"cluster must be one of {', '.join(CLUSTERINGS)} or None, got {cluster!r}"
        )
    if color_by == "cluster" and cluster is None:
        cluster = "kmeans"
    if n_clusters is not None and (not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1):
        raise ParameterError(f"n_clusters must be a positive integer, got {n_clusters!r}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"k must be a positive integer, got {k!r}")
    if audio not in AUDIO_MODES:
        raise ParameterError(f"audio must be one of {', '.join(AUDIO_MODES)}, got {audio!r}")
    if not isinstance(pca_dims, (int, np.integer)) or pca_dims < 2:
        raise ParameterError(f"pca_dims must be an integer >= 2, got {pca_dims!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ParameterError(f"seed must be an integer, got {seed!r}")
    reducer_cls = visualizers.get(reducer)
    try:  # reducers do no work in __init__, so a bad parameter shows up here, early
        red = reducer_cls(seed=seed, **(reducer_params or {}))
    except TypeError as exc:
        raise ParameterError(f"reducer_params for reducer {reducer!r}: {exc}") from None
    overlay_files = _overlay_files(overlay) if overlay is not None else []
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    clips = ds.clips(split)
    where = f" in split {split!r}" if split else ""
    if len(clips) < 2:
        raise DatasetError(
            f"{ds.root}: a map needs at least 2 clips{where}, found {len(clips)}"
        )
    min_points = getattr(reducer_cls, "min_points", 2)
    if len(clips) < min_points:
        raise DatasetError(
            f"{ds.root}: reducer {reducer!r} needs at least {min_points} clips{where}, "
            f"found {len(clips)}"
        )

    # -- features ----------------------------------------------------------------------
    bar = _progress_factory(progress)
    full = dataset_features(ds, clips, cache=cache, progress=bar("features"))
    table = full.select(groups)
    over_full = (
        file_features(overlay_files, sr=ds.sample_rate, progress=bar("overlay features"))
        if overlay_files else None
    )
    over_table = over_full.select(groups) if over_full is not None else None

    # small inputs run on one BLAS/OpenMP thread (see visualizers.base.limit_threads)
    with limit_threads(len(clips)):
        # -- standardize (statistics of the dataset only), then PCA pre-reduction ----------
        X = table.values
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std < 1e-12] = 1.0
        Z = (X - mean) / std
        Zo = (over_table.values - mean) / std if over_table is not None else None
        R, Ro = Z, Zo
        if reducer != "pca" and Z.shape[1] > pca_dims:
            from sklearn.decomposition import PCA

            with np.errstate(invalid="ignore", divide="ignore"):  # identical clips: 0 / 0
                pca = PCA(n_components=min(pca_dims, *Z.shape), random_state=seed).fit(Z)
            R = pca.transform(Z)
            Ro = pca.transform(Zo) if Zo is not None else None

        # -- 2-D layout --------------------------------------------------------------------
        if progress:
            m = f" + {len(overlay_files)} generated" if overlay_files else ""
            _say(f"laying out {len(clips)}{m} clips with {reducer}")
        if Ro is not None and not getattr(red, "supports_transform", False):
            both = red.fit(np.vstack([R, Ro])).embedding_
            coords, ocoords = both[: len(R)], both[len(R):]
        else:
            coords = np.asarray(red.fit(R).embedding_, dtype=np.float64)
            ocoords = red.transform(Ro) if Ro is not None else np.zeros((0, 2))
        coords = np.asarray(coords, dtype=np.float64)
        ocoords = np.asarray(ocoords, dtype=np.float64).reshape(-1, 2)
        grid = None
        if hasattr(red, "umatrix_") and hasattr(red, "hits_"):
            grid = {"umatrix": np.asarray(red.umatrix_), "hits": np.asarray(red.hits_)}

        clusters = _cluster(R, cluster, n_clusters, seed) if cluster else None
        labels = [c.label or "" for c in clips]
        splits = [c.split for c in clips]
        if color_by == "auto":
            color_by = "cluster" if clusters is not None else (
                "label" if len(set(labels)) > 1 else "split"
            )

        # -- overlay neighbours ------------------------------------------------------------
        if Zo is not None:
            from sklearn.neighbors import NearestNeighbors

            kk = min(int(k), len(Z))
            nn = NearestNeighbors(n_neighbors=kk).fit(Z)
            distances, neighbours = nn.kneighbors(Zo)
        else:
            distances, neighbours = np.zeros((0, 0)), np.zeros((0, 0), dtype=int)

    result = MapResult(
        ids=[c.id for c in clips], coords=coords, labels=labels, splits=splits,
        clusters=clusters, color_by=color_by, reducer=reducer, features=table,
        overlay_paths=overlay_files, overlay_coords=ocoords, neighbours=neighbours,
        distances=distances, grid=grid,
    )
    title = title or f"{Path(ds.root).resolve().name}: {reducer} map of {len(clips)} clips"
    if overlay_files:
        csv_out = csv_path or _default_csv(html, png)
        if csv_out is not None:
            result.csv = write_neighbours_csv(result, ds, clips, csv_out)
    if png is not None:
        from .mapplot import render_png

        result.png = render_png(result, png, title=title)
    if html is not None:
        from .mappage import render_html

        if audio == "inline":
            size = sum(ds.path(c).stat().st_size for c in clips)
            if size > INLINE_WARN_BYTES:
                warnings.warn(
                    f"embedding {size / 1e6:.0f} MB of audio in {html}; browsers may be slow "
                    "to open it: audio='relative' (--audio relative) links the files instead",
                    stacklevel=2,
                )

        result.html = render_html(
            result, ds, clips, html, audio=audio, title=title, full=full,
            overlay_full=over_full,
        )
    return result


def _overlay_files(folder: str | os.PathLike) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"overlay must be a folder of audio files, got {str(folder)!r}")
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
    )
    if not files:
        raise ParameterError(
            f"overlay folder {str(folder)!r} has no audio files ({', '.join(AUDIO_EXTENSIONS)})"
        )
    return files


def _progress_factory(enabled: bool):
    def make(desc: str):
        if not enabled:
            return None

        def wrap(it):
            from tqdm import tqdm

            return tqdm(it, desc=desc, unit="clip", leave=False)

        return wrap

    return make


def _say(msg: str) -> None:
    import sys

    print(f"pysynth map: {msg}", file=sys.stderr, flush=True)


def _cluster(R: np.ndarray, method: str, n_clusters: int | None, seed: int) -> np.ndarray:
    n = len(R)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        c = n_clusters or min(8, max(2, round(np.sqrt(n / 2))))
        c = min(c, len(np.unique(R, axis=0)))  # no more clusters than distinct clips
        return KMeans(n_clusters=c, n_init=10, random_state=seed).fit_predict(R).astype(int)
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    min_samples = min(5, n)
    # eps from the data: the 90th percentile of each point's distance to its
    # min_samples-th neighbour, so dense regions form clusters and outliers are noise
    dist, _ = NearestNeighbors(n_neighbors=min_samples).fit(R).kneighbors(R)
    eps = float(np.percentile(dist[:, -1], 90)) or 1e-6
    return DBSCAN(eps=eps, min_samples=min_samples).fit_predict(R).astype(int)


def _default_csv(html, png) -> Path | None:
    base = html if html is not None else png
    if base is None:
        return None
    base = Path(base)
    return base.with_name(f"{base.stem}-neighbours.csv")


def write_neighbours_csv(result: MapResult, ds, clips, path: str | os.PathLike) -> Path:
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
