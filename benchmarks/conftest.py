"""Shared pieces of the benchmark suites: this machine's sgemm rate and a summary table.

Benchmarks report ratios against baselines measured in the same run. ``sgemm_gflops`` is
the machine's dense single-precision matrix-multiply rate (numpy/BLAS on a large square
product, all cores), the yardstick of compute efficiency; ``bench_report`` collects lines
printed after the run (pytest-benchmark's table shows times, not ratios).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Benchmark the installed pysynth, never the source folder that `python -m pytest` puts
# first on sys.path (it has no compiled engine); see tests/conftest.py.
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT]

import numpy as np  # noqa: E402
import pytest  # noqa: E402

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


def engine_rate(engine, batch: int, n: int, *, warmup: int = 32, repeats: int = 3) -> float:
    """Best samples/s (all streams together) of ``engine.generate(n)`` for ``batch`` streams."""
    streams = np.arange(batch, dtype=np.int32)
    engine.generate(min(n, warmup), streams=streams, seed=0)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        engine.generate(n, streams=streams, seed=0)
        best = min(best, time.perf_counter() - t0)
    return batch * n / best


def add_predictor(program: dict, tensors: dict, order: int, rng) -> None:
    """Give a mol16 program a random stable linear predictor of ``order`` taps (in place):
    what the 16-bit speed benchmarks time beside the plain mixture."""
    from pysynth.prediction import random_lpc

    program["lpc_order"] = order
    tensors["lpc.weight"] = random_lpc(order, rng).astype(np.float32)


def compare_outputs(benchmark, bench_report, engines: dict, rate, *, batch: int, n: int,
                    rounds: int, label: str) -> None:
    """The 16-bit output's speed against the 8-bit one: ``engines`` holds ``"mulaw8"``,
    ``"mol16"`` and ``"mol16+lpc16"``; ``rate(engine, batch, n)`` is rounded ``rounds``
    times, alternating, so that load on the shared machine hits all alike; the best of
    each goes to the benchmark's extra info and one report line."""
    rates = {k: [] for k in engines}
    for _ in range(rounds):
        for name, engine in engines.items():
            rates[name].append(rate(engine, batch, n))
    benchmark.pedantic(engines["mol16"].generate, args=(n,),
                       kwargs={"streams": np.arange(batch, dtype=np.int32), "seed": 0},
                       rounds=1, iterations=1)
    r8, r16, rl = max(rates["mulaw8"]), max(rates["mol16"]), max(rates["mol16+lpc16"])
    benchmark.extra_info.update(samples_per_s=r16, mulaw8_samples_per_s=r8, ratio=r16 / r8,
                                lpc16_samples_per_s=rl, lpc16_ratio=rl / r8)
    bench_report.append(
        f"{label} B={batch:<3d} mol16 vs 8-bit softmax: {r16:8.0f} vs {r8:8.0f} samples/s "
        f"({r16 / r8:.2f}x, target >= 0.7x); with lpc_order 16: {rl:8.0f} ({rl / r8:.2f}x)")


def compare_with_tf_cached(benchmark, engine, tfgen, *, batch: int, n: int, engine_n: int,
                           warmup: int = 32) -> tuple[float, float, float, float]:
    """Time a cached-state TF generator against the engine on the same uniforms.

    The TF generator must produce exactly the engine's samples (checked first, so the
    comparison is between two implementations of the same computation). Returns
    ``(tf_rate, engine_rate, ratio, fraction_equal)``.
    """
    from pysynth import _engine

    streams = np.arange(batch, dtype=np.int32)
    u = _engine.uniforms(0, streams, 0, n)
    got = tfgen.generate(u)  # trace + correctness check against the engine
    want = engine.generate(n, streams=streams, seed=0)
    assert np.array_equal(got[:, :10], want[:, :10]), "TF baseline disagrees with the engine"
    benchmark.pedantic(tfgen.generate, args=(u,), rounds=3, iterations=1)
    tf_rate = batch * n / benchmark.stats.stats.min
    eng_rate = engine_rate(engine, batch, engine_n, warmup=warmup)
    ratio = eng_rate / tf_rate
    match = float(np.mean(got == want))
    benchmark.extra_info.update(tf_samples_per_s=tf_rate, engine_samples_per_s=eng_rate,
                                speedup=ratio, match=match)
    return tf_rate, eng_rate, ratio, match
