"""The demo's output folder and its step-by-step report on stderr.

The demo owns its output folder (it leaves a marker file there): re-running into it rebuilds
only the demo's own artifacts, and a folder the demo did not make is refused.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from ..errors import ParameterError

MARKER = ".pysynth-demo"
OWNED = ("source", "dataset", "dataset-aug", "runs", "models", "generated",
         "map.html", "map.png", "map-generated.html", "map-generated.png",
         "neighbours.csv", "summary.json")


class Reporter:
    """Prints numbered steps with their duration to stderr (stdout keeps the summary)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.n, self.stream = total, 0, stream

    def step(self, text: str):
        self.n += 1
        print(f"[{self.n}/{self.total}] {text} ...", file=self.stream, flush=True)
        return _Timer(self.stream)


class _Timer:
    def __init__(self, stream) -> None:
        self.stream = stream

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        if exc[0] is None:
            print(f"      done in {self.seconds:.1f} s", file=self.stream, flush=True)


def prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError(f"demo output {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ParameterError(
            f"demo output folder {out} is not empty and was not made by `pysynth demo`; "
            "choose a new folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by pysynth demo; its artifacts are rebuilt on re-run\n")
    for name in OWNED:  # only the demo's own artifacts, in a folder the demo made
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def write_broken_inputs(source: Path) -> None:
    """Two broken files, so the demo also shows what curate rejects and why."""
    broken = source / "broken"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "empty.wav").write_bytes(b"")
    (broken / "notes.wav").write_text("not audio: a text file with a .wav name\n")
