"""What ``pysynth pick`` writes: the kept clips, ``pick.csv`` and ``pick.json`` (every clip's
measures and why it was kept or dropped), and the audition page; all atomically."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..audio import save
from ..files import atomic_write_bytes, write_json

CSV_NAME, JSON_NAME, PAGE_NAME = "pick.csv", "pick.json", "audition.html"

#: The CSV's columns, in order (docs/pick.md says what each means).
COLUMNS = ["clip", "file", "kept", "reason", "nll_bits", "noise_index", "flatness", "peak_dbfs",
           "typicality", "rank_score", "label", "predicted", "confidence", "copy_of", "copy_correlation",
           "group", "source"]

#: Short names of the reasons a clip is dropped, by how the reason starts.
_KINDS = (("silent", "silent"), ("clipped", "clipped"), ("near-copy", "near-copies"),
          ("noise", "noise"), ("sounds like", "another class"),
          ("among the most likely", "most likely"), ("among the least likely", "least likely"),
          ("ranked below", "ranked lower"), ("group", "similar to a kept clip"),
          ("close to", "similar to a kept clip"), ("class ", "class without a slot"))


@dataclass
class PickResult:
    """What :func:`pysynth.pick` kept and wrote.

    ``rows`` holds one dict per clip (``COLUMNS``), in clip order; ``kept`` the paths of the
    kept clips in ``out``; ``csv``, ``json`` and ``page`` the files written (``page`` None
    when not asked for).
    """

    out: Path
    kept: list[Path]
    rows: list[dict]
    csv: Path
    json: Path
    page: Path | None

    def dropped(self) -> Counter:
        """How many clips each kind of reason dropped."""
        return Counter(reason_kind(r["reason"]) for r in self.rows if not r["kept"])

    def dropped_summary(self) -> str:
        """``"120 least likely, 40 noise, ..."`` (or ``"none"``)."""
        return ", ".join(f"{v} {k}" for k, v in self.dropped().most_common()) or "none"


def reason_kind(reason: str) -> str:
    """The short name of a drop reason (``"noise"``, ``"most likely"``, ...)."""
    return next((kind for start, kind in _KINDS if reason.startswith(start)), reason)


def write_outputs(out: Path, rows: dict[int, dict], kept, measurer, *, page: bool, title: str,
                  settings: dict) -> PickResult:
    """Write the kept clips (generated audio saved, files copied byte for byte), the CSV, the
    JSON and the page; the tables last, so they only ever describe clips that exist."""
    out.mkdir(parents=True, exist_ok=True)
    ordered = [rows[c] for c in sorted(rows)]
    paths = []
    for e in kept:
        name = rows[e.clip]["file"]
        if e.audio is not None:
            paths.append(save(out / name, e.audio, settings["sample_rate"]))
        else:
            paths.append(atomic_write_bytes(out / name, Path(e.path).read_bytes(), fsync=False))
    page_path = None
    if page and paths:  # no page of nothing
        from .page import write_page

        page_path = write_page(out / PAGE_NAME, [rows[e.clip] for e in kept], paths,
                               [e.Z for e in kept], measurer, title=title)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in ordered:
        w.writerow({c: "" if r[c] is None else r[c] for c in COLUMNS})
    csv_path = atomic_write_bytes(out / CSV_NAME, buf.getvalue().encode("utf-8"))
    json_path = write_json(out / JSON_NAME, {
        "format": "pysynth-pick", "version": 1, **settings,
        "kept": [p.name for p in paths],
        "clips": [{c: r[c] for c in COLUMNS} for r in ordered],
    }, sort_keys=False)
    return PickResult(out=out, kept=paths, rows=ordered, csv=csv_path, json=json_path,
                      page=page_path)
