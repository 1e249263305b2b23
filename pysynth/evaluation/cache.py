"""The reference's cache inside a dataset folder: per-clip embeddings and facts, and the
baselines (Fréchet floor and ceiling, the real clips' class score) derived from them.

Rows are keyed like the map's feature cache (each clip's checksum, path and file size), so a
second evaluation against the same dataset (every few epochs during training) reads the
reference instead of decoding it; a changed clip is recomputed. A folder of loose audio
files is not cached, and a read-only dataset is evaluated without writing one.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes, write_json
from .embedding import EMBEDDING_NAMES, EMBEDDING_VERSION, FACT_NAMES, embed_all
from .sources import Reference

FEATURES_FILE = Path(".cache") / "evaluation.npz"
BASELINES_FILE = Path(".cache") / "evaluation-baselines.json"
_KEEP_BASELINES = 32  # entries kept: a few sizes of generated sets, a few seeds


def reference_features(ref: Reference, *, progress: Callable | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings and facts of every reference clip, from the dataset's cache where valid."""
    n = len(ref)
    emb = np.zeros((n, len(EMBEDDING_NAMES)))
    facts = np.zeros((n, len(FACT_NAMES)))
    have = np.zeros(n, dtype=bool)
    path = None if ref.keys is None else Path(ref.dataset.root) / FEATURES_FILE
    if path is not None:
        cached = _read(path, ref.sample_rate)
        if cached is not None:
            where = {k: i for i, k in enumerate(cached[0])}
            for i, k in enumerate(ref.keys):
                j = where.get(k)
                if j is not None:
                    emb[i], facts[i], have[i] = cached[1][j], cached[2][j], True
    todo = np.flatnonzero(~have)
    if todo.size:
        e, f = embed_all([ref.loaders[i] for i in todo], ref.sample_rate, progress=progress)
        emb[todo], facts[todo] = e, f
        if path is not None:
            _write(path, ref.sample_rate, ref.keys, emb, facts)
    return emb, facts


def baseline_key(ref: Reference, *parts) -> str | None:
    """A key naming one baseline of this exact reference (None: not cacheable)."""
    if ref.keys is None:
        return None
    h = hashlib.sha256("\n".join(ref.keys).encode()).hexdigest()[:16]
    return "|".join([h, f"v{EMBEDDING_VERSION}", str(ref.sample_rate), *map(str, parts)])


def cached_baseline(ref: Reference, key: str | None, compute: Callable[[], dict]) -> dict:
    """The baseline stored under ``key``, or ``compute()`` stored there (JSON-safe dict)."""
    if key is None:
        return compute()
    path = Path(ref.dataset.root) / BASELINES_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(stored, dict):
            stored = {}
    except (OSError, ValueError):  # missing or corrupt: it is only a cache
        stored = {}
    if key in stored:
        return stored[key]
    value = compute()
    stored.pop(key, None)
    stored[key] = value
    stored = dict(list(stored.items())[-_KEEP_BASELINES:])
    try:
        write_json(path, stored, sort_keys=False)
    except OSError as exc:
        warnings.warn(f"could not write the evaluation cache {path} ({exc})", stacklevel=3)
    return value


def _read(path: Path, sr: int):
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != EMBEDDING_VERSION or int(z["sample_rate"]) != sr:
                return None
            return ([str(k) for k in z["keys"]], np.asarray(z["embedding"], dtype=np.float64),
                    np.asarray(z["facts"], dtype=np.float64))
    except Exception:  # a corrupt cache is only a cache: recompute
        return None


def _write(path: Path, sr: int, keys: list[str], emb: np.ndarray, facts: np.ndarray) -> None:
    buf = io.BytesIO()
    np.savez(buf, version=np.int64(EMBEDDING_VERSION), sample_rate=np.int64(sr),
             keys=np.array(keys), embedding=emb, facts=facts)
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        warnings.warn(f"could not write the evaluation cache {path} ({exc})", stacklevel=3)
