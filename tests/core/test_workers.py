"""pysynth.workers.run_jobs: results in job order whatever the finishing order, the progress
bar's total and steps, and errors of a job raised in the caller."""

from __future__ import annotations

import os
import time
from typing import ClassVar

import pytest

from pysynth.workers import run_jobs


def _slow_square(x: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return x * x, os.getpid()


def _fail_on(x: int, bad: int) -> int:
    if x == bad:
        raise ValueError(f"job {x} failed")
    return x


class _Bar:
    """Stands in for tqdm: records what run_jobs tells the progress bar."""

    made: ClassVar[list[_Bar]] = []

    def __init__(self, *, total, desc, unit, disable, **kwargs):
        self.total, self.desc, self.unit, self.disable = total, desc, unit, disable
        self.steps: list[int] = []
        self.postfixes: list[dict] = []
        self.closed = False
        _Bar.made.append(self)

    def update(self, n=1):
        self.steps.append(n)

    def set_postfix(self, fields, refresh=True):
        self.postfixes.append(dict(fields))

    def close(self):
        self.closed = True


@pytest.fixture
def bar(monkeypatch):
    import tqdm.auto

    _Bar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", _Bar)
    return _Bar.made


def test_two_workers_keep_the_order_of_the_jobs(bar):
    # the first job sleeps while the other worker does the rest: it finishes last
    jobs = [(0, 1.0), (1, 0.0), (2, 0.0), (3, 0.0)]
    finished: list[int] = []
    results = run_jobs(_slow_square, jobs, workers=2, progress=False, desc="t", unit="job",
                       counts=lambda result: finished.append(result[0]) or {})
    assert finished[-1] == 0  # finishing order: the slow job last...
    assert [r[0] for r in results] == [0, 1, 4, 9]  # ...results: the order of the jobs
    assert os.getpid() not in {r[1] for r in results}  # they ran in other processes
    assert bar[0].closed


def test_one_worker_runs_in_this_process(bar):
    results = run_jobs(_slow_square, [(3, 0.0), (4, 0.0)], workers=1, progress=False,
                       desc="t", unit="job")
    assert results == [(9, os.getpid()), (16, os.getpid())]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_total_and_steps(bar, workers):
    jobs = [(x, 0.0) for x in range(5)]
    run_jobs(_slow_square, jobs, workers=workers, progress=True, desc="curate", unit="file",
             total=20, advance=lambda result: 4,
             counts=lambda result: {"done": 1})
    (b,) = bar
    assert (b.total, b.desc, b.unit, b.disable) == (20, "curate", "file", False)
    assert b.steps == [4] * 5
    assert sum(b.steps) == b.total
    assert [p["done"] for p in b.postfixes] == [1, 2, 3, 4, 5]
    assert b.closed


def test_progress_total_defaults_to_the_number_of_jobs(bar):
    run_jobs(_slow_square, [(1, 0.0)] * 3, workers=1, progress=False, desc="t", unit="job")
    assert (bar[0].total, bar[0].steps, bar[0].disable) == (3, [1, 1, 1], True)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_in_a_job_is_raised_in_the_caller(bar, workers):
    with pytest.raises(ValueError, match="job 2 failed"):
        run_jobs(_fail_on, [(x, 2) for x in range(4)], workers=workers, progress=False,
                 desc="t", unit="job")
    assert bar[0].closed


def test_no_jobs_give_no_results(bar):
    assert run_jobs(_fail_on, [], workers=4, progress=False, desc="t", unit="job") == []
