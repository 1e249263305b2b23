"""The marks a listener exported from the audition page, and copying the clips marked
"keep" out of the pick's folder (``pysynth pick FOLDER --marks marks.json -o OUT``)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ParameterError
from ..files import atomic_write_bytes, read_json_or_yaml
from ..words import count
from .page import MARKS_FORMAT


def read_marks(path: str | os.PathLike) -> dict[str, list[str]]:
    """``{"keep": [file names], "discard": [...]}`` from a marks file the page exported.

    Raises
    ------
    ParameterError
        Not a marks file (wrong format name, missing lists, names that are not plain file
        names).
    """
    data = read_json_or_yaml(path, what="marks")
    if not isinstance(data, dict) or data.get("format") != MARKS_FORMAT:
        raise ParameterError(f"marks {str(path)!r} is not a marks file exported by the audition "
                             f"page (format {MARKS_FORMAT!r})")
    out = {}
    for key in ("keep", "discard"):
        names = data.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ParameterError(f"marks {str(path)!r}: {key!r} must be a list of file names")
        for n in names:
            # the page only ever lists files beside it: refuse anything that points elsewhere
            if not n or Path(n).name != n or n in (".", ".."):
                raise ParameterError(f"marks {str(path)!r}: {n!r} is not a plain file name")
        out[key] = names
    return out


def copy_marked(folder: str | os.PathLike, marks: str | os.PathLike,
                out: str | os.PathLike) -> list[Path]:
    """Copy the clips of ``folder`` marked "keep" in the marks file into ``out`` (byte for
    byte, atomically; the folder is not changed). Returns the paths written.

    Raises
    ------
    ParameterError
        A bad marks file, no clip marked keep, a marked clip missing from ``folder``, or
        ``out`` the same folder.
    """
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise ParameterError(f"{str(folder)!r} is not a folder of clips (the folder the "
                             "audition page is in)")
    keep = read_marks(marks)["keep"]
    if not keep:
        raise ParameterError(f"marks {str(marks)!r} marks no clip keep: nothing to copy")
    if out.resolve() == folder.resolve():
        raise ParameterError("the output folder is the folder of clips; give another one")
    missing = [n for n in keep if not (folder / n).is_file()]
    if missing:
        raise ParameterError(f"{count(len(missing), 'marked clip')} not in {str(folder)!r}: "
                             f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    return [atomic_write_bytes(out / n, (folder / n).read_bytes(), fsync=False) for n in keep]
