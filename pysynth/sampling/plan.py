"""The checked arguments of one generation (model, clip count and length, primes, conditions,
engine) shared by sample, sample_to_files and stream, and the loop that runs it in blocks.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import audio as _audio
from ..checks import check_int, check_number
from ..emphasis import deemphasize, preemphasize
from ..errors import ParameterError
from ..modelfile import ModelFile
from .engines import load, runner
from .reference import BlockCallback, reference_sample

#: The longest clip (in samples) pysynth generates: a 16-bit WAV file holds at most 4 GiB.
MAX_CLIP_SAMPLES = (2**32 - 1024) // 2

__all__ = ["MAX_CLIP_SAMPLES", "Plan", "class_names", "cond_ids", "encode", "make_plan",
           "quantization"]


def quantization(mf: ModelFile) -> tuple[int, str]:
    """``(levels, kind)`` of a model's program: how audio maps to its indices and back."""
    return int(mf.program["levels"]), str(mf.program.get("quantization", "mu-law"))


def preemphasis(mf: ModelFile) -> float:
    """The model's pre-emphasis coefficient (:mod:`pysynth.emphasis`; 0 = none)."""
    return float(mf.program.get("preemphasis", 0.0) or 0.0)


def encode(mf: ModelFile, x: np.ndarray) -> np.ndarray:
    """Audio (..., samples) as the model's level indices (int32): through its pre-emphasis
    filter, then its quantization, as in training."""
    return _audio.quantize(preemphasize(x, preemphasis(mf)), *quantization(mf)).astype(np.int32)


