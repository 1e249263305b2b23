"""Curation: turn a messy folder of sounds into a clean dataset (``pysynth.curate``).

The work is a pipeline of registered curators (see :mod:`pysynth.curation.curators.base`):
a decode step, segment steps that run per input file in worker processes and write each
clip as soon as it is cut (so memory stays bounded), and dataset steps (dedupe, split) that
run once over all clips. Every input file ends in exactly one place: the manifest (one or
more clips) or ``rejects.jsonl`` (one line of ``kind: "file"`` with the reason). Clips
rejected from a file that kept other clips are listed in ``rejects.jsonl`` with
``kind: "clip"``.

Modules: :mod:`.api` (``curate``), :mod:`.recipe` (steps and the pipeline),
:mod:`.inputs` (finding the input files), :mod:`.per_file` (the work on one file),
:mod:`.results` (where each file lands), :mod:`.summary`, :mod:`.output` (the dataset
folder), and :mod:`.curators` (the built-in curators and their base class).
"""

from __future__ import annotations

from .api import curate
from .curators.base import ClipRecord, Curator, Rejected, Segment
from .inputs import find_inputs
from .recipe import DEFAULT_STEPS, build_pipeline, load_recipe
from .summary import CurateSummary

__all__ = [
    "DEFAULT_STEPS",
    "ClipRecord",
    "CurateSummary",
    "Curator",
    "Rejected",
    "Segment",
    "build_pipeline",
    "curate",
    "find_inputs",
    "load_recipe",
]
