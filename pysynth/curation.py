"""``pysynth.curate``: turn a messy folder of sounds into a clean dataset.

The work is a pipeline of registered curators (see :mod:`pysynth.curators.base`): a decode
step, segment steps that run per input file in worker processes and write each clip as
soon as it is cut (so memory stays bounded), and dataset steps (dedupe, split) that run
once over all clips. Every input file ends in exactly one place: the manifest (one or more
clips) or ``rejects.jsonl`` (one line of ``kind: "file"`` with the reason). Clips rejected
from a file that kept other clips are listed in ``rejects.jsonl`` with ``kind: "clip"``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .dataset import CLIPS_DIR, INFO, MANIFEST, REJECTS, SPLITS, Clip, audio_checksum, write_dataset
from .errors import DatasetError, ParameterError
from .files import AUDIO_EXTENSIONS, atomic_write_bytes, read_json_or_yaml

DEFAULT_STEPS = ("decode", "reject", "trim", "normalize", "cut", "reject", "dedupe", "split")


# -- pipeline -----------------------------------------------------------------------------


def load_recipe(recipe: str | os.PathLike | Sequence | dict) -> list[tuple[str, dict]]:
    """Read a recipe: the ordered steps, each a curator name and its parameters.

    A recipe is a list (or ``{"steps": [...]}``) whose items are a name (``"trim"``), a
    one-key mapping (``{"trim": {"trim_db": 40}}``) or a mapping with a ``curator`` key
    (``{"curator": "trim", "trim_db": 40}``). A path is read as JSON, or as YAML when it
    ends in ``.yaml``/``.yml``.

    Examples
    --------
    >>> load_recipe(["decode", {"cut": {"clip_seconds": 2}}, "split"])
    [('decode', {}), ('cut', {'clip_seconds': 2}), ('split', {})]
    """
    if isinstance(recipe, (str, os.PathLike)):
        data, where = read_json_or_yaml(recipe, what="recipe"), str(Path(recipe))
    else:
        data, where = recipe, "recipe"
    if isinstance(data, dict):
        if set(data) != {"steps"}:
            raise ParameterError(f"{where}: a recipe mapping must have exactly one key "
                                 f"'steps', got {sorted(data)}")
        data = data["steps"]
    if not isinstance(data, (list, tuple)) or not data:
        raise ParameterError(f"{where}: a recipe is a non-empty list of steps, got {data!r}")
    steps = []
    for i, item in enumerate(data):
        if isinstance(item, str):
            steps.append((item, {}))
        elif isinstance(item, dict) and "curator" in item:
            params = {k: v for k, v in item.items() if k != "curator"}
            steps.append((str(item["curator"]), params))
        elif isinstance(item, dict) and len(item) == 1:
            (name, params), = item.items()
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise ParameterError(f"{where}: step {i} ({name}): parameters must be a "
                                     f"mapping, got {params!r}")
            steps.append((str(name), dict(params)))
        else:
            raise ParameterError(f"{where}: step {i} must be a name or a mapping, got {item!r}")
    return steps


def build_pipeline(steps: Iterable[tuple[str, dict]], options: dict[str, Any]) -> list:
    """Instantiate the curators of ``steps``; ``options`` fill parameters the step has.

    Explicit step parameters win over ``options``. Raises ParameterError for an unknown
    parameter, UnknownNameError for an unknown curator, and checks the stage order:
    one decode step first, dataset steps last.
    """
    from .registry import curators

    pipeline = []
    for name, params in steps:
        cls = curators.get(name)
        try:
            accepted = set(inspect.signature(cls).parameters)
        except (TypeError, ValueError):
            accepted = set()
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise ParameterError(f"curator {name!r} has no parameter {', '.join(unknown)}; "
                                 f"its parameters are {', '.join(sorted(accepted)) or '(none)'}")
        kwargs = {k: v for k, v in options.items() if k in accepted and v is not _UNSET}
        kwargs.update(params)
        try:
            pipeline.append(cls(**kwargs))
        except TypeError as exc:
            raise ParameterError(f"curator {name!r}: {exc}") from None
    stages = [getattr(c, "stage", "segment") for c in pipeline]
    if not stages or stages[0] != "decode" or stages.count("decode") != 1:
        raise ParameterError(f"the pipeline must start with exactly one decode step, got "
                             f"{[_name(c) for c in pipeline]}")
    seen_dataset = False
    for c, s in zip(pipeline, stages):
        if s not in ("decode", "segment", "dataset"):
            raise ParameterError(f"curator {_name(c)!r} has unknown stage {s!r}")
        if s == "dataset":
            seen_dataset = True
        elif seen_dataset:
            raise ParameterError(f"curator {_name(c)!r} runs per file and must come before "
                                 f"the dataset-wide steps (dedupe, split)")
    return pipeline


def _name(c) -> str:
    return getattr(c, "name", "") or type(c).__name__


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


# -- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    path: str  # where to read it
    source: str  # how the manifest names it
    label: str


def find_inputs(
    sources: Sequence[str | os.PathLike], *, exclude: Path | None = None
) -> list[_Input]:
    """The audio files under ``sources`` (files or folders), sorted, each once.

    Folders are searched recursively for the extensions in
    :data:`pysynth.audio.AUDIO_EXTENSIONS` (any case), skipping hidden files and
    ``exclude`` (the output folder). A file named directly is taken whatever its name.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    if not sources:
        raise ParameterError("sources: give at least one file or folder of sounds")
    found: dict[Path, _Input] = {}
    excl = exclude.resolve() if exclude is not None else None
    for src in sources:
        root = Path(src)
        if not root.exists():
            raise ParameterError(f"sources: no such file or folder {str(src)!r}")
        if root.is_file():
            found.setdefault(root.resolve(), _Input(str(root), root.as_posix(), ""))
            continue
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if not p.is_file() or p.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            rp = p.resolve()
            if excl is not None and (rp == excl or excl in rp.parents):
                continue
            label = rel.parent.as_posix()
            found.setdefault(rp, _Input(str(p), p.as_posix(), "" if label == "." else label))
    return sorted(found.values(), key=lambda i: i.source)


