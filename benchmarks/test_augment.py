"""Augmentation throughput: clips per second for each augmenter, and for pysynth.augment.

Run (small sizes by default; PYSYNTH_BENCH_CLIPS / PYSYNTH_BENCH_SECONDS make them bigger)::

    /work/venv/bin/pytest benchmarks/test_augment.py -o addopts="" --benchmark-only \
        --benchmark-columns=mean,stddev,rounds

Every result carries ``clips_per_s`` and ``x_gain`` (both from the best round): its time
relative to the ``gain`` augmenter (a multiply, the cheapest thing an augmenter can do)
measured in the same run, so the figures compare across machines.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from pysynth.audio import save
from pysynth.augmentation import augment
from pysynth.augmentation.augmenters import (
    BackgroundNoise,
    Gain,
    Noise,
    PitchShift,
    SomeOf,
    SpeedShift,
    TimeShift,
    TimeStretch,
)
from pysynth.dataset import Clip, audio_checksum, write_dataset

SR = 16000
N_CLIPS = int(os.environ.get("PYSYNTH_BENCH_CLIPS", "8"))
SECONDS = float(os.environ.get("PYSYNTH_BENCH_SECONDS", "1.0"))


def _clips() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(round(SECONDS * SR)) / SR
    return [
        (0.4 * np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)
        for f in rng.uniform(100, 1000, N_CLIPS)
    ]


def _run(aug, clips) -> None:
    for i, y in enumerate(clips):
        aug(y, SR, rng=np.random.default_rng(i))


@pytest.fixture(scope="module")
def clips():
    return _clips()


@pytest.fixture(scope="module")
def noise_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("noises")
    rng = np.random.default_rng(1)
    for i in range(3):
        save(folder / f"n{i}.wav", (0.1 * rng.standard_normal(3 * SR)).astype(np.float32), SR)
    return folder


@pytest.fixture(scope="module")
def gain_seconds(clips):
    """Best-of-7 time of the gain augmenter over the clips: the baseline of every ratio."""
    aug = Gain()
    _run(aug, clips)
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        _run(aug, clips)
        best = min(best, time.perf_counter() - t0)
    return best


AUGMENTERS = {
    "gain": lambda folder: Gain(),
    "time_shift": lambda folder: TimeShift(),
    "noise_white": lambda folder: Noise(color="white"),
    "noise_pink": lambda folder: Noise(color="pink"),
    "background_noise": BackgroundNoise,
    "speed": lambda folder: SpeedShift(rate=(0.9, 1.1)),
    "time_stretch": lambda folder: TimeStretch(rate=(0.9, 1.1)),
    "pitch_shift": lambda folder: PitchShift(semitones=(-2, 2)),
    "some_of_all": lambda folder: SomeOf(
        [Gain(), TimeShift(), Noise(), SpeedShift(), TimeStretch(), PitchShift()], n=(1, 3)
    ),
}


def _report(benchmark, n_clips: int, baseline: float) -> None:
    # best round rather than mean: on a shared machine the minimum is the stable figure
    best = benchmark.stats.stats.min
    benchmark.extra_info["clips"] = n_clips
    benchmark.extra_info["clip_seconds"] = SECONDS
    benchmark.extra_info["clips_per_s"] = round(n_clips / best, 1)
    benchmark.extra_info["x_gain"] = round(best / baseline, 2)


@pytest.mark.parametrize("name", list(AUGMENTERS))
def test_augmenter_clips_per_second(benchmark, name, clips, noise_folder, gain_seconds):
    aug = AUGMENTERS[name](noise_folder)
    _run(aug, clips[:1])  # warm caches and lazy imports outside the timing
    benchmark.pedantic(_run, args=(aug, clips), rounds=5, iterations=1, warmup_rounds=1)
    _report(benchmark, len(clips), gain_seconds)


def test_augment_dataset_clips_per_second(benchmark, clips, tmp_path_factory, gain_seconds):
    """pysynth.augment end to end (load, default recipe, save, checksum, manifest), 2 copies."""
    root = tmp_path_factory.mktemp("bench-ds")
    manifest = []
    for i, y in enumerate(clips):
        save(root / "clips" / f"c{i}.wav", y, SR)
        manifest.append(Clip(f"c{i}", f"clips/c{i}.wav", f"s{i}.wav", 0.0, SECONDS, "train",
                             audio_checksum(y)))
    write_dataset(root, manifest, {"sample_rate": SR, "clip_seconds": SECONDS})
    outs = iter(range(10**6))

    def run():
        augment(root, tmp_path_factory.getbasetemp() / f"bench-out-{next(outs)}", copies=2)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    _report(benchmark, 2 * len(clips), gain_seconds)
