"""The input files of a curation: every audio file under the sources given, once, with its label."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError
from ..files import audio_files


@dataclass(frozen=True)
class Input:
    """One input file."""

    path: str  # where to read it
    source: str  # how the manifest names it
    label: str  # its folder relative to the folder given ("" for a file given directly)


def as_list(sources: str | os.PathLike | Sequence[str | os.PathLike]) -> list:
    """``sources`` as a list (one path given alone is a list of one)."""
    return [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)


def find_inputs(
    sources: str | os.PathLike | Sequence[str | os.PathLike], *, exclude: Path | None = None
) -> list[Input]:
    """The audio files under ``sources`` (files or folders), sorted, each once.

    Folders are searched recursively with :func:`pysynth.files.audio_files` (the
    extensions in :data:`pysynth.files.AUDIO_EXTENSIONS`, any case, skipping hidden files
    and ``exclude``, the output folder). A file named directly is taken whatever its name.
    """
    sources = as_list(sources)
    if not sources:
        raise ParameterError("sources: give at least one file or folder of sounds")
    found: dict[Path, Input] = {}
    for src in sources:
        root = Path(src)
        if not root.exists():
            raise ParameterError(f"sources: no such file or folder {str(src)!r}")
        if root.is_file():
            found.setdefault(root.resolve(), Input(str(root), root.as_posix(), ""))
            continue
        for p in audio_files(root, exclude=exclude):
            label = p.relative_to(root).parent.as_posix()
            found.setdefault(p.resolve(), Input(str(p), p.as_posix(), "" if label == "." else label))
    return sorted(found.values(), key=lambda i: i.source)