# -- per-file work (runs in worker processes) ---------------------------------------------


@dataclass
class _FileResult:
    source: str
    label: str
    seconds: float = 0.0  # decoded duration at the output rate
    clips: list = field(default_factory=list)  # ClipRecord
    rejects: list = field(default_factory=list)  # dict, kind "clip"
    file_reject: dict | None = None


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
    """Write one clip atomically (temporary file, then rename). No fsync per clip: a
    crash can at worst leave a clip the manifest does not list yet, and re-running
    rewrites it; the manifest itself is written with fsync, last."""
    import io

    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, q, sr, subtype="PCM_16", format="WAV")
    atomic_write_bytes(path, buf.getvalue(), fsync=False)


def _reject_line(source: str, label: str, kind: str, r, step: str, **where) -> dict:
    line = {"source": source, "kind": kind, "reason": r.reason, "detail": r.detail,
            "step": step, "label": label}
    line.update({k: (round(v, 6) if isinstance(v, float) else v) for k, v in where.items()})
    line.update(r.info)
    return line


def _curate_file(item: _Input, pipeline: list, clips_dir: str) -> _FileResult:
    from .curators.base import ClipRecord, Rejected

    decode = pipeline[0]
    seg_steps = [c for c in pipeline if getattr(c, "stage", "segment") == "segment"]
    ds_steps = [c for c in pipeline if getattr(c, "stage", "segment") == "dataset"]
    res = _FileResult(item.source, item.label)
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
                        res.rejects.append(_reject_line(
                            item.source, item.label, "clip", r, _name(step),
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
        res.file_reject = _reject_line(item.source, item.label, "file", r, _name(decode))
    return res


# -- summary ------------------------------------------------------------------------------


@dataclass
class CurateSummary:
    """What :func:`curate` did. ``str()`` gives the report the CLI prints.

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
        from dataclasses import asdict

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


# -- the public entry point ---------------------------------------------------------------


def curate(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    sr: int = 16000,
    clip_seconds: float | None = 1.0,
    hop_seconds: float | None = None,
    short: str = "pad",
    min_seconds: float = _UNSET,
    silence_db: float = _UNSET,
    max_clipped: float = _UNSET,
    trim: bool = True,
    trim_db: float = _UNSET,
    split_on_silence: bool = False,
    normalize: str | None = "peak",
    target_db: float | None = None,
    dedupe: bool = True,
    near_threshold: float | None = _UNSET,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    recipe: str | os.PathLike | Sequence | dict | None = None,
    workers: int = 1,
    block_seconds: float = 60.0,
    progress: bool = True,
) -> CurateSummary:
    """Curate audio files into a dataset folder (see :mod:`pysynth.dataset` for the layout).

    Parameters
    ----------
    sources : path-like or list of path-like
        Files and folders of sounds (folders are searched recursively). A clip's
        ``label`` is its file's folder relative to the folder given.
    out : path-like
        The dataset folder; created if missing. If it exists it must be empty or a
        pysynth dataset, which is then replaced (re-running is idempotent).
    sr : int
        Sample rate of the dataset (default 16000).
    clip_seconds : float or None
        Clip length (default 1 s); ``None`` keeps each trimmed recording whole.
    hop_seconds : float or None
        Distance between clip starts (default: ``clip_seconds``, no overlap).
    short : {"pad", "drop"}
        Segments shorter than a clip are zero-padded or rejected.
    min_seconds, silence_db, max_clipped, trim_db, near_threshold
        Parameters of the ``reject``, ``cut``, ``trim`` and ``dedupe`` curators; left out,
        each keeps its curator's default.
    trim : bool
        Trim leading and trailing silence (default True).
    split_on_silence : bool
        Split recordings at internal silences before cutting (default False).
    normalize : {"peak", "loudness", None}
        Normalization mode, or ``None`` for none (default ``"peak"``).
    target_db : float or None
        Normalization target in dBFS (default -1 for peak, -20 for loudness).
    dedupe : bool
        Drop exact and near-duplicate clips (default True).
    fractions : 3 floats
        Train/validation/test fractions of the source files (default 0.8, 0.1, 0.1).
    seed : int
        Seed of the split (default 0).
    recipe : path, list or dict, optional
        The steps in order with their parameters (see :func:`load_recipe`); replaces the
        default pipeline built from the flags above. Keyword options still fill
        parameters that the recipe leaves out.
    workers : int
        Worker processes decoding files in parallel (default 1: in this process).
    block_seconds : float
        Long files are processed in blocks of this length (bounded memory).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    CurateSummary

    Raises
    ------
    ParameterError
        Bad parameters, missing sources, no audio files found, unknown recipe step
        parameters.
    DatasetError
        ``out`` exists and is neither empty nor a pysynth dataset.

    Examples
    --------
    >>> summary = pysynth.curate(["sounds/"], "dataset", clip_seconds=2.0)  # doctest: +SKIP
    >>> print(summary)                                                      # doctest: +SKIP
    """
    if not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1:
        raise ParameterError(f"workers must be a positive integer, got {workers!r}")
    if normalize not in ("peak", "loudness", None):
        raise ParameterError(f"normalize must be 'peak', 'loudness' or None, got {normalize!r}")
    out = Path(out)
    _check_out(out)

    options = {
        "sr": sr, "block_seconds": block_seconds, "min_seconds": min_seconds,
        "silence_db": silence_db, "max_clipped": max_clipped, "trim_db": trim_db,
        "mode": normalize or "peak", "target_db": _UNSET if target_db is None else target_db,
        "clip_seconds": clip_seconds, "hop_seconds": hop_seconds, "short": short,
        "near_threshold": near_threshold, "fractions": tuple(fractions), "seed": seed,
    }
    if recipe is not None:
        steps = load_recipe(recipe)
    else:
        names = list(DEFAULT_STEPS)
        if not trim:
            names.remove("trim")
        if split_on_silence:
            names.insert(names.index("normalize"), "split_silence")
        if normalize is None:
            names.remove("normalize")
        if clip_seconds is None:
            names.remove("cut")
        if not dedupe:
            names.remove("dedupe")
        steps = [(n, {}) for n in names]
    pipeline = build_pipeline(steps, options)
    # align decode blocks to the clip hop so long recordings lose nothing at block seams
    from .curators.cut import Cut
    from .curators.decode import Decode

    cut = next((c for c in pipeline if isinstance(c, Cut)), None)
    if isinstance(pipeline[0], Decode) and pipeline[0].align_seconds is None and cut:
        pipeline[0].align_seconds = cut.hop

    inputs = find_inputs(sources, exclude=out)
    if not inputs:
        raise ParameterError(f"sources: no audio files ({', '.join(AUDIO_EXTENSIONS)}) found "
                             f"in {', '.join(map(str, _as_list(sources)))}")
    clips_dir = out / CLIPS_DIR
    clips_dir.mkdir(parents=True, exist_ok=True)

    results = _run_files(inputs, pipeline, clips_dir, workers=int(workers), progress=progress)
    clips, rejects, summary = _finish(results, pipeline, out)
    sample_rate = int(pipeline[0].sr) if hasattr(pipeline[0], "sr") else int(sr)
    info = {
        "sample_rate": sample_rate,
        "clip_seconds": getattr(cut, "clip_seconds", None),
        "created_by": f"pysynth {__version__} curate",
        "sources": [str(s) for s in _as_list(sources)],
        "steps": [{"curator": _name(c), **_params(c)} for c in pipeline],
        "counts": {"files": summary.files, "clips": summary.clips,
                   "clips_per_split": summary.clips_per_split,
                   "seconds_per_split": summary.seconds},
    }
    write_dataset(out, clips, info, rejects=rejects)
    _remove_stale(clips_dir, {Path(c.path).name for c in clips})
    return summary


def _as_list(sources) -> list:
    return [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)


def _params(c) -> dict:
    try:
        p = c.params()
    except Exception:
        return {}
    return json.loads(json.dumps(p, default=str))


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is a file, not a dataset folder")
    if out.is_dir():
        entries = [p.name for p in out.iterdir()]
        ours = {INFO, MANIFEST, REJECTS, CLIPS_DIR}
        if entries and not (out / INFO).is_file() and not set(entries) <= ours:
            raise DatasetError(f"{out}: exists and is not a pysynth dataset; refusing to write "
                               "into it (choose an empty or new folder)")


def _run_files(inputs, pipeline, clips_dir: Path, *, workers: int, progress: bool):
    from tqdm.auto import tqdm

    bar = tqdm(total=len(inputs), desc="curate", unit="file", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    results: list[_FileResult | None] = [None] * len(inputs)
    n_clips = 0
    try:
        if workers == 1 or len(inputs) == 1:
            for i, item in enumerate(inputs):
                results[i] = _curate_file(item, pipeline, str(clips_dir))
                n_clips += len(results[i].clips)
                bar.set_postfix(clips=n_clips, refresh=False)
                bar.update()
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # fork where there is one: quick, and works from notebooks and stdin scripts
            # (spawn re-imports __main__); the workers use only numpy, soundfile and soxr
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            ctx = mp.get_context(method)
            with ProcessPoolExecutor(max_workers=min(workers, len(inputs)),
                                     mp_context=ctx) as pool:
                futures = {pool.submit(_curate_file, item, pipeline, str(clips_dir)): i
                           for i, item in enumerate(inputs)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    n_clips += len(results[i].clips)
                    bar.set_postfix(clips=n_clips, refresh=False)
                    bar.update()
    finally:
        bar.close()
    return results


def _finish(results: list[_FileResult], pipeline, out: Path):
    records = [r for res in results for r in res.clips]
    clip_rejects: list[dict] = [line for res in results for line in res.rejects]
    for step in (c for c in pipeline if getattr(c, "stage", "segment") == "dataset"):
        records, dropped = step.select(records)
        for rec, why in dropped:
            (out / rec.path).unlink(missing_ok=True)
            clip_rejects.append(_reject_line(rec.source, rec.label, "clip", why, _name(step),
                                             offset=rec.offset, duration=rec.duration,
                                             clip=rec.id))
    by_source: dict[str, list] = {}
    for rec in records:
        by_source.setdefault(rec.source, []).append(rec)
    rejects_by_source: dict[str, list[dict]] = {}
    for line in clip_rejects:
        rejects_by_source.setdefault(line["source"], []).append(line)

    file_lines: list[dict] = []
    kept_clip_lines: list[dict] = []
    for res in results:
        if res.file_reject is not None:
            file_lines.append(res.file_reject)
        elif res.source in by_source:
            kept_clip_lines.extend(rejects_by_source.get(res.source, []))
        else:
            # the file gave no clip that survived: one file-level line, with its clips' reasons
            lines = rejects_by_source.get(res.source, [])
            reasons = Counter(line["reason"] for line in lines)
            if lines:
                reason = reasons.most_common(1)[0][0]
                first = next(line for line in lines if line["reason"] == reason)
                line = {k: v for k, v in first.items() if k not in ("offset", "duration", "clip")}
                line["kind"] = "file"
                if len(lines) > 1:
                    line["detail"] = (f"all {len(lines)} segments rejected ("
                                      + ", ".join(f"{k} {v}" for k, v in reasons.most_common())
                                      + f"); first {reason}: {first['detail']}")
            else:
                line = {"source": res.source, "kind": "file", "reason": "no_audio",
                        "detail": "no segment came out of the pipeline", "step": "",
                        "label": res.label}
            file_lines.append(line)

    records.sort(key=lambda r: (r.source, r.offset, r.id))
    clips = [Clip(id=r.id, path=r.path, source=r.source, offset=r.offset, duration=r.duration,
                  split=r.split, checksum=r.checksum, label=r.label) for r in records]
    rejects = sorted(file_lines, key=lambda line: line["source"]) + sorted(
        kept_clip_lines, key=lambda line: (line["source"], line.get("offset", 0.0)))

    seconds = dict.fromkeys(SPLITS, 0.0)
    n_split = dict.fromkeys(SPLITS, 0)
    files_split: dict[str, set] = {s: set() for s in SPLITS}
    for c in clips:
        seconds[c.split] += c.duration
        n_split[c.split] += 1
        files_split[c.split].add(c.source)
    summary = CurateSummary(
        out=str(out), files=len(results), files_kept=len(by_source),
        files_rejected=len(file_lines), clips=len(clips),
        rejects=dict(Counter(line["reason"] for line in file_lines)),
        clip_rejects=dict(Counter(line["reason"] for line in kept_clip_lines)),
        seconds={k: round(v, 3) for k, v in seconds.items()}, clips_per_split=n_split,
        files_per_split={k: len(v) for k, v in files_split.items()},
        seconds_read=round(sum(r.seconds for r in results), 3),
    )
    return clips, rejects, summary


def _remove_stale(clips_dir: Path, keep: set[str]) -> None:
    """Delete clip files of earlier runs (and temporaries of interrupted ones) not in the
    manifest just written: the manifest went first, so the dataset is never missing a clip."""
    for p in clips_dir.iterdir():
        if p.is_file() and p.name not in keep and (p.suffix == ".wav" or p.name.startswith(".")):
            p.unlink(missing_ok=True)
