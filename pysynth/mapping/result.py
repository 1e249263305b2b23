"""What :func:`pysynth.map` returns: the layout, the colourings' inputs and the files written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .features import FeatureTable


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
    grid : dict or None
        ``umatrix`` and ``hits`` ``(rows, cols)`` arrays of a reducer with a grid (SOM).
    copy_of : np.ndarray
        ``(n,)``: for an augmented copy, the row of the clip it was made from; -1 for an
        original (augmented copies are hidden on the page and never listed as neighbours).
    overlay_models : list of str
        The model each overlay file came from, read from its name
        (:func:`pysynth.mapping.overlay.model_of`).
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
    copy_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    overlay_models: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)
