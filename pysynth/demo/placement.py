"""Where the generated clips land on the demo's map: the instrument of each one's nearest
dataset clips (from the neighbours CSV that ``pysynth.map(..., overlay=...)`` writes)."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import PysynthError


def neighbour_labels(csv_path: str | os.PathLike) -> dict[str, list[str]]:
    """Each generated file's name -> the labels of its nearest dataset clips, nearest first."""
    ranked: dict[str, list[tuple[int, str]]] = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ranked.setdefault(Path(row["generated"]).name, []).append(
                (int(row["rank"]), row["label"]))
    return {name: [lab for _, lab in sorted(rows)] for name, rows in ranked.items()}


def instrument_of(labels: list[str]) -> tuple[str, float]:
    """``(instrument, agreement)``: the most common label among the neighbours (a tie goes
    to the one whose clip is nearest) and the share of neighbours that have it."""
    counts = Counter(labels)
    top = max(counts.values())
    label = next(lab for lab in labels if counts[lab] == top)  # labels are nearest first
    return label, top / len(labels)


def placement(csv_path: str | os.PathLike, clips: dict[str, str | None]) -> dict[str, Any]:
    """How one model's generated clips sit among the dataset's instruments on the map.

    Parameters
    ----------
    csv_path : path-like
        The map's neighbours CSV (``generated, rank, clip_id, clip_path, label, ...``).
    clips : dict
        The model's generated file names -> the instrument each was generated for (None
        for an unconditioned model).

    Returns
    -------
    dict
        ``neighbours`` (how many nearest clips each is judged by), ``instruments`` (how
        many clips land among each instrument's clips: the most common label of their
        nearest neighbours), ``agreeing_share`` (share of clips whose neighbours agree, by
        a strict majority, on one instrument), and for a conditioned model
        ``in_cluster_share`` (share of clips that land among the instrument they were
        generated for) and ``per_instrument`` (intended instrument -> ``[landed, clips]``).
    """
    labels = neighbour_labels(csv_path)
    missing = sorted(set(clips) - set(labels))
    if missing:
        raise PysynthError(f"{csv_path}: no neighbours listed for {', '.join(missing)}")
    landed = {name: instrument_of(labels[name]) for name in clips}
    result: dict[str, Any] = {
        "neighbours": min(len(labels[name]) for name in clips),
        "instruments": dict(sorted(Counter(lab for lab, _ in landed.values()).items())),
        "agreeing_share": sum(share > 0.5 for _, share in landed.values()) / len(clips),
    }
    intended = {name: want for name, want in clips.items() if want is not None}
    if intended:
        per: dict[str, list[int]] = {}
        for name, want in sorted(intended.items()):
            hit = per.setdefault(want, [0, 0])
            hit[0] += landed[name][0] == want
            hit[1] += 1
        result["in_cluster_share"] = sum(h for h, _ in per.values()) / len(intended)
        result["per_instrument"] = dict(sorted(per.items()))
    return result


def describe(place: dict[str, Any]) -> str:
    """One sentence on where a model's clips land, for the demo's closing text."""
    n = sum(place["instruments"].values())
    where = ", ".join(f"{lab or '(unlabelled)'} {c}" for lab, c in place["instruments"].items())
    if "in_cluster_share" in place:
        hits = sum(h for h, _ in place["per_instrument"].values())
        return (f"{hits} of {n} generated clips land among the clips of the instrument they "
                f"were generated for ({100 * place['in_cluster_share']:.0f}%; judged by the "
                f"most common instrument of their {place['neighbours']} nearest dataset "
                f"clips); they land among: {where}")
    agree = round(place["agreeing_share"] * n)
    return (f"unconditioned: the nearest dataset clips of {agree} of {n} generated clips agree "
            f"on one instrument; they land among: {where}")
