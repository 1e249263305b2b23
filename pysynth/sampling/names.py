"""How generated clips are named, ``{prefix}-seed{seed}-{i:03d}[-{label}].wav``: written by
``pysynth sample`` and ``pysynth pick``, read back by ``pysynth score``, ``evaluate`` and
``pick`` (a conditioned model's clip carries its class in the last token)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["clip_name", "label_in_name"]


def clip_name(prefix: str, seed: int, i: int, cond: np.ndarray | None, names: Sequence[str]) -> str:
    """The file name of generated clip ``i``: ``-{label}`` of its class appended (``-{id}``
    for a class the model does not name; nothing for an unconditioned model)."""
    suffix = ""
    if cond is not None:
        c = int(cond[i])
        name = names[c] if c < len(names) else ""
        # a label is a name in the user's words ("hi-hat"): kept as it is, but for characters
        # a file name cannot hold everywhere
        suffix = "-" + ("".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in name)
                        or str(c))
    return f"{prefix}-seed{seed}-{i:03d}{suffix}.wav"


def label_in_name(path: Path, known: Sequence[str]) -> str | None:
    """The label a clip's path names, among ``known``: its folder's name, else the longest
    known label its file name ends with after a "-" (labels may hold "-": "hi-hat")."""
    path = Path(path)
    if path.parent.name in known:
        return path.parent.name
    ends = [lab for lab in known if lab and path.stem.endswith("-" + lab)]
    return max(ends, key=len) if ends else None
