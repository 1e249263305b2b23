"""pysynth.sample and sample_to_files: generate clips from a model file, into an array or
streamed to WAV files as they grow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AudioFileError, ParameterError
from ..modelfile import ModelFile
from .level import to_peak
from .names import clip_name
from .plan import make_plan

__all__ = ["SampleReport", "sample", "sample_to_files"]


def sample(
    model: str | os.PathLike | ModelFile,
    *,
    n: int = 16,
    seconds: float = 4.0,
    temperature: float = 1.0,
    min_p: float = 0.0,
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    progress: bool = False,
    threads: int = 0,
    candidates: int = 1,
    first_stream: int = 0,
    weights: str = "float32",
) -> np.ndarray:
    """Generate ``n`` clips of ``seconds`` of audio from a model file.

    Stream ``i`` draws its random numbers from (``seed``, ``i``, sample index), so clip
    ``i`` is the same whatever ``n``, the thread count or the device.

    Parameters
    ----------
    model : path or ModelFile
        A model file written by ``pysynth export`` (or one loaded with
        :func:`pysynth.load_model`).
    n : int
        Number of clips (streams generated together).
    seconds : float
        Length of each generated clip, after the prime.
    temperature : float
        Softmax temperature: 1 samples the model, lower is more conservative, 0 is argmax.
    min_p : float
        Draw only among the levels at least ``min_p`` times as likely as the most likely
        one ("min-p" truncation, in [0, 1]): cuts the long tail of unlikely values that
        turns a half-trained model's decays into runaway noise. 0 (default) samples the
        whole distribution; ``pysynth sample`` uses the model family's rule
        (:func:`pysynth.sampling.defaults.min_p_for`).
    seed : int
        Seed (>= 0) of the counter-based random numbers.
    prime : audio array, (n, samples) array, audio file path, or None
        Audio the clips continue (at the model's sample rate; files are resampled). It is
        quantized with the model's quantization and teacher-forced; it is not part of
        the returned audio.
    cond : int or str, a sequence of n of them, or None
        Global-condition class (per clip) of a conditioned model: a class id or a label of
        the model's training dataset. None on a conditioned model cycles through its
        classes (clip ``i`` gets class ``i % C``; a warning says so).
    device : {"auto", "cpu", "cuda"}
        ``"cuda"`` raises :class:`~pysynth.errors.ParameterError` if pysynth was built
        without CUDA or no device is present; ``"auto"`` falls back to the CPU.
    progress : bool
        Show a tqdm progress bar on stderr.
    threads : int
        CPU threads, 0 = all cores.
    candidates : int
        Generate this many clips per clip returned and drop the runaway noise
        (:mod:`pysynth.sampling.choose`: per class, the candidates whose NLL under the model
        is within what 90 % of the model's real validation clips score, in the order
        generated; for a model file without those figures, the likely ones, the most
        likely 10 % skipped as collapsed). 1 (default): every clip is returned as generated.
    first_stream : int
        Clip ``i`` is stream ``first_stream + i`` of the seed, so a long series can be
        generated in batches (``pysynth pick``) that equal one ``sample`` of them all.
        Not with ``candidates``.
    weights : {"float32", "bf16"}
        ``"bf16"``: the CPU engine's products in bfloat16 (AVX512_BF16 CPUs only), about
        twice as fast for large models at a small accuracy cost; the clips then differ
        from float32's (see :func:`pysynth.sampling.engines.make_engine`).

    Returns
    -------
    audio : ndarray float32 (n, round(seconds * sample_rate))

    Raises
    ------
    ParameterError, ModelFileError, AudioFileError

    Examples
    --------
    >>> audio = pysynth.sample("model.pysynth", n=4, seconds=1.0, seed=7)  # doctest: +SKIP
    >>> audio.shape  # doctest: +SKIP
    (4, 16000)
    """
    if candidates != 1:
        from .choose import sample_likely

        if first_stream:
            raise ParameterError("first_stream cannot be combined with candidates")
        return sample_likely(model, n=n, candidates=candidates, seconds=seconds,
                             temperature=temperature, min_p=min_p, seed=seed, prime=prime,
                             cond=cond, device=device, progress=progress, threads=threads,
                             weights=weights)[0]
    plan = make_plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                     cond=cond, device=device, threads=threads, min_p=min_p,
                     first_stream=first_stream, weights=weights)
    return _generate(plan, progress)[0]


def _generate(plan, progress: bool, *, keep_indices: bool = False):
    """Run a plan: ``(audio (n, samples), the generated indices or None)``."""
    decode = plan.decoder()
    out = np.empty((plan.n, plan.samples), dtype=np.float32)
    q = np.empty((plan.n, plan.samples), dtype=np.int32) if keep_indices else None

    def on_block(block: np.ndarray, offset: int) -> None:
        out[:, offset : offset + block.shape[1]] = decode(block)
        if q is not None:
            q[:, offset : offset + block.shape[1]] = block

    plan.run_with_progress(on_block, progress=progress)
    return out, q


def sample_scored(model, *, n: int, seconds: float, temperature: float = 1.0,
                  min_p: float = 0.0, seed: int = 0, prime=None, cond=None,
                  device: str = "auto", progress: bool = False, threads: int = 0,
                  first_stream: int = 0, weights: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """:func:`sample` (without candidates), and each clip's NLL under the model in bits per
    sample, from its first generated sample (as :func:`~pysynth.sampling.score_clips`
    scores the clip on its own).

    The NLL is taken on the indices the engine generated, by the same engine: the audio is
    not quantized again (for a pre-emphasis model that round trip through the filters is
    not exact) and the model's weights are not loaded a second time.
    """
    from .scoring import index_nll

    plan = make_plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                     cond=cond, device=device, threads=threads, min_p=min_p,
                     first_stream=first_stream, weights=weights)
    audio, q = _generate(plan, progress, keep_indices=True)
    return audio, index_nll(plan.engine, plan.reference, q, plan.cond).mean(axis=1)


@dataclass
class SampleReport:
    """What :func:`sample_to_files` wrote and how fast: ``real_time_factor`` is seconds of
    audio generated (all clips together) per second of wall-clock time. With candidates,
    ``candidate_nll`` holds every candidate's NLL, ``kept_nll`` the written clips' and
    ``runaway_bound`` the NLL above which a candidate counted as runaway noise (None: the
    model file holds no validation figures, so the likely ones were kept)."""

    paths: list[Path]
    audio_seconds: float
    wall_seconds: float
    candidate_nll: np.ndarray | None = None
    kept_nll: np.ndarray | None = None
    runaway_bound: float | None = None

    @property
    def real_time_factor(self) -> float:
        return self.audio_seconds / max(self.wall_seconds, 1e-9)


def sample_to_files(
    model: str | os.PathLike | ModelFile,
    out_dir: str | os.PathLike,
    *,
    n: int = 16,
    seconds: float = 4.0,
    temperature: float = 1.0,
    min_p: float = 0.0,
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    progress: bool = False,
    threads: int = 0,
    prefix: str | None = None,
    candidates: int = 1,
    weights: str = "float32",
    peak_db: float | None = None,
) -> SampleReport:
    """Generate like :func:`sample` but stream the clips to WAV files as they grow.

    Memory stays constant in ``seconds``. Each file is written to a temporary name in
    ``out_dir`` and renamed to ``{prefix}-seed{seed}-{i:03d}.wav`` only when complete
    (an interrupted run leaves no partial files); a conditioned model's clips carry their
    class too, ``{prefix}-seed{seed}-{i:03d}-{label}.wav`` (the label, or the class id when
    the model does not name it), so ``pysynth evaluate`` can read it back from the last
    token. ``prefix`` defaults to the model file's stem.

    With ``candidates`` > 1 (see :func:`sample`) every candidate is generated in memory,
    the likely ones are kept and written (each atomically); memory then grows with
    ``candidates * n * seconds``.

    With ``peak_db`` each finished clip is scaled so its peak is that many dBFS
    (:func:`pysynth.sampling.level.to_peak`; ``pysynth sample`` passes the data's level,
    :func:`pysynth.sampling.level.data_peak_db`), before it gets its final name.
    """
    import soundfile as sf

    if candidates != 1:
        return _likely_to_files(model, out_dir, n=n, seconds=seconds, temperature=temperature,
                                min_p=min_p, seed=seed, prime=prime, cond=cond, device=device,
                                progress=progress, threads=threads, prefix=prefix,
                                candidates=candidates, weights=weights, peak_db=peak_db)

    plan = make_plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                     cond=cond, device=device, threads=threads, min_p=min_p, weights=weights)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"output {out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if prefix is None:
        prefix = plan.model.path.stem if plan.model.path is not None else "sample"
    finals = [out_dir / clip_name(prefix, plan.seed, i, plan.cond, plan.class_names)
              for i in range(plan.n)]
    temps = [p.with_name(f".{p.name}.partial.wav") for p in finals]
    decode = plan.decoder(clip=True)  # values a 16-bit file can hold
    files: list[Any] = []
    start = time.perf_counter()
    try:
        try:
            # extend() appends one by one, so files opened before a failure get closed
            files.extend(
                sf.SoundFile(str(tmp), "w", samplerate=plan.sample_rate, channels=1,
                             subtype="PCM_16", format="WAV")
                for tmp in temps
            )
        except Exception as exc:
            raise AudioFileError(f"{out_dir}: cannot write audio files ({exc})") from None

        def on_block(block: np.ndarray, offset: int) -> None:
            for f, row in zip(files, decode(block)):
                f.write(row)

        plan.run_with_progress(on_block, progress=progress)
        for f in files:
            f.close()
        if peak_db is not None:  # a clip's peak is known only once it is complete
            for tmp in temps:
                y, rate = sf.read(str(tmp), dtype="float32")
                sf.write(str(tmp), to_peak(y, peak_db), rate, subtype="PCM_16", format="WAV")
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
    except BaseException:
        for f in files:
            f.close()
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    wall = time.perf_counter() - start
    return SampleReport(paths=finals, audio_seconds=plan.n * plan.samples / plan.sample_rate,
                        wall_seconds=wall)


def _likely_to_files(model, out_dir, *, n, prefix, candidates, peak_db, **kw) -> SampleReport:
    """:func:`sample_to_files` with candidates: generate, choose, then write."""
    from ..audio import save
    from .choose import sample_likely
    from .engines import load
    from .plan import class_names

    mf = load(model)
    start = time.perf_counter()
    audio, nll, chosen, cond, bound = sample_likely(mf, n=n, candidates=candidates, **kw)
    audio = to_peak(audio, peak_db)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"output {out_dir} exists and is not a folder")
    if prefix is None:
        prefix = mf.path.stem if mf.path is not None else "sample"
    names, seed = class_names(mf), kw["seed"]
    paths = [save(out_dir / clip_name(prefix, seed, i, cond, names),
                  y, mf.sample_rate) for i, y in enumerate(audio)]
    return SampleReport(paths=paths, audio_seconds=len(nll) * audio.shape[1] / mf.sample_rate,
                        wall_seconds=time.perf_counter() - start, candidate_nll=nll,
                        kept_nll=nll[chosen], runaway_bound=bound)
