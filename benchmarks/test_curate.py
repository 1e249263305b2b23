"""Curation throughput: seconds of audio curated per second of wall time, 1 and 2 workers.

Run (3 minutes of synthetic audio by default; PYSYNTH_BENCH_CURATE_SECONDS=600 gives the
10-minute corpus of the issue)::

    /work/venv/bin/pytest benchmarks/test_curate.py -o addopts="" --benchmark-only \
        --benchmark-columns=mean,stddev,rounds

The corpus is a folder of 15-second files at 44.1 kHz stereo (tones, chirps and noise
bursts with gaps), so every curate stage works: decode, resample, mixdown, trim,
normalize, cut, fingerprint and dedupe, split. Each result carries
``audio_s_per_s`` (throughput) and the 2-worker result ``x_1_worker`` (its speed relative
to the 1-worker run in the same session), so the figures compare across machines.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import soundfile as sf

import pysynth

TOTAL_SECONDS = float(os.environ.get("PYSYNTH_BENCH_CURATE_SECONDS", "180"))
FILE_SECONDS = 15.0
NATIVE_SR = 44100

_results: dict[int, float] = {}


def _make_corpus(folder) -> float:
    rng = np.random.default_rng(0)
    n_files = max(2, round(TOTAL_SECONDS / FILE_SECONDS))
    n = round(FILE_SECONDS * NATIVE_SR)
    t = np.arange(n) / NATIVE_SR
    for i in range(n_files):
        kind = i % 3
        if kind == 0:
            y = 0.5 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t)
        elif kind == 1:
            f0, f1 = rng.uniform(100, 4000, 2)
            y = 0.4 * np.sin(2 * np.pi * (f0 + (f1 - f0) * t / (2 * FILE_SECONDS)) * t)
        else:
            env = (np.sin(2 * np.pi * rng.uniform(0.5, 3) * t) > 0).astype(np.float64)
            y = 0.3 * rng.standard_normal(n) * env
        right = y * rng.uniform(0.3, 1.0)
        sub = folder / f"kind{kind}"
        sub.mkdir(parents=True, exist_ok=True)
        sf.write(sub / f"f{i:03d}.wav", np.stack([y, right], axis=1).astype(np.float32),
                 NATIVE_SR, subtype="PCM_16")
    return n_files * FILE_SECONDS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return folder, _make_corpus(folder)


@pytest.mark.parametrize("workers", [1, 2])
def test_curate_throughput(benchmark, corpus, tmp_path, workers):
    folder, seconds = corpus
    out = tmp_path / "ds"

    def run():
        shutil.rmtree(out, ignore_errors=True)
        return pysynth.curate([folder], out, workers=workers, progress=False)

    summary = benchmark.pedantic(run, rounds=2, iterations=1, warmup_rounds=0)
    assert summary.files == len(list(folder.rglob("*.wav")))
    assert summary.clips > 0
    rate = seconds / benchmark.stats.stats.mean
    _results[workers] = rate
    benchmark.extra_info["audio_seconds"] = seconds
    benchmark.extra_info["audio_s_per_s"] = round(rate, 1)
    if workers != 1 and 1 in _results:
        benchmark.extra_info["x_1_worker"] = round(rate / _results[1], 2)
