"""PNG pictures of a map (matplotlib, Agg backend): a coloured scatter, or a SOM U-matrix."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from .colors import MATPLOTLIB_MARKERS, categories, model_marker, palette

#: Categories beyond this many share the legend's last entry ("other").
MAX_LEGEND = 20


def render_png(result, path: str | os.PathLike, *, title: str = "", dpi: int = 120) -> Path:
    """Draw the map (or, for a SOM, its U-matrix with hit counts) and save it atomically."""
    # a bare Figure renders with the Agg canvas: no pyplot, no GUI backend, no global state
    from matplotlib.figure import Figure

    names, idx = categories(result, result.color_by)
    colors = palette(len(names))
    fig = Figure(figsize=(9, 7.5), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    xy = result.coords
    size = float(np.clip(2000 / max(len(xy), 1), 3, 40))
    if result.grid is not None:
        _draw_grid(fig, ax, result.grid)
    # augmented copies: small rings in their category's colour, behind the originals
    copy = (np.asarray(result.copy_of) >= 0 if len(result.copy_of) == len(xy)
            else np.zeros(len(xy), dtype=bool))
    if copy.any():
        ax.scatter(xy[copy, 0], xy[copy, 1], s=size * 0.6, facecolors="none",
                   edgecolors=[colors[k] if k < MAX_LEGEND else "#999999"
                               for k in idx[copy]],
                   linewidths=0.8, alpha=0.6, label=f"augmented copies ({copy.sum()})")
    for ci, name in enumerate(names[:MAX_LEGEND]):
        sel = (idx == ci) & ~copy
        ax.scatter(xy[sel, 0], xy[sel, 1], s=size, c=colors[ci], label=f"{name} ({sel.sum()})",
                   alpha=0.8, linewidths=0)
    if len(names) > MAX_LEGEND:
        sel = (idx >= MAX_LEGEND) & ~copy
        ax.scatter(xy[sel, 0], xy[sel, 1], s=size, c="#999999", alpha=0.8, linewidths=0,
                   label=f"{len(names) - MAX_LEGEND} more ({sel.sum()})")
    o = result.overlay_coords
    if len(o):
        for i in range(len(o)):
            for j in result.neighbours[i]:
                ax.plot([o[i, 0], xy[j, 0]], [o[i, 1], xy[j, 1]], color="#444444", lw=0.5,
                        alpha=0.5, zorder=2)
        # one marker per model, as on the page
        of = (list(result.overlay_models) if len(result.overlay_models) == len(o)
              else ["generated"] * len(o))
        for k, model in enumerate(sorted(set(of))):
            sel = np.array([m == model for m in of])
            shape, fill = model_marker(k)
            ax.scatter(o[sel, 0], o[sel, 1], s=max(size * 2, 30), marker=MATPLOTLIB_MARKERS[shape],
                       c=fill, edgecolors="black", linewidths=0.8, zorder=3,
                       label=f"{model} ({sel.sum()})")
    if title:
        ax.set_title(title)
    what = {"cluster": "cluster", "label": "label", "split": "split"}.get(result.color_by, "")
    ax.legend(title=what or None, loc="best", fontsize="small", markerscale=max(1, 20 / size))
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _draw_grid(fig, ax, grid) -> None:
    umatrix, hits = grid["umatrix"], grid["hits"]
    rows, cols = umatrix.shape
    extent = (-0.5, cols - 0.5, -0.5, rows - 0.5)
    im = ax.imshow(umatrix, cmap="bone_r", origin="lower", extent=extent, zorder=0)
    fig.colorbar(im, ax=ax, label="U-matrix (distance to neighbouring cells)", shrink=0.8)
    fontsize = float(np.clip(120 / max(rows, cols), 4, 10))
    for r in range(rows):
        for c in range(cols):
            if hits[r, c]:
                ax.text(c, r + 0.38, str(int(hits[r, c])), ha="center", va="top",
                        fontsize=fontsize, color="#b00000", zorder=4)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(-0.5, rows - 0.5)
    ax.set_aspect("equal")
