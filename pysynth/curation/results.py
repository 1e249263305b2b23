"""Gathering the per-file results: the dataset steps run over every clip, then each input file
ends in exactly one place, the manifest or a ``kind: "file"`` line of ``rejects.jsonl``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..dataset import Clip
from .per_file import FileResult, reject_line
from .recipe import stage_of, step_name


def collect(results: list[FileResult], pipeline: list,
            out: Path) -> tuple[list[Clip], list[dict], list[dict]]:
    """Run the dataset steps of ``pipeline`` (deleting the clip files they drop from ``out``).

    Returns the manifest's clips (sorted by source and offset), the file-level reject lines
    (one per input file without a clip, carrying its clips' reasons) and the clip-level
    reject lines of files that kept other clips.
    """
    records = [r for res in results for r in res.clips]
    clip_rejects: list[dict] = [line for res in results for line in res.rejects]
    for step in (c for c in pipeline if stage_of(c) == "dataset"):
        records, dropped = step.select(records)
        for rec, why in dropped:
            (out / rec.path).unlink(missing_ok=True)
            clip_rejects.append(reject_line(rec.source, rec.label, "clip", why, step_name(step),
                                            offset=rec.offset, duration=rec.duration,
                                            clip=rec.id))
    kept_sources = {rec.source for rec in records}
    rejects_by_source: dict[str, list[dict]] = {}
    for line in clip_rejects:
        rejects_by_source.setdefault(line["source"], []).append(line)

    file_lines: list[dict] = []
    kept_clip_lines: list[dict] = []
    for res in results:
        if res.file_reject is not None:
            file_lines.append(res.file_reject)
        elif res.source in kept_sources:
            kept_clip_lines.extend(rejects_by_source.get(res.source, []))
        else:
            file_lines.append(_file_line(res, rejects_by_source.get(res.source, [])))

    records.sort(key=lambda r: (r.source, r.offset, r.id))
    clips = [Clip(id=r.id, path=r.path, source=r.source, offset=r.offset, duration=r.duration,
                  split=r.split, checksum=r.checksum, label=r.label) for r in records]
    return clips, file_lines, kept_clip_lines


def reject_lines(file_lines: list[dict], clip_lines: list[dict]) -> list[dict]:
    """The lines of ``rejects.jsonl`` in their order: files by source, then clips by source
    and offset."""
    return sorted(file_lines, key=lambda line: line["source"]) + sorted(
        clip_lines, key=lambda line: (line["source"], line.get("offset", 0.0)))


def _file_line(res: FileResult, lines: list[dict]) -> dict:
    """The file-level line of a file that gave no clip that survived, with its clips' reasons."""
    if not lines:
        return {"source": res.source, "kind": "file", "reason": "no_audio",
                "detail": "no segment came out of the pipeline", "step": "", "label": res.label}
    reasons = Counter(line["reason"] for line in lines)
    reason = reasons.most_common(1)[0][0]
    first = next(line for line in lines if line["reason"] == reason)
    line = {k: v for k, v in first.items() if k not in ("offset", "duration", "clip")}
    line["kind"] = "file"
    if len(lines) > 1:
        line["detail"] = (f"all {len(lines)} segments rejected ("
                          + ", ".join(f"{k} {v}" for k, v in reasons.most_common())
                          + f"); first {reason}: {first['detail']}")
    return line
