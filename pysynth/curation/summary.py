"""What a curation did, in numbers: :class:`CurateSummary`, whose ``str()`` the CLI prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from ..dataset import SPLITS, Clip
from .per_file import FileResult


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        lines = [
            f"curated {self.files} files into {self.out}: {self.clips} clips from "
            f"{self.files_kept} files, {self.files_rejected} files rejected",
            f"  read {self.seconds_read:.1f} s of audio",
        ]
        lines.extend(f"  {s:<10} {self.clips_per_split.get(s, 0):6d} clips "
                     f"{self.seconds.get(s, 0.0):9.1f} s  from "
                     f"{self.files_per_split.get(s, 0)} files" for s in SPLITS)
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
    for c in clips:
        seconds[c.split] += c.duration
        n_split[c.split] += 1
        files_split[c.split].add(c.source)
    return CurateSummary(
        out=str(out), files=len(results), files_kept=len({c.source for c in clips}),
        files_rejected=len(file_lines), clips=len(clips),
        rejects=dict(Counter(line["reason"] for line in file_lines)),
        clip_rejects=dict(Counter(line["reason"] for line in clip_lines)),
        seconds={k: round(v, 3) for k, v in seconds.items()}, clips_per_split=n_split,
        files_per_split={k: len(v) for k, v in files_split.items()},
        seconds_read=round(sum(r.seconds for r in results), 3),
    )
