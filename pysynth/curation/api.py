"""``pysynth.curate``: turn a messy folder of sounds into a clean dataset (the entry point)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..checks import check_choice, check_int
from ..dataset import CLIPS_DIR
from ..errors import ParameterError
from ..files import AUDIO_EXTENSIONS
from ..workers import run_jobs
from .curators.cut import Cut
from .inputs import as_list, find_inputs
from .output import check_out, steps_info, write_output
from .per_file import curate_file
from .recipe import UNSET, build_pipeline, default_steps, load_recipe
from .results import collect, reject_lines
from .summary import CurateSummary, summarize


def curate(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    sr: int = 16000,
    clip_seconds: float | None = 1.0,
    hop_seconds: float | None = None,
    short: str = "pad",
    min_seconds: float = UNSET,
    silence_db: float = UNSET,
    max_clipped: float = UNSET,
    trim: bool = True,
    trim_db: float = UNSET,
    split_on_silence: bool = False,
    normalize: str | None = "peak",
    target_db: float | None = None,
    dedupe: bool = True,
    near_threshold: float | None = UNSET,
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
        Train/validation/test fractions of the audio, in seconds (default 0.8, 0.1, 0.1).
        A recording is never split across them; when one is too large for the fractions
        to hold, a warning names it.
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
    workers = check_int(workers, "workers", lo=1, owner="curate")
    check_choice(normalize, "normalize", ("peak", "loudness", None), owner="curate")
    out = Path(out)
    check_out(out)

    options = {
        "sr": sr, "block_seconds": block_seconds, "min_seconds": min_seconds,
        "silence_db": silence_db, "max_clipped": max_clipped, "trim_db": trim_db,
        "mode": normalize or "peak", "target_db": UNSET if target_db is None else target_db,
        "clip_seconds": clip_seconds, "hop_seconds": hop_seconds, "short": short,
        "near_threshold": near_threshold, "fractions": tuple(fractions), "seed": seed,
    }
    if recipe is not None:
        steps = load_recipe(recipe)
    else:
        steps = default_steps(trim=trim, split_on_silence=split_on_silence,
                              normalize=normalize is not None, cut=clip_seconds is not None,
                              dedupe=dedupe)
    pipeline = build_pipeline(steps, options)

    inputs = find_inputs(sources, exclude=out)
    if not inputs:
        raise ParameterError(f"sources: no audio files ({', '.join(AUDIO_EXTENSIONS)}) found "
                             f"in {', '.join(map(str, as_list(sources)))}")
    clips_dir = out / CLIPS_DIR
    clips_dir.mkdir(parents=True, exist_ok=True)

    results = run_jobs(curate_file, [(item, pipeline, str(clips_dir)) for item in inputs],
                       workers=workers, progress=progress, desc="curate", unit="file",
                       counts=lambda r: {"clips": len(r.clips)})
    clips, file_lines, clip_lines = collect(results, pipeline, out)
    summary = summarize(out, results, clips, file_lines, clip_lines)
    cut = next((c for c in pipeline if isinstance(c, Cut)), None)
    info = {
        "sample_rate": int(pipeline[0].sr) if hasattr(pipeline[0], "sr") else int(sr),
        "clip_seconds": getattr(cut, "clip_seconds", None),
        "created_by": f"pysynth {__version__} curate",
        "sources": [str(s) for s in as_list(sources)],
        "steps": steps_info(pipeline),
        "counts": {"files": summary.files, "clips": summary.clips,
                   "clips_per_split": summary.clips_per_split,
                   "seconds_per_split": summary.seconds},
    }
    write_output(out, clips, info, reject_lines(file_lines, clip_lines))
    return summary
