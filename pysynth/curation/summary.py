"""What a curation did, in numbers: :class:`CurateSummary`, whose ``str()`` the CLI prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..dataset import SPLITS, Clip
from ..words import count
from .per_file import FileResult

#: A split is "dominated" (and the summary names its largest recordings) when at most
#: DOMINANT_FEW of its recordings hold DOMINANT_SHARE of its audio and it has others too.
DOMINANT_SHARE = 0.5
DOMINANT_FEW = 3


@dataclass
class CurateSummary:
    """What :func:`~pysynth.curation.curate` did. ``str()`` gives the report the CLI prints.

    Attributes
    ----------
    out : str
        The dataset folder.
    files : int
        Input files read.
    files_kept, files_rejected : int
        Files with at least one clip in the manifest, and files in ``rejects.jsonl``.
    clips : int
        Clips in the manifest.
    rejects : dict
        Rejected files by reason.
    clip_rejects : dict
        Clips rejected (from files that kept other clips) by reason.
    seconds : dict
        Seconds of audio per split.
    clips_per_split, files_per_split : dict
    seconds_read : float
        Seconds of decoded input audio (at the dataset's sample rate).
    largest : dict
        For each split that a few recordings dominate (see :data:`DOMINANT_SHARE`), those
        recordings as ``[source, seconds]`` pairs, largest first.
    """

    out: str
    files: int
    files_kept: int
    files_rejected: int
    clips: int
    rejects: dict
    clip_rejects: dict
    seconds: dict
    clips_per_split: dict
    files_per_split: dict
    seconds_read: float
    largest: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        lines = [
            f"curated {count(self.files, 'file')} into {self.out}: {count(self.clips, 'clip')} "
            f"from {count(self.files_kept, 'file')}, {count(self.files_rejected, 'file')} rejected",
            f"  read {self.seconds_read:.1f} s of audio",
        ]
        total = sum(self.seconds.values()) or 1.0
        for s in SPLITS:
            sec = self.seconds.get(s, 0.0)
            lines.append(f"  {s:<10} {count(self.clips_per_split.get(s, 0), 'clip'):>11} "
                         f"{sec:9.1f} s {100 * sec / total:5.1f} %  from "
                         f"{count(self.files_per_split.get(s, 0), 'file')}")
            if s in self.largest:
                lines.append("             largest: " + ", ".join(
                    f"{src} ({sec_src:.1f} s)" for src, sec_src in self.largest[s]))
        if self.rejects:
            lines.append("  rejected files: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.rejects.items())))
        if self.clip_rejects:
            lines.append("  rejected clips: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.clip_rejects.items())))
        return "\n".join(lines)


def summarize(out: str, results: list[FileResult], clips: list[Clip], file_lines: list[dict],
              clip_lines: list[dict]) -> CurateSummary:
    """Count what :func:`~pysynth.curation.results.collect` produced."""
    seconds = dict.fromkeys(SPLITS, 0.0)
    n_split = dict.fromkeys(SPLITS, 0)
    files_split: dict[str, set] = {s: set() for s in SPLITS}
    per_source: dict[str, dict[str, float]] = {s: {} for s in SPLITS}
    for c in clips:
        seconds[c.split] += c.duration
        n_split[c.split] += 1
        files_split[c.split].add(c.source)
        per_source[c.split][c.source] = per_source[c.split].get(c.source, 0.0) + c.duration
    largest = {}
    for s, by_source in per_source.items():
        top = sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))
        held = np.cumsum([sec for _, sec in top[:DOMINANT_FEW]])
        few = int(np.searchsorted(held, DOMINANT_SHARE * seconds[s] - 1e-9)) + 1
        if few < len(top) and few <= DOMINANT_FEW:
            largest[s] = [[src, round(sec, 3)] for src, sec in top[:few]]
    return CurateSummary(
        out=str(out), files=len(results), files_kept=len({c.source for c in clips}),
        files_rejected=len(file_lines), clips=len(clips),
        rejects=dict(Counter(line["reason"] for line in file_lines)),
        clip_rejects=dict(Counter(line["reason"] for line in clip_lines)),
        seconds={k: round(v, 3) for k, v in seconds.items()}, clips_per_split=n_split,
        files_per_split={k: len(v) for k, v in files_split.items()},
        seconds_read=round(sum(r.seconds for r in results), 3), largest=largest,
    )