@dataclass
class Plan:
    model: ModelFile
    n: int
    samples: int
    temperature: float
    min_p: float
    seed: int
    prime: np.ndarray | None  # int32 (n, P)
    prime_last: np.ndarray | None  # float (n,): each prime's last audio sample
    cond: np.ndarray | None  # int32 (n,)
    class_names: list[str]  # the model's class names ("" for a class it does not name)
    engine: Any  # compiled engine, or None: the plugin's reference model runs instead
    reference: Any  # the plugin's ReferenceModel when engine is None
    sample_rate: int
    first_stream: int = 0  # clip i is stream first_stream + i of the seed

    def level_table(self) -> np.ndarray:
        """Audio value of each index (before de-emphasis: see :meth:`decoder`)."""
        return _audio.level_table(*quantization(self.model))

    def decoder(self, *, clip: bool = False):
        """A function from each block of indices ``(n, len)``, in order, to its audio
        (float32): the level table, then for a pre-emphasis model the inverse filter, its
        state carried from block to block (and from the prime), so the blocks join into
        the audio a whole generation gives. ``clip`` limits it to [-1, 1] (for 16-bit
        files)."""
        table = self.level_table()
        coef = preemphasis(self.model)
        if coef == 0:
            if clip:
                table = np.clip(table, -1.0, 1.0)
            return lambda block: table[block]
        last = np.zeros(self.n) if self.prime_last is None else self.prime_last

        def decode(block: np.ndarray) -> np.ndarray:
            nonlocal last
            audio, last = deemphasize(table[block], coef, last)
            return np.clip(audio, -1.0, 1.0) if clip else audio

        return decode

    def run(self, on_block: BlockCallback, chunk: int) -> None:
        """Generate, calling ``on_block(indices (n, <= chunk), offset)`` block by block."""
        streams = np.arange(self.first_stream, self.first_stream + self.n, dtype=np.int32)
        if self.engine is not None:
            done = 0

            def deliver(block: np.ndarray) -> None:
                nonlocal done
                on_block(block, done)
                done += block.shape[1]

            self.engine.generate(
                self.samples, streams=streams, seed=self.seed, temperature=self.temperature,
                min_p=self.min_p, prime=self.prime, cond=self.cond, chunk=chunk, callback=deliver,
            )
            return
        from .engines import compiled_engine

        _engine = compiled_engine()
        # the engine's counter-based uniforms, so a plugin family samples reproducibly too
        p = 0 if self.prime is None else self.prime.shape[1]
        u = _engine.uniforms(self.seed, streams, p, self.samples,
                             pairs=self.reference.output == "mol16")
        reference_sample(
            self.reference, self.samples, u, self.temperature, self.prime, self.cond,
            min_p=self.min_p, on_block=on_block, chunk=chunk,
        )

    def run_with_progress(self, on_block: BlockCallback, *, progress: bool) -> None:
        """:meth:`run` in blocks of about a quarter second of audio (smooth progress,
        negligible overhead), with a tqdm bar on stderr if ``progress``."""
        chunk = max(256, self.sample_rate // 4)
        bar = _progress_bar(self.samples / self.sample_rate, progress)
        if bar is None:
            self.run(on_block, chunk=chunk)
            return

        def counted(block: np.ndarray, offset: int) -> None:
            on_block(block, offset)
            bar.update(block.shape[1] / self.sample_rate)

        try:
            self.run(counted, chunk=chunk)
        finally:
            bar.close()


def _progress_bar(seconds: float, enabled: bool):
    """A tqdm bar on stderr counting seconds of audio per clip, or None."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=seconds, unit="s", desc="sampling", leave=False,
                bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]")


def _prime_audio(prime: Any, mf: ModelFile, n: int) -> np.ndarray | None:
    """The prime as float32 audio (n, P), checked; None without one."""
    if prime is None:
        return None
    if isinstance(prime, (str, os.PathLike)):
        x, _ = _audio.load(prime, sr=mf.sample_rate)
    else:
        x = np.asarray(prime)
        if x.dtype.kind not in "fiu":
            raise ParameterError(f"prime must be audio samples or a file path, got dtype {x.dtype}")
        x = x.astype(np.float32)
    if x.ndim == 1:
        x = np.broadcast_to(x, (n, x.shape[0]))
    if x.ndim != 2 or x.shape[0] != n:
        raise ParameterError(f"prime must be 1-D audio or (n={n}, samples), got shape {x.shape}")
    if x.shape[1] == 0:
        raise ParameterError("prime is empty (0 samples)")
    if not np.all(np.isfinite(x)):
        raise ParameterError("prime contains NaN or infinite samples")
    return x


def class_names(mf: ModelFile) -> list[str]:
    """The name of each of a model's conditioning classes: the labels of its training
    dataset (model file metadata ``labels``), ``""`` for a class without one."""
    classes = int(mf.program.get("conditioning_classes", 0) or 0)
    labels = mf.metadata.get("labels") or []
    return [str(labels[i]) if i < len(labels) else "" for i in range(classes)]


def _class_id(value: Any, names: list[str]) -> Any:
    """A class given by name (a label of the model) or as an id (an int or a digit string)."""
    if isinstance(value, str):
        if value in names:
            return names.index(value)
        if value.strip().lstrip("-").isdigit():
            return int(value)
        known = ", ".join(repr(x) for x in names if x) or "none"
        raise ParameterError(f"cond {value!r} is not a class of this model (its labels: {known})")
    return value


def cond_ids(cond: Any, mf: ModelFile, n: int, *, cycle: bool = False) -> np.ndarray | None:
    """``cond`` (one class, or one per stream; ids or label names) as ``n`` int32 ids,
    checked against the model's ``conditioning_classes``; ``None`` for an unconditioned
    model. Without ``cond`` a conditioned model raises, or with ``cycle`` stream ``i`` gets
    class ``i % C`` (and a warning says so)."""
    classes = int(mf.program.get("conditioning_classes", 0) or 0)
    if cond is None:
        if classes > 0 and not cycle:
            raise ParameterError(
                f"this model is conditioned on {classes} classes: pass cond "
                f"(a class id in [0, {classes}) or one per stream)"
            )
        if classes > 0:
            names = [x or str(i) for i, x in enumerate(class_names(mf))]
            warnings.warn(
                f"this model is conditioned on {classes} classes and no cond was given: "
                f"clip i gets class i % {classes} ({', '.join(names)})", stacklevel=4)
            return (np.arange(n) % classes).astype(np.int32)
        return None
    if classes == 0:
        raise ParameterError(f"cond={cond!r} was given but this model is not conditioned")
    names = class_names(mf)
    if isinstance(cond, str):
        cond = _class_id(cond, names)
    elif isinstance(cond, (list, tuple)):
        cond = [_class_id(x, names) for x in cond]
    c = np.asarray(cond)
    if c.ndim == 0:
        c = np.full(n, c)
    if c.dtype.kind not in "iu" or c.shape != (n,):
        raise ParameterError(f"cond must be a class id or {n} class ids, got {cond!r}")
    if c.min() < 0 or c.max() >= classes:
        raise ParameterError(f"cond class ids must be in [0, {classes}), got {cond!r}")
    return c.astype(np.int32)


def make_plan(model, *, n, seconds, temperature, seed, prime, cond, device, threads,
              min_p=0.0, first_stream=0, weights="float32") -> Plan:
    """Check every argument of a generation (before any work) and choose what runs it."""
    n = check_int(n, "n", lo=1)
    first_stream = check_int(first_stream, "first_stream", lo=0, hi=2**31 - 1 - n)
    secs = check_number(seconds, "seconds", lo=0)
    temperature = check_number(temperature, "temperature", lo=0)
    min_p = check_number(min_p, "min_p", lo=0, hi=1)
    seed = check_int(seed, "seed", lo=0)
    mf = load(model)
    sr = mf.sample_rate
    samples = round(secs * sr)
    if samples < 1:
        raise ParameterError(f"seconds={seconds!r} is less than one sample at {sr} Hz")
    if samples > MAX_CLIP_SAMPLES:
        raise ParameterError(
            f"seconds={seconds!r} is too long for one clip: a WAV file holds at most "
            f"{MAX_CLIP_SAMPLES / sr / 3600:.0f} hours at {sr} Hz"
        )
    engine, reference = runner(mf, device=device, threads=threads, weights=weights)
    x = _prime_audio(prime, mf, n)
    return Plan(
        model=mf, n=n, samples=int(samples), temperature=temperature, min_p=min_p, seed=seed,
        prime=None if x is None else np.ascontiguousarray(encode(mf, x)),
        prime_last=None if x is None else x[:, -1].astype(np.float64),
        cond=cond_ids(cond, mf, n, cycle=True),
        class_names=class_names(mf), engine=engine, reference=reference, sample_rate=sr,
        first_stream=first_stream,
    )
