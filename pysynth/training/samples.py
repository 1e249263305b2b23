"""Sound from a model in training: the audio samples a run writes every ``sample_every``
epochs, and a numpy-only sampler for checking an exported model without TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checks import check_int, check_number

__all__ = ["reference_sample", "write_samples"]


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
    uniforms = np.random.default_rng(seed).random((length, n)).T
    return sample_with_uniforms(ref, length, uniforms, temperature, cond=cond)


def write_samples(program, tensors, folder: Path, *, count: int, seconds: float,
                  temperature: float, seed: int, classes: int) -> list[Path]:
    """Generate ``count`` clips into ``folder`` through :func:`pysynth.sample` (the compiled
    engine, or the plugin's reference model for families it does not know), exactly as
    ``pysynth sample`` would from the exported file; conditioned models cycle through
    classes 0, 1, ..."""
    from ..audio import save
    from ..modelfile import ModelFile
    from ..sampling import sample

    sr = int(program["sample_rate"])
    cond = np.arange(count) % classes if classes > 0 else None
    audio = sample(ModelFile(program=program, tensors=tensors, metadata={}),
                   n=count, seconds=seconds, seed=seed, temperature=temperature, cond=cond)
    return [save(folder / f"sample-{i:02d}.wav", y, sr) for i, y in enumerate(audio)]
