"""The clips a listener selected on the map page and exported (``selection.json``), and copying
them out into a folder (``pysynth map DATASET --selection selection.json --copy-to OUT``)."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..errors import ParameterError
from ..files import atomic_write_bytes, read_json_or_yaml

#: The ``format`` the page's "Export selection" writes (see templates/map.html).
SELECTION_FORMAT = "pysynth-map-selection"


def read_selection(path: str | os.PathLike) -> dict:
    """``{"dataset": str, "clips": [{"id", "path", ...}], "generated": [{"id", "path", ...}]}``
    from a selection the map page exported.

    Raises
    ------
    ParameterError
        Not a selection file, or an entry without a path, or a dataset clip's path that
        leaves the dataset folder.
    """
    data = read_json_or_yaml(path, what="selection")
    if not isinstance(data, dict) or data.get("format") != SELECTION_FORMAT:
        raise ParameterError(f"selection {str(path)!r} is not a selection exported by the map "
                             f"page (format {SELECTION_FORMAT!r})")
    for key in ("clips", "generated"):
        items = data.get(key, [])
        if not isinstance(items, list) or not all(
                isinstance(it, dict) and isinstance(it.get("path"), str) and it["path"]
                for it in items):
            raise ParameterError(f"selection {str(path)!r}: {key!r} must be a list of "
                                 "entries with a 'path'")
        data[key] = items
    for it in data["clips"]:
        p = PurePosixPath(it["path"])
        if p.is_absolute() or ".." in p.parts:  # a dataset clip is always inside the dataset
            raise ParameterError(f"selection {str(path)!r}: clip path {it['path']!r} is not "
                                 "inside the dataset")
    return data


def copy_selection(selection: str | os.PathLike, out: str | os.PathLike, *,
                   dataset: str | os.PathLike | None = None) -> list[Path]:
    """Copy the selected clips (dataset clips and generated files) into ``out``, byte for
    byte, atomically, each under its own file name; nothing is changed where they come from.

    Parameters
    ----------
    selection : path-like
        A ``selection.json`` exported by the map page.
    out : path-like
        The folder to copy into (made if missing).
    dataset : path-like, optional
        The dataset folder (default: the one the selection names), for a moved dataset.

    Returns
    -------
    list of Path
        The files written, dataset clips first.

    Raises
    ------
    ParameterError
        A bad selection, an empty one, a selected file that is missing, or two selected
        files with the same name.
    """
    sel = read_selection(selection)
    root = Path(dataset if dataset is not None else sel.get("dataset") or ".")
    sources = [root / it["path"] for it in sel["clips"]] + [Path(it["path"])
                                                            for it in sel["generated"]]
    if not sources:
        raise ParameterError(f"selection {str(selection)!r} selects no clip: nothing to copy")
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise ParameterError(f"{len(missing)} selected file(s) are missing: "
                             f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    names = [p.name for p in sources]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(f"selected files share a name ({', '.join(twice[:5])}): they "
                             "would overwrite each other in one folder")
    out = Path(out)
    if any(p.parent.resolve() == out.resolve() for p in sources):
        raise ParameterError("the output folder holds selected clips; give another one")
    return [atomic_write_bytes(out / p.name, p.read_bytes(), fsync=False) for p in sources]
