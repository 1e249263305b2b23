"""A small synthetic corpus of percussion hits and tonal notes, made on the spot.

``pysynth demo`` needs sounds with real structure but may not download anything, so it
synthesizes several "instruments" (each a family of related one-shots with varied
pitch, decay and noise), giving the map visible clusters and the models something
learnable. Every sound is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..audio import save


def _env(n: int, sr: int, decay: float, attack: float = 0.002) -> np.ndarray:
    t = np.arange(n) / sr
    a = np.minimum(1.0, t / max(attack, 1.0 / sr))
    return a * np.exp(-t / decay)


def kick(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """A sine sweeping down from ~150 Hz with an exponential decay: a bass drum."""
    n = int(sr * seconds)
    t = np.arange(n) / sr
    f0, f1 = rng.uniform(110, 180), rng.uniform(40, 60)
    sweep = f1 + (f0 - f1) * np.exp(-t / rng.uniform(0.03, 0.06))
    phase = 2 * np.pi * np.cumsum(sweep) / sr
    return np.sin(phase) * _env(n, sr, rng.uniform(0.15, 0.35))


def snare(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """A short tone plus a noise burst: a snare drum."""
    n = int(sr * seconds)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * rng.uniform(170, 240) * t) * _env(n, sr, 0.05)
    noise = rng.standard_normal(n) * _env(n, sr, rng.uniform(0.08, 0.18))
    return 0.5 * tone + 0.5 * noise


def hat(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """High-passed noise with a very short decay: a closed hi-hat."""
    n = int(sr * seconds)
    noise = rng.standard_normal(n)
    hp = np.diff(np.diff(noise, prepend=0.0), prepend=0.0)  # crude 2nd-order high-pass
    return hp * _env(n, sr, rng.uniform(0.02, 0.06)) * 0.4


def pluck(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Karplus-Strong plucked string at a random note of a pentatonic scale."""
    n = int(sr * seconds)
    semis = rng.choice([0, 2, 4, 7, 9, 12, 14, 16])
    freq = 196.0 * 2 ** (semis / 12)
    period = max(2, round(sr / freq))
    buf = rng.uniform(-1, 1, period)
    out = np.empty(n)
    damp = rng.uniform(0.990, 0.998)
    for i in range(n):  # n is small (one short note); clarity over speed here
        out[i] = buf[i % period]
        buf[i % period] = damp * 0.5 * (buf[i % period] + buf[(i + 1) % period])
    return out * _env(n, sr, seconds, attack=0.001)


def bell(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Two-operator FM with an inharmonic ratio: a bell."""
    n = int(sr * seconds)
    t = np.arange(n) / sr
    fc = 330.0 * 2 ** (rng.integers(0, 12) / 12)
    ratio, index = rng.uniform(1.3, 1.5), rng.uniform(2.0, 5.0)
    env = _env(n, sr, rng.uniform(0.3, 0.8))
    return np.sin(2 * np.pi * fc * t + index * env * np.sin(2 * np.pi * fc * ratio * t)) * env


def organ(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """A sustained note of a few harmonics with slow attack and release: an organ."""
    n = int(sr * seconds)
    t = np.arange(n) / sr
    f = 110.0 * 2 ** (rng.integers(0, 24) / 12) * rng.uniform(0.99, 1.01)
    weights = rng.uniform(0.2, 1.0, 4)  # a different registration (timbre) every note
    y = sum(w * np.sin(2 * np.pi * f * k * t) / k for k, w in zip((1, 2, 3, 4), weights))
    attack = np.minimum(1.0, t / 0.05)
    release = np.minimum(1.0, (seconds - t) / 0.1)
    return y * attack * release * 0.4


INSTRUMENTS: dict[str, Callable[[np.random.Generator, int, float], np.ndarray]] = {
    "kick": kick, "snare": snare, "hat": hat, "pluck": pluck, "bell": bell, "organ": organ,
}


def make_corpus(
    out: str | Path,
    *,
    per_instrument: int = 8,
    sr: int = 16000,
    seconds: float = 1.0,
    instruments: tuple[str, ...] | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write ``per_instrument`` one-shots of each instrument as WAV files under ``out/<instrument>/``.

    Existing files with the same names are replaced atomically, so re-running is safe.
    Returns the written paths.
    """
    out = Path(out)
    paths = []
    for i, name in enumerate(instruments or tuple(INSTRUMENTS)):
        make = INSTRUMENTS[name]
        for k in range(per_instrument):
            rng = np.random.default_rng([seed, i, k])
            y = make(rng, sr, seconds)
            y = 0.8 * y / max(1e-9, float(np.max(np.abs(y))))
            paths.append(save(out / name / f"{name}-{k:02d}.wav", y.astype(np.float32), sr))
    return paths
