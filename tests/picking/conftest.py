"""What the picking tests share: a small reference dataset of tonal one-shots in two classes,
and a maker of folders of clips whose right verdict is known (clean, noise, silent, clipped,
copies of training clips)."""

from __future__ import annotations

import numpy as np
import pytest

SR = 16000
N = SR // 2


def tone(f0: float, rng: np.random.Generator, *, amp: float = 0.6) -> np.ndarray:
    """A decaying harmonic tone near ``f0`` with random partials and decay: clean, and never
    a near-copy of another."""
    t = np.arange(N) / SR
    f = f0 * rng.uniform(0.95, 1.05)
    y = sum(rng.uniform(0.3, 1) * np.sin(2 * np.pi * h * f * t + rng.uniform(0, 6)) / h
            for h in (1, 2, 3))
    y *= np.exp(-t / rng.uniform(0.08, 0.25))
    return (amp * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="session")
def make_tone():
    """The :func:`tone` function: ``make_tone(f0, rng, amp=0.6)``."""
    return tone


@pytest.fixture(scope="module")
def reference(tmp_path_factory, dataset_of):
    """24 tones, "low" (near 150 Hz) and "high" (near 900 Hz), 9 train and 3 validation each."""
    rng = np.random.default_rng(0)
    clips = [(f"{lab}{i}", tone(f0, rng), "validation" if i >= 9 else "train", lab)
             for lab, f0 in (("low", 150.0), ("high", 900.0)) for i in range(12)]
    return dataset_of(tmp_path_factory.mktemp("picking") / "reference", clips)


@pytest.fixture
def known_clips(reference, tmp_path):
    """A folder of 10 clips whose verdict is known: 4 fresh tones (clean-*), 2 white noise
    (noise-*), 1 silent, 1 clipped and 2 exact copies of training clips (copy-*)."""
    from pysynth.audio import load, save

    rng = np.random.default_rng(7)
    folder = tmp_path / "generated"
    clips = {f"clean-{i}": tone((150.0, 900.0)[i % 2], rng) for i in range(4)}
    clips |= {f"noise-{i}": (0.3 * rng.standard_normal(N)).astype(np.float32) for i in range(2)}
    clips["silent-0"] = (1e-4 * rng.standard_normal(N)).astype(np.float32)
    clips["clipped-0"] = np.clip(3 * tone(150.0, rng), -1, 1)
    for i, name in enumerate(("low0", "high3")):
        clips[f"copy-{i}"] = load(reference / "clips" / f"{name}.wav")[0]
    for name, y in clips.items():
        save(folder / f"{name}.wav", y, SR)
    return folder
