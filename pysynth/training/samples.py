"""Sound from a model in training: the audio samples a run writes every ``sample_every``
epochs and their quality figures, and a numpy-only sampler for checking an exported model
without TensorFlow.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_int, check_number

__all__ = ["QUALITY_CLIPS", "QUALITY_FIGURES", "generate_samples", "reference_sample",
           "sample_quality", "write_samples"]

#: The fewest clips an epoch's quality figures rest on: a Fréchet distance or a class
#: score of 2 clips says nothing, so with a smaller ``sample_count`` more clips are
#: generated for the evaluation than are written.
QUALITY_CLIPS = 8

#: The figures of :func:`pysynth.evaluate` a run's history keeps, as ``quality_<name>``
#: (name -> field of :class:`~pysynth.evaluation.QualityReport`).
QUALITY_FIGURES = {
    "noise_scale": "noise_scale",
    "noise_index": "noise_index",
    "class_score": "class_generated",
    "class_ratio": "class_ratio",
    "silent_share": "silent_share",
    "clipped_share": "clipped_share",
    "novelty_ratio": "novelty_ratio",
}


def reference_sample(
    ref,
    *,
    n: int,
    length: int,
    seed: int = 0,
    temperature: float = 1.0,
    cond: np.ndarray | None = None,
) -> np.ndarray:
    """Generate ``n`` sequences of ``length`` level indices with a numpy ReferenceModel.

    A convenience over :func:`pysynth.sampling.reference_sample` (the one sampling rule,
    docs/architecture.md) whose uniforms come from a numpy Generator seeded with
    ``seed`` instead of the engine's counter-based generator, so its output differs from
    ``pysynth.sample``.
    """
    from ..sampling import reference_sample as sample_with_uniforms

    check_int(n, "n", lo=1)
    check_int(length, "length", lo=1)
    check_number(temperature, "temperature", lo=0)
    # a mol16 model draws two per sample (component, value); (0, 1) open, as the engine's
    pairs = getattr(ref, "output", "softmax") == "mol16"
    rng = np.random.default_rng(seed)
    uniforms = (rng.random((length, n)).T if not pairs else
                np.clip(rng.random((n, length, 2)), 2.0 ** -24, 1 - 2.0 ** -24))
    return sample_with_uniforms(ref, length, uniforms, temperature, cond=cond)


def generate_samples(program, tensors, *, n: int, seconds: float, temperature: float,
                     seed: int, classes: int, min_p: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
    """``(audio (n, samples), class ids or None)``: ``n`` clips through :func:`pysynth.sample`
    (the compiled engine, or the plugin's reference model for families it does not know),
    exactly as ``pysynth sample`` would from the exported file; conditioned models cycle
    through classes 0, 1, ... Clip ``i`` depends on the seed and ``i`` alone (the engine's
    uniforms are keyed by stream), so the first clips of a larger ``n`` are the same."""
    from ..modelfile import ModelFile
    from ..sampling import sample

    cond = np.arange(n) % classes if classes > 0 else None
    audio = sample(ModelFile(program=program, tensors=tensors, metadata={}),
                   n=n, seconds=seconds, seed=seed, temperature=temperature, min_p=min_p,
                   cond=cond)
    return audio, cond


def write_samples(audio: np.ndarray, folder: Path, sample_rate: int) -> list[Path]:
    """Write each clip as ``folder/sample-KK.wav`` (atomically)."""
    from ..audio import save

    return [save(folder / f"sample-{i:02d}.wav", y, sample_rate) for i, y in enumerate(audio)]


def sample_quality(audio: np.ndarray, cond: np.ndarray | None, dataset: str | os.PathLike,
                   labels: list[str], *, progress: bool = False) -> tuple[dict[str, float], Any]:
    """Evaluate generated clips against the dataset the run trains on.

    Returns ``(figures, report)``: ``figures`` maps ``quality_<name>`` (the
    :data:`QUALITY_FIGURES`, plus ``quality_near_copies``, ``quality_clips`` and
    ``quality_seconds``, what the evaluation took) to finite floats, leaving out a figure
    the dataset is too small for; ``report`` is the :class:`~pysynth.evaluation.QualityReport`
    (None, with no figures, when the dataset has fewer than the 2 clips an evaluation
    needs). A conditioned model's clip of class ``c`` is meant to be ``labels[c]`` (the
    run's label list), so the class score is the share recognized as it; otherwise it is
    the inception-style score. The seed is a constant, so that runs on one dataset are
    measured alike and its cached baselines serve every epoch.
    """
    from ..dataset import Dataset
    from ..evaluation import evaluate

    ds = Dataset.open(dataset)
    if len(ds.clips()) < 2:
        return {}, None
    known = set(ds.labels())
    intended = None
    if cond is not None:  # a class the dataset no longer has is left unknown, not an error
        names = [labels[c] if c < len(labels) else None for c in cond]
        intended = [lab if lab in known else None for lab in names]
    t0 = time.perf_counter()
    report = evaluate(audio, dataset, labels=intended, seed=0, progress=progress)
    figures = {f"quality_{name}": getattr(report, field)
               for name, field in QUALITY_FIGURES.items()}
    figures.update(quality_near_copies=len(report.near_copies), quality_clips=len(audio),
                   quality_seconds=round(time.perf_counter() - t0, 3))
    return {k: float(v) for k, v in figures.items()
            if v is not None and np.isfinite(v)}, report
