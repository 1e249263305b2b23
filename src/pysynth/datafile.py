"""Reading the small JSON/YAML files users write by hand: recipes and training configs.

One reader, so that every such file is parsed the same way (YAML for ``.yaml``/``.yml``,
JSON otherwise) and a missing or malformed file is reported the same way, naming it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import ParameterError


def read_json_or_yaml(path: str | os.PathLike, *, what: str) -> Any:
    """Parse ``path`` as YAML if it ends in ``.yaml``/``.yml``, else as JSON.

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
