"""Shared pieces of the benchmark suites: this machine's sgemm rate and a summary table.

Benchmarks report ratios against baselines measured in the same run. ``sgemm_gflops`` is
the machine's dense single-precision matrix-multiply rate (numpy/BLAS on a large square
product, all cores), the yardstick of compute efficiency; ``bench_report`` collects lines
printed after the run (pytest-benchmark's table shows times, not ratios).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

_REPORT: list[str] = []


def measure_sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of a float32 ``(n x n) @ (n x n)`` numpy product."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    a @ b  # warm up BLAS threads
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9


@pytest.fixture(scope="session")
def sgemm_gflops() -> float:
    rate = measure_sgemm_gflops()
    _REPORT.append(f"numpy sgemm 2048x2048: {rate:.1f} GFLOP/s")
    return rate


@pytest.fixture(scope="session")
def measure_sgemm():
    """The function measuring sgemm GFLOP/s, to re-measure next to a timed section."""
    return measure_sgemm_gflops


@pytest.fixture(scope="session")
def bench_report() -> list[str]:
    """Append a line to print in the summary after the run."""
    return _REPORT


def pytest_terminal_summary(terminalreporter):
    if _REPORT:
        terminalreporter.section("benchmark ratios")
        for line in _REPORT:
            terminalreporter.write_line(line)
