"""The work on one input file, run in the worker processes: decode, the segment steps, and
each clip written as soon as it is cut (so memory stays bounded)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..dataset import CLIPS_DIR, audio_checksum
from ..files import atomic_write_bytes
from .curators.base import ClipRecord, Rejected
from .inputs import Input
from .recipe import stage_of, step_name


@dataclass
class FileResult:
    """What came out of one input file."""

    source: str
    label: str
    seconds: float = 0.0  # decoded duration at the output rate
    clips: list[ClipRecord] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)  # rejects.jsonl lines, kind "clip"
    file_reject: dict | None = None  # the rejects.jsonl line when the whole file is rejected


def curate_file(item: Input, pipeline: list, clips_dir: str) -> FileResult:
    """Run the decode and segment steps of ``pipeline`` on one file, writing its clips into
    ``clips_dir``; the dataset steps only ``annotate`` the clips here."""
    decode = pipeline[0]
    seg_steps = [c for c in pipeline if stage_of(c) == "segment"]
    ds_steps = [c for c in pipeline if stage_of(c) == "dataset"]
    res = FileResult(item.source, item.label)
    written: list[Path] = []
    k = 0
    try:
        for block in decode.blocks(item.path, source=item.source, label=item.label):
            res.seconds += block.duration
            segs = [block]
            for step in seg_steps:
                nxt = []
                for s in segs:
                    try:
                        nxt.extend(step.apply(s))
                    except Rejected as r:
                        res.rejects.append(reject_line(
                            item.source, item.label, "clip", r, step_name(step),
                            offset=s.offset, duration=s.duration))
                segs = nxt
            for s in segs:
                cid = _clip_id(item.source, k)
                k += 1
                q = _to_pcm16(s.y)
                path = Path(clips_dir) / f"{cid}.wav"
                _write_clip(path, q, s.sr)
                written.append(path)
                rec = ClipRecord(
                    id=cid, path=f"{CLIPS_DIR}/{cid}.wav", source=item.source,
                    offset=round(s.offset, 6), duration=round(len(q) / s.sr, 6),
                    checksum=audio_checksum(q.astype(np.float32) / np.float32(32768.0)),
                    label=item.label)
                for step in ds_steps:
                    step.annotate(s.sub(0, len(q), q.astype(np.float32) / 32768.0), rec)
                res.clips.append(rec)
    except Rejected as r:
        for p in written:
            p.unlink(missing_ok=True)
        res.clips, res.rejects = [], []
        res.file_reject = reject_line(item.source, item.label, "file", r, step_name(decode))
    return res


def reject_line(source: str, label: str, kind: str, r: Rejected, step: str, **where) -> dict:
    """One line of ``rejects.jsonl``: the file or clip, the reason, and where it was cut."""
    line = {"source": source, "kind": kind, "reason": r.reason, "detail": r.detail,
            "step": step, "label": label}
    line.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in where.items()})
    line.update(r.info)
    return line


def _slug(stem: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")
    return (s or "clip")[:40]


def _clip_id(source: str, k: int) -> str:
    h = hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]
    return f"{_slug(Path(source).stem)}-{h}-{k:05d}"


def _to_pcm16(y: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(y, dtype=np.float64) * 32768.0), -32768, 32767).astype(
        np.int16)


def _write_clip(path: Path, q: np.ndarray, sr: int) -> None:
    """Write one clip atomically. No fsync per clip: a crash can at worst leave a clip the
    manifest does not list yet, and re-running rewrites it; the manifest itself is written
    with fsync, last."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, q, sr, subtype="PCM_16", format="WAV")
    atomic_write_bytes(path, buf.getvalue(), fsync=False)
