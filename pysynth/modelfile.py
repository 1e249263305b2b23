"""The model file: what ``pysynth export`` writes and ``pysynth sample`` reads.

A model file is a safetensors file holding named float32 tensors plus a JSON metadata
header: the format name and version, the architecture's *program* (a plain-JSON
description of the computation, see docs/architecture.md) and a SHA-256 of every
tensor's bytes. It is readable with numpy and safetensors alone (no TensorFlow), and
loading verifies the version and integrity so that a truncated or tampered file gives a
clear :class:`~pysynth.errors.ModelFileError` instead of a crash or silent noise.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelFileError

FORMAT_NAME = "pysynth-model"
FORMAT_VERSION = 1


@dataclass
class ModelFile:
    """A loaded model: the architecture's program and its named float32 tensors.

    Attributes
    ----------
    program : dict
        JSON-able description; ``program["family"]`` names the architecture family
        (``"wavenet"``, ``"samplernn"`` or a third-party name) that interprets it.
    tensors : dict[str, np.ndarray]
        Named arrays (float32 for weights; int arrays allowed for tables of indices).
    metadata : dict
        Free-form provenance (training run, epoch, validation NLL, dataset...).
    """

    program: dict[str, Any]
    tensors: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def family(self) -> str:
        return str(self.program.get("family", ""))

    @property
    def sample_rate(self) -> int:
        return int(self.program["sample_rate"])


def _digest(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_model(
    path: str | os.PathLike,
    program: dict[str, Any],
    tensors: dict[str, np.ndarray],
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a model file atomically and return its path."""
    from safetensors.numpy import save

    from .files import atomic_write_bytes

    if "family" not in program:
        raise ModelFileError("program must name its 'family'")
    clean: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        a = np.ascontiguousarray(value)
        if a.dtype.kind == "f":
            a = a.astype(np.float32, copy=False)
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"tensor {name!r} contains NaN or infinite values")
        clean[name] = a
    header = {
        "format": FORMAT_NAME,
        "version": str(FORMAT_VERSION),
        "program": json.dumps(program, sort_keys=True),
        "metadata": json.dumps(metadata or {}, sort_keys=True, default=str),
        "sha256": _digest(clean),
    }
    path = Path(path)
    atomic_write_bytes(path, save(clean, metadata=header))
    return path


def load_model(path: str | os.PathLike) -> ModelFile:
    """Read and verify a model file.

    Raises
    ------
    ModelFileError
        Missing or empty file, not a pysynth model file, another format version,
        truncated data or a checksum mismatch, NaN weights.
    """
    from safetensors import safe_open
    from safetensors.numpy import load

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelFileError(
            f"{path}: is a folder; pass the model file (made by `pysynth export RUN -o MODEL`)"
        )
    raw = path.read_bytes()
    if len(raw) < 8:
        raise ModelFileError(f"{path}: file is too short to be a pysynth model file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            header = f.metadata() or {}
        tensors = load(raw)
    except Exception as exc:
        raise ModelFileError(
            f"{path}: not a readable pysynth model file (truncated or corrupt?): {exc}"
        ) from None
    if header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a pysynth model file (no '{FORMAT_NAME}' header)")
    version = header.get("version")
    if version != str(FORMAT_VERSION):
        raise ModelFileError(
            f"{path}: model file format version {version} is not supported by this pysynth "
            f"(which reads version {FORMAT_VERSION}); re-export the model with this version"
        )
    if _digest(tensors) != header.get("sha256"):
        raise ModelFileError(f"{path}: checksum mismatch: the file was modified or damaged")
    try:
        program = json.loads(header["program"])
        metadata = json.loads(header.get("metadata", "{}"))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: damaged program header ({exc})") from None
    for name, a in tensors.items():
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ModelFileError(f"{path}: tensor {name!r} contains NaN or infinite values")
    return ModelFile(program=program, tensors=tensors, metadata=metadata, path=path)
