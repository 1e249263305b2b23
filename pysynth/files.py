"""File I/O shared by every stage: atomic writes, the JSON/YAML files users write, and
finding the audio files in a folder.

Every output pysynth writes goes through :func:`atomic_write_bytes` or
:func:`atomic_write_with` (a temporary file in the same folder, then a rename), so a crash or
Ctrl-C leaves either the old file or the new one, never half of one; new files get the
permissions an ordinary ``open()`` gives.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ParameterError

#: File extensions pysynth looks for when scanning a folder of sounds.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")

__all__ = [
    "AUDIO_EXTENSIONS",
    "atomic_write_bytes",
    "atomic_write_with",
    "audio_files",
    "read_json_or_yaml",
    "write_json",
]


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise ParameterError(f"cannot write {path}: it is a folder; give a file name")


def _umask_mode() -> int:
    """The permission bits an ordinary ``open()`` would give a new file (0666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_with(path: str | os.PathLike, write: Callable[[str], None], *,
                      suffix: str = ".tmp") -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file onto ``path``.

    For writers that want a file name rather than bytes (soundfile, for example). The
    temporary file lies in the same folder (so the rename is atomic) and is removed if
    ``write`` raises.
    """
    path = Path(path)
    _refuse_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600 files; behave like open()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    ``fsync=False`` skips flushing to disk before the rename, for many small files whose
    loss in a crash is harmless (e.g. curated clips, listed by a manifest written last).
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())

    return atomic_write_with(path, write)


def write_json(path: str | os.PathLike, data: Any, *, sort_keys: bool = True) -> Path:
    """Write ``data`` as indented JSON (with a final newline), atomically."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def read_json_or_yaml(path: str | os.PathLike, *, what: str) -> Any:
    """Parse ``path`` as YAML if it ends in ``.yaml``/``.yml``, else as JSON.

    One reader for the small files users write by hand (recipes, training configs), so that
    each is parsed, and each failure reported, the same way.

    Parameters
    ----------
    path : path-like
        The file to read (UTF-8).
    what : str
        What the file is ("recipe", "config"), the first word of error messages.

    Raises
    ------
    ParameterError
        If the file is missing or does not parse; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{what} {str(path)!r}: no such file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:
        raise ParameterError(f"{what} {str(path)!r}: not valid JSON/YAML ({exc})") from None


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def audio_files(folder: str | os.PathLike, *, recursive: bool = True,
                exclude: str | os.PathLike | None = None) -> list[Path]:
    """The audio files in ``folder`` (extensions in :data:`AUDIO_EXTENSIONS`, any case),
    sorted by path, skipping hidden files and folders (such as unfinished outputs, whose
    temporary names start with a dot) and anything under ``exclude``.
    """
    folder = Path(folder)
    excl = Path(exclude).resolve() if exclude is not None else None
    found = []
    for p in sorted(folder.rglob("*") if recursive else folder.iterdir()):
        if not p.is_file() or p.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        if _hidden(p.relative_to(folder)):
            continue
        if excl is not None:
            rp = p.resolve()
            if rp == excl or excl in rp.parents:
                continue
        found.append(p)
    return found
