"""Mapping: lay a dataset's clips (and generated clips) out in 2-D, as a page and a picture.

``features`` computes and caches per-clip audio features, ``space`` standardizes and
PCA-reduces them, a reducer from ``visualizers`` (the ``visualizers`` registry) places them,
``clusters`` and ``overlay`` add colours and generated clips, and ``picture`` and ``page``
write the PNG and the HTML page. :func:`map` (``pysynth.map``) runs these steps in order.
``layout`` saves a t-SNE map in the dataset so later overlays land on it; ``selection``
copies the clips selected on the page out into a folder.
"""

from __future__ import annotations

from .features import FEATURE_NAMES, FeatureTable, clip_features, dataset_features, file_features
from .pipeline import map
from .result import MapResult
from .selection import copy_selection, read_selection
from .visualizers.base import Reducer

__all__ = [
    "FEATURE_NAMES",
    "FeatureTable",
    "MapResult",
    "Reducer",
    "clip_features",
    "copy_selection",
    "dataset_features",
    "file_features",
    "map",
    "read_selection",
]
