"""The map's colourings: which category each clip falls in, a colour per category, and the
marker of each model's generated clips (the same on the page and in the PNG)."""

from __future__ import annotations

import numpy as np


def categories(result, color_by: str) -> tuple[list[str], np.ndarray]:
    """Category names and each clip's category index for one colouring of a map.

    ``color_by`` is ``"cluster"``, ``"label"``, ``"split"`` or ``"none"``. Categories are
    sorted (clusters numerically, DBSCAN noise last as ``"noise"``).
    """
    n = len(result.ids)
    if color_by == "cluster" and result.clusters is not None:
        values = [int(c) for c in result.clusters]
        uniq = sorted(set(values), key=lambda c: (c < 0, c))
        names = ["noise" if c < 0 else f"cluster {c}" for c in uniq]
        index = {c: i for i, c in enumerate(uniq)}
        return names, np.array([index[v] for v in values], dtype=int)
    if color_by in ("label", "split"):
        values = result.labels if color_by == "label" else result.splits
        names = sorted(set(values))
        index = {v: i for i, v in enumerate(names)}
        shown = [v if v else "(no label)" for v in names]
        return shown, np.array([index[v] for v in values], dtype=int)
    return ["clips"], np.zeros(n, dtype=int)


def palette(n: int) -> list[str]:
    """``n`` distinguishable colours as ``#rrggbb`` (tab10, then tab20, then hsv)."""
    import matplotlib as mpl

    if n <= 10:
        cmap, m = mpl.colormaps["tab10"], 10
        return [mpl.colors.to_hex(cmap(i / m + 1e-9)) for i in range(n)]
    if n <= 20:
        cmap = mpl.colormaps["tab20"]
        return [mpl.colors.to_hex(cmap(i / 20 + 1e-9)) for i in range(n)]
    cmap = mpl.colormaps["hsv"]
    return [mpl.colors.to_hex(cmap(i / n)) for i in range(n)]


#: Generated clips' markers, one per model in turn (the page draws these shapes itself; the PNG
#: uses :data:`MATPLOTLIB_MARKERS`), filled in turn with :data:`MODEL_FILLS`, outlined black.
MODEL_SHAPES = ("star", "diamond", "triangle", "square", "hexagon")
MODEL_FILLS = ("#ffffff", "#ffd400", "#00c8ff", "#ff5cc8", "#7ee35a", "#ff8c1a")
MATPLOTLIB_MARKERS = {"star": "*", "diamond": "D", "triangle": "^", "square": "s", "hexagon": "h"}


def model_marker(k: int) -> tuple[str, str]:
    """``(shape, fill)`` of the ``k``-th model's generated clips.

    >>> model_marker(0), model_marker(1)
    (('star', '#ffffff'), ('diamond', '#ffd400'))
    """
    return MODEL_SHAPES[k % len(MODEL_SHAPES)], MODEL_FILLS[k % len(MODEL_FILLS)]
