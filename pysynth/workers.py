"""The worker pool of curate and augment: independent jobs over processes, with a progress bar.

One loop for every stage that maps a function over many files or clips: it runs the jobs in
this process (one worker, or one job) or in a process pool, returns the results in the
order of the jobs whatever order they finish in, and advances one tqdm bar on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["progress_bar", "run_jobs"]


def progress_bar(total: int | None, *, desc: str, unit: str, enabled: bool,
                 iterable: Iterable | None = None):
    """The tqdm bar every long pysynth step shows on stderr (curate's, score's, map's):
    ``desc``, a count of ``unit``, a rate and the time left; nothing when not ``enabled``.
    Use it as a context manager and ``update(n)`` it, or iterate over it when it wraps an
    ``iterable``."""
    from tqdm.auto import tqdm

    return tqdm(iterable=iterable, total=total, desc=desc, unit=unit, file=sys.stderr,
                disable=not enabled, dynamic_ncols=True)


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    *,
    workers: int,
    progress: bool,
    desc: str,
    unit: str,
    total: int | None = None,
    advance: Callable[[Any], int] = lambda result: 1,
    counts: Callable[[Any], dict[str, int]] | None = None,
    warm_up: Callable[[], None] | None = None,
) -> list[Any]:
    """Return ``[fn(*job) for job in jobs]``, computed by up to ``workers`` processes.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled for the workers when spawning).
    jobs : sequence of tuples
        The positional arguments of each call.
    workers : int
        Processes to use; with 1 (or a single job) everything runs in this process.
    progress, desc, unit, total
        The progress bar (on stderr): shown if ``progress``; ``total`` defaults to the
        number of jobs.
    advance : callable
        How far one result moves the bar (e.g. the number of clips it made).
    counts : callable, optional
        Called with each result as it finishes; returns counts (e.g. ``{"clips": 3}``) that
        are added up and shown after the bar (``clips=12``).
    warm_up : callable, optional
        Called once in this process before forking workers, so that lazy imports and JIT
        compilation happen once and the workers inherit them.
    """
    bar = progress_bar(len(jobs) if total is None else total, desc=desc, unit=unit,
                       enabled=progress)
    results: list[Any] = [None] * len(jobs)
    totals: dict[str, int] = {}

    def finished(i: int, result: Any) -> None:
        results[i] = result
        if counts is not None:
            for key, value in counts(result).items():
                totals[key] = totals.get(key, 0) + value
            bar.set_postfix(totals, refresh=False)
        bar.update(advance(result))

    try:
        if workers == 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                finished(i, fn(*job))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # fork where there is one: quick, and works from notebooks and stdin scripts
            # (spawn re-imports __main__); the jobs use numpy, soundfile, soxr, librosa
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            if method == "fork" and warm_up is not None:
                warm_up()
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                     mp_context=mp.get_context(method)) as pool:
                futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
                for fut in as_completed(futures):
                    finished(futures[fut], fut.result())
    finally:
        bar.close()
    return results
