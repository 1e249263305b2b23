"""A dataset's saved map layout (``DATASET/.cache/layouts/``), so that every later batch of
generated clips lands on the same map without laying the dataset out again."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from .features import FEATURE_VERSION

#: Folder of saved layouts, relative to the dataset root (one file per set of settings).
LAYOUT_DIR = Path(".cache") / "layouts"


def layout_key(*, reducer: str, params: dict | None, seed: int, groups, pca_dims: int,
               clips) -> str:
    """A hash of everything a layout depends on: the reducer and its settings, the feature
    groups and PCA size, and each mapped clip (its checksum and path, in order)."""
    what = {
        "reducer": reducer, "params": params or {}, "seed": int(seed), "groups": list(groups),
        "pca_dims": int(pca_dims), "features": FEATURE_VERSION,
        "clips": [f"{c.checksum}|{c.path}" for c in clips],
    }
    text = json.dumps(what, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def layout_path(root, key: str) -> Path:
    """Where the layout of ``key`` is saved in the dataset at ``root``."""
    return Path(root) / LAYOUT_DIR / f"{key[:24]}.npz"


def read_layout(root, key: str, n: int) -> np.ndarray | None:
    """The saved ``(n, 2)`` layout of ``key``, or None (none saved, or unreadable)."""
    path = layout_path(root, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key or z["coords"].shape != (n, 2):
                return None
            return np.asarray(z["coords"], dtype=np.float64)
    except Exception:  # a corrupt cache is only a cache: lay the map out again
        return None


def save_layout(root, key: str, coords: np.ndarray) -> Path | None:
    """Save a layout atomically; a read-only dataset only gets a warning (None returned)."""
    buf = io.BytesIO()
    np.savez(buf, key=np.array(key), coords=np.asarray(coords, dtype=np.float64))
    path = layout_path(root, key)
    try:
        return atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        warnings.warn(f"could not save the map layout {path} ({exc})", stacklevel=3)
        return None
