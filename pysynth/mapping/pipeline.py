"""``pysynth.map``: the steps from a dataset (and generated clips) to a written map.

Features per clip (cached in the dataset) are standardized, reduced to at most 50
dimensions with PCA, and laid out in 2-D by a registered visualizer (pca, tsne, umap,
som, or a plugin's). The map is written as a self-contained HTML page (hover, click or
arrow keys to play, zoom, pan, legend toggles, select and export) and optionally as a PNG;
generated clips given with ``overlay`` are placed on the dataset's own map (the same with or
without them; a t-SNE layout is saved in the dataset and reused) and linked to their
nearest dataset clips (also written as CSV).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_choice, check_int
from ..errors import DatasetError, ParameterError
from .clusters import CLUSTERINGS, cluster_clips
from .features import dataset_features, file_features, parse_groups
from .layout import layout_key, read_layout, save_layout
from .overlay import default_csv, model_of, nearest_clips, overlay_files, write_neighbours_csv
from .result import MapResult
from .space import pre_reduce, standardize
from .visualizers.base import Reducer, limit_threads

COLOR_BY = ("auto", "cluster", "label", "split", "none")
AUDIO_MODES = ("inline", "relative", "none")


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
        A folder of generated audio files to place on the dataset's map: the dataset's
        positions are the same with or without it. Each is linked to its ``k`` nearest
        original dataset clips (never augmented copies); the neighbours go to a CSV. A
        file's model is read from its name (``wavenet-03.wav``: ``wavenet``).
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
        Use and update the feature cache ``DATASET/.cache/features.npz`` and the saved
        t-SNE layouts ``DATASET/.cache/layouts/`` (so later overlays land on the same map).
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
    # every option is checked before any work
    groups = parse_groups(features)
    cluster = _check_options(color_by=color_by, cluster=cluster, n_clusters=n_clusters, k=k,
                             audio=audio, pca_dims=pca_dims, seed=seed)
    red = _make_reducer(reducer, seed, reducer_params)
    overlay_paths = overlay_files(overlay) if overlay is not None else []
    ds, clips = _open_clips(dataset, split, red, reducer)

    copy_of = copies_of(clips)
    bar = _progress_factory(progress)
    full = dataset_features(ds, clips, cache=cache, progress=bar("features"))
    over_full = (file_features(overlay_paths, sr=ds.sample_rate, progress=bar("overlay features"))
                 if overlay_paths else None)
    if over_full is not None:  # the files that could be read (the others were named)
        overlay_paths = [Path(i) for i in over_full.ids]
    table = full.select(groups)

    with limit_threads(len(clips)):  # small inputs: one BLAS/OpenMP thread (see limit_threads)
        Z, Zo = standardize(table.values,
                            over_full.select(groups).values if over_full is not None else None)
        R, Ro = pre_reduce(Z, Zo, pca_dims, seed) if red.pre_reduce else (Z, Zo)
        if progress:
            more = f" + {len(overlay_paths)} generated" if overlay_paths else ""
            _say(f"laying out {len(clips)}{more} clips with {reducer}")
        # a reducer that can reuse its layout (t-SNE) gets the one saved for these clips and
        # settings: every later overlay lands on the same map, without laying it out again
        key = (layout_key(reducer=reducer, params=reducer_params, seed=seed, groups=groups,
                          pca_dims=pca_dims if red.pre_reduce else 0, clips=clips)
               if cache and red.reuses_layout else None)
        saved = read_layout(ds.root, key, len(clips)) if key else None
        coords, ocoords = red.embed(R, Ro, layout=saved)
        if key and saved is None:
            save_layout(ds.root, key, coords)
        clusters = cluster_clips(R, cluster, n_clusters, seed) if cluster else None
        # neighbours are original clips only: five augmented copies of one clip say less
        distances, neighbours = nearest_clips(Z, Zo, k, among=np.flatnonzero(copy_of < 0))

    labels = [c.label or "" for c in clips]
    result = MapResult(
        ids=[c.id for c in clips], coords=coords, labels=labels, splits=[c.split for c in clips],
        clusters=clusters, color_by=_resolve_color_by(color_by, clusters, labels),
        reducer=reducer, features=table, overlay_paths=overlay_paths, overlay_coords=ocoords,
        neighbours=neighbours, distances=distances, grid=red.fitted_grid(), copy_of=copy_of,
        overlay_models=[model_of(p) for p in overlay_paths],
    )
    title = title or default_title(Path(ds.root).resolve().name, result)
    _write_outputs(result, ds, clips, html=html, png=png, csv_path=csv_path, audio=audio,
                   title=title, full=full, over_full=over_full)
    return result


def copies_of(clips) -> np.ndarray:
    """For each clip, the index (in ``clips``) of the clip it is an augmented copy of, or -1
    (an original, or a copy whose original is not among ``clips``)."""
    where = {c.id: i for i, c in enumerate(clips)}
    return np.array([where.get((c.lineage or {}).get("source_clip"), -1) for c in clips],
                    dtype=int)


def default_title(name: str, result: MapResult) -> str:
    """``"NAME: 45 clips (+90 augmented copies), 16 generated by 2 models (tsne map)"``."""
    from ..words import count

    n_copies = int(np.sum(result.copy_of >= 0))
    what = count(len(result) - n_copies, "clip")
    if n_copies:
        what += f" (+{count(n_copies, 'augmented copy', 'augmented copies')})"
    if len(result.overlay_paths):
        n_models = len(set(result.overlay_models))
        what += f", {len(result.overlay_paths)} generated by {count(n_models, 'model')}"
    return f"{name}: {what} ({result.reducer} map)"


def _check_options(*, color_by, cluster, n_clusters, k, audio, pca_dims, seed) -> str | None:
    """Check the plain options; return the clustering to run (``color_by="cluster"`` implies one)."""
    check_choice(color_by, "color_by", COLOR_BY, owner="map")
    check_choice(cluster, "cluster", (*CLUSTERINGS, None), owner="map")
    if n_clusters is not None:
        check_int(n_clusters, "n_clusters", lo=1, owner="map")
    check_int(k, "k", lo=1, owner="map")
    check_choice(audio, "audio", AUDIO_MODES, owner="map")
    check_int(pca_dims, "pca_dims", lo=2, owner="map")
    check_int(seed, "seed", owner="map")
    if color_by == "cluster" and cluster is None:
        return "kmeans"
    return cluster


def _make_reducer(name: str, seed: int, params: dict[str, Any] | None) -> Reducer:
    from ..registry import visualizers

    cls = visualizers.get(name)
    try:  # reducers do no work in __init__, so a bad parameter shows up here, early
        return cls(seed=seed, **(params or {}))
    except TypeError as exc:
        raise ParameterError(f"reducer_params for reducer {name!r}: {exc}") from None


def _open_clips(dataset, split: str | None, red: Reducer, name: str):
    """The dataset and the clips to map (of one ``split``), if there are enough for ``red``."""
    from ..dataset import Dataset

    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    clips = ds.clips(split)
    where = f" in split {split!r}" if split else ""
    if len(clips) < 2:
        raise DatasetError(f"{ds.root}: a map needs at least 2 clips{where}, found {len(clips)}")
    if len(clips) < red.min_points:
        raise DatasetError(
            f"{ds.root}: reducer {name!r} needs at least {red.min_points} clips{where}, "
            f"found {len(clips)}"
        )
    return ds, clips


def _resolve_color_by(color_by: str, clusters, labels: list[str]) -> str:
    """``auto``: cluster if clustered, else label if there are several, else split."""
    if color_by != "auto":
        return color_by
    if clusters is not None:
        return "cluster"
    return "label" if len(set(labels)) > 1 else "split"


def _write_outputs(result: MapResult, ds, clips, *, html, png, csv_path, audio: str, title: str,
                   full, over_full) -> None:
    """Write the neighbours CSV (with an overlay), the PNG and the page that were asked for."""
    if result.overlay_paths:
        csv_out = csv_path or default_csv(html, png)
        if csv_out is not None:
            result.csv = write_neighbours_csv(result, clips, csv_out)
    if png is not None:
        from .picture import render_png

        result.png = render_png(result, png, title=title)
    if html is not None:
        from .page import render_html

        result.html = render_html(result, ds, clips, html, audio=audio, title=title, full=full,
                                  overlay_full=over_full)


def _progress_factory(enabled: bool):
    """``make(desc)``: a wrapper that shows a bar over an iterable of clips (curate's style,
    :func:`pysynth.workers.progress_bar`), or None when progress is off."""
    from ..workers import progress_bar

    def make(desc: str):
        if not enabled:
            return None
        return lambda it: progress_bar(len(it), desc=desc, unit="clip", enabled=True,
                                       iterable=it)

    return make


def _say(msg: str) -> None:
    print(f"pysynth map: {msg}", file=sys.stderr, flush=True)
