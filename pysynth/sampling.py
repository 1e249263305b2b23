"""pysynth.sample and pysynth.score: the front end of the sampling engine.

A model file's program names its family. The wavenet and samplernn families run in the
compiled engine (:mod:`pysynth._engine`, or :mod:`pysynth._engine_cuda` on a GPU); any
other family runs through its architecture plugin's numpy :class:`~pysynth.arch.ReferenceModel`
with the same sampling rule and the same random numbers, so a third-party architecture
samples through this API too, only slower. The engine deals only in level indices; this
module quantizes primes and turns indices into audio with :func:`pysynth.audio.level_table`.
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import audio as _audio
from .errors import AudioFileError, ParameterError
from .files import AUDIO_EXTENSIONS
from .modelfile import ModelFile, load_model

#: program family -> class name in pysynth._engine / pysynth._engine_cuda
ENGINE_CLASSES = {"wavenet": "WaveNetEngine", "samplernn": "SampleRNNEngine"}
DEVICES = ("auto", "cpu", "cuda")
_SCORE_BATCH = 64

# (B, len) int32 indices starting at output sample `offset`
BlockCallback = Callable[[np.ndarray, int], None]


# --------------------------------------------------------------------------------------
# Models and engines
# --------------------------------------------------------------------------------------


def load(model: str | os.PathLike | ModelFile) -> ModelFile:
    """Return ``model`` as a :class:`~pysynth.modelfile.ModelFile` (loading a path)."""
    if isinstance(model, ModelFile):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load_model(model)
    raise ParameterError(
        f"model must be a model file path or a loaded pysynth.modelfile.ModelFile, "
        f"got {type(model).__name__}"
    )


def _cuda_module():
    """The CUDA engine module, or a ParameterError saying why it cannot be used."""
    try:
        from . import _engine_cuda
    except ImportError:
        raise ParameterError(
            "device='cuda': this pysynth was built without CUDA support "
            "(no pysynth._engine_cuda; rebuild with a CUDA compiler installed)"
        ) from None
    if not _engine_cuda.device_available():
        problem = _engine_cuda.device_problem() or "no CUDA device found"
        raise ParameterError(f"device='cuda': no usable CUDA device ({problem})")
    return _engine_cuda


def make_engine(model: str | os.PathLike | ModelFile, *, device: str = "auto", threads: int = 0):
    """The compiled engine for ``model``, or ``None`` if its family is not compiled.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses a CUDA device when the CUDA module is built, a device is present
        and it supports the family; otherwise the CPU engine.
    threads : int
        CPU threads (0 = every hardware thread).

    Raises
    ------
    ParameterError
        Unknown device, ``"cuda"`` without CUDA support or device, bad threads.
    ModelFileError
        The program or tensors do not match the family (shapes, NaN, missing tensor).
    """
    mf = load(model)
    if device not in DEVICES:
        raise ParameterError(f"device must be one of {DEVICES}, got {device!r}")
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 0:
        raise ParameterError(f"threads must be an integer >= 0 (0 = all cores), got {threads!r}")
    cls_name = ENGINE_CLASSES.get(mf.family)
    program_json = json.dumps(mf.program)
    if device in ("cuda", "auto"):
        try:
            cuda = _cuda_module()
        except ParameterError:
            if device == "cuda":
                raise
            cuda = None
        if cuda is not None and cls_name is not None and hasattr(cuda, cls_name):
            return _construct(getattr(cuda, cls_name), mf, program_json)
        if device == "cuda":
            raise ParameterError(
                f"device='cuda': the CUDA engine does not run the {mf.family!r} family; "
                "use device='cpu'"
            )
    from . import _engine

    if cls_name is None or not hasattr(_engine, cls_name):
        return None
    return _construct(getattr(_engine, cls_name), mf, program_json, int(threads))


def _construct(cls, mf: ModelFile, program_json: str, *args):
    from .errors import ModelFileError

    try:
        return cls(program_json, mf.tensors, *args)
    except ValueError as exc:
        where = f"{mf.path}: " if mf.path else ""
        raise ModelFileError(f"{where}{exc}") from None


def reference_model(model: str | os.PathLike | ModelFile):
    """The numpy reference model of ``model`` from the architecture whose ``family``
    matches the program's (looked up in :data:`pysynth.registry.architectures`)."""
    from .registry import architectures

    mf = load(model)
    for entry in architectures.entries():
        arch = entry.obj
        if getattr(arch, "family", None) == mf.family:
            if isinstance(arch, type):
                arch = arch()
            return arch.reference(mf.program, mf.tensors)
    raise ParameterError(
        f"no installed architecture plugin runs the {mf.family!r} family "
        f"(known architectures: {', '.join(architectures.names()) or 'none'})"
    )


# --------------------------------------------------------------------------------------
# The reference sampler (numpy): the rule of docs/architecture.md, for any family
# --------------------------------------------------------------------------------------


def sample_index(logits: np.ndarray, temperature: float, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling of ``softmax(logits / temperature)`` row by row.

    ``q = min{k : cumsum(p)[k] > u * sum(p)}`` (the last index if rounding leaves none);
    ``temperature == 0`` is argmax with the lowest index on ties. This is the rule the
    engine applies (``pysynth::sample_logits``), evaluated in float64.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        logits = logits[None]
    arg = np.argmax(logits, axis=1)
    if not temperature > 0:
        return arg.astype(np.int32)
    e = np.exp((logits - logits[np.arange(len(logits)), arg][:, None]) / temperature)
    c = np.cumsum(e, axis=1)
    target = np.asarray(u, dtype=np.float64).reshape(-1) * c[:, -1]
    above = c > target[:, None]
    q = np.argmax(above, axis=1)
    q[~above.any(axis=1)] = logits.shape[1] - 1
    return q.astype(np.int32)


def reference_sample(
    ref_model,
    n: int,
    uniforms: np.ndarray,
    temperature: float = 1.0,
    prime: np.ndarray | None = None,
    cond: np.ndarray | None = None,
    *,
    on_block: BlockCallback | None = None,
    chunk: int = 16000,
) -> np.ndarray | None:
    """Sample ``n`` indices per stream from a numpy reference model, one step at a time.

    Parameters
    ----------
    ref_model : pysynth.arch.ReferenceModel
        Its ``start(B, cond)`` and ``step(state, q_prev)`` are used.
    n : int
        New samples per stream.
    uniforms : ndarray (B, n)
        ``uniforms[:, i]`` is the uniform of sample ``t = P + i`` (``P`` the prime
        length); the engine's are ``pysynth._engine.uniforms(seed, streams, P, n)``.
    temperature : float
        Softmax temperature; 0 is argmax.
    prime : int ndarray (B, P) or None
        Indices teacher-forced before sampling starts.
    cond : int ndarray (B,) or None
        Global-condition class per stream.
    on_block : callable or None
        If given, called as ``on_block(indices (B, <=chunk), offset)`` and nothing is
        returned (constant memory).

    Returns
    -------
    ndarray int32 (B, n), or None with ``on_block``.
    """
    u = np.asarray(uniforms, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] < n:
        raise ParameterError(f"uniforms must have shape (B, >= {n}), got {u.shape}")
    b = u.shape[0]
    state = ref_model.start(b, cond)
    prev = None
    if prime is not None:
        prime = np.asarray(prime)
        for t in range(prime.shape[1]):
            ref_model.step(state, prev)
            prev = prime[:, t]
    out = None if on_block is not None else np.empty((b, n), dtype=np.int32)
    block = np.empty((b, min(chunk, max(n, 1))), dtype=np.int32)
    for i in range(n):
        logits = ref_model.step(state, prev)
        prev = sample_index(logits, temperature, u[:, i])
        if out is not None:
            out[:, i] = prev
        else:
            block[:, i % chunk] = prev
            if (i + 1) % chunk == 0 or i + 1 == n:
                length = i % chunk + 1
                on_block(block[:, :length].copy(), i + 1 - length)
    return out


# --------------------------------------------------------------------------------------
# Sampling plan: checked arguments shared by sample() and sample_to_files()
# --------------------------------------------------------------------------------------


@dataclass
class _Plan:
    model: ModelFile
    n: int
    samples: int
    temperature: float
    seed: int
    prime: np.ndarray | None  # int32 (n, P)
    cond: np.ndarray | None  # int32 (n,)
    engine: Any  # compiled engine, or None: the plugin's reference model runs instead
    reference: Any  # the plugin's ReferenceModel when engine is None
    sample_rate: int

    @property
    def levels(self) -> int:
        return int(self.model.program["levels"])

    @property
    def quantization(self) -> str:
        return str(self.model.program.get("quantization", "mu-law"))

    def run(self, on_block: BlockCallback, chunk: int) -> None:
        streams = np.arange(self.n, dtype=np.int32)
        if self.engine is not None:
            done = 0

            def deliver(block: np.ndarray) -> None:
                nonlocal done
                on_block(block, done)
                done += block.shape[1]

            self.engine.generate(
                self.samples, streams=streams, seed=self.seed, temperature=self.temperature,
                prime=self.prime, cond=self.cond, chunk=chunk, callback=deliver,
            )
            return
        from . import _engine

        p = 0 if self.prime is None else self.prime.shape[1]
        u = _engine.uniforms(self.seed, streams, p, self.samples)
        reference_sample(
            self.reference, self.samples, u, self.temperature, self.prime, self.cond,
            on_block=on_block, chunk=chunk,
        )


def _check_number(name: str, value: Any, *, lo: float, integer: bool = False) -> None:
    ok = isinstance(value, (int, np.integer)) if integer else isinstance(
        value, (int, float, np.integer, np.floating)
    )
    if isinstance(value, bool) or not ok or not np.isfinite(value) or value < lo:
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name} must be {kind} >= {lo}, got {value!r}")


def _prime_indices(prime: Any, mf: ModelFile, n: int) -> np.ndarray | None:
    if prime is None:
        return None
    sr = mf.sample_rate
    if isinstance(prime, (str, os.PathLike)):
        x, _ = _audio.load(prime, sr=sr)
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
    levels = int(mf.program["levels"])
    return np.ascontiguousarray(
        _audio.quantize(x, levels, str(mf.program.get("quantization", "mu-law"))), dtype=np.int32
    )


def _cond_ids(cond: Any, mf: ModelFile, n: int) -> np.ndarray | None:
    classes = int(mf.program.get("conditioning_classes", 0) or 0)
    if cond is None:
        if classes > 0:
            raise ParameterError(
                f"this model is conditioned on {classes} classes: pass cond "
                f"(a class id in [0, {classes}) or one per stream)"
            )
        return None
    if classes == 0:
        raise ParameterError(f"cond={cond!r} was given but this model is not conditioned")
    c = np.asarray(cond)
    if c.ndim == 0:
        c = np.full(n, c)
    if c.dtype.kind not in "iu" or c.shape != (n,):
        raise ParameterError(f"cond must be a class id or {n} class ids, got {cond!r}")
    if c.min() < 0 or c.max() >= classes:
        raise ParameterError(f"cond class ids must be in [0, {classes}), got {cond!r}")
    return c.astype(np.int32)


#: The longest clip (in samples) pysynth generates: a 16-bit WAV file holds at most 4 GiB.
MAX_CLIP_SAMPLES = (2**32 - 1024) // 2


def _plan(model, *, n, seconds, temperature, seed, prime, cond, device, threads) -> _Plan:
    _check_number("n", n, lo=1, integer=True)
    _check_number("seconds", seconds, lo=0)
    _check_number("temperature", temperature, lo=0)
    _check_number("seed", seed, lo=0, integer=True)
    mf = load(model)
    sr = mf.sample_rate
    samples = round(float(seconds) * sr)
    if samples < 1:
        raise ParameterError(f"seconds={seconds!r} is less than one sample at {sr} Hz")
    if samples > MAX_CLIP_SAMPLES:
        raise ParameterError(
            f"seconds={seconds!r} is too long for one clip: a WAV file holds at most "
            f"{MAX_CLIP_SAMPLES / sr / 3600:.0f} hours at {sr} Hz"
        )
    engine = make_engine(mf, device=device, threads=threads)
    return _Plan(
        model=mf, n=int(n), samples=int(samples), temperature=float(temperature),
        seed=int(seed), prime=_prime_indices(prime, mf, int(n)), cond=_cond_ids(cond, mf, int(n)),
        engine=engine, reference=reference_model(mf) if engine is None else None,
        sample_rate=sr,
    )


def _progress_bar(seconds: float, enabled: bool):
    """A tqdm bar on stderr counting seconds of audio per clip, or None."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=seconds, unit="s", desc="sampling", leave=False,
                bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]")


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def sample(
    model: str | os.PathLike | ModelFile,
    *,
    n: int = 16,
    seconds: float = 4.0,
    temperature: float = 1.0,
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    progress: bool = False,
    threads: int = 0,
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
    seed : int
        Seed (>= 0) of the counter-based random numbers.
    prime : audio array, (n, samples) array, audio file path, or None
        Audio the clips continue (at the model's sample rate; files are resampled). It is
        quantized with the model's quantization and teacher-forced; it is not part of
        the returned audio.
    cond : int, sequence of n ints, or None
        Global-condition class (per clip) for a conditioned model.
    device : {"auto", "cpu", "cuda"}
        ``"cuda"`` raises :class:`~pysynth.errors.ParameterError` if pysynth was built
        without CUDA or no device is present; ``"auto"`` falls back to the CPU.
    progress : bool
        Show a tqdm progress bar on stderr.
    threads : int
        CPU threads, 0 = all cores.

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
    plan = _plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                 cond=cond, device=device, threads=threads)
    table = _audio.level_table(plan.levels, plan.quantization)
    out = np.empty((plan.n, plan.samples), dtype=np.float32)
    bar = _progress_bar(plan.samples / plan.sample_rate, progress)

    def on_block(block: np.ndarray, offset: int) -> None:
        out[:, offset : offset + block.shape[1]] = table[block]
        if bar is not None:
            bar.update(block.shape[1] / plan.sample_rate)

    try:
        plan.run(on_block, chunk=_chunk(plan))
    finally:
        if bar is not None:
            bar.close()
    return out


class _StopStreaming(Exception):
    """Raised inside the engine's callback when the consumer of stream() went away."""


def stream(
    model: str | os.PathLike | ModelFile,
    *,
    n: int = 16,
    seconds: float = 4.0,
    temperature: float = 1.0,
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    threads: int = 0,
    block_seconds: float = 0.25,
) -> Iterator[np.ndarray]:
    """Generate like :func:`sample`, yielding float32 blocks ``(n, <= block)`` as they are made.

    Memory stays constant however long ``seconds`` is: the engine runs in a background
    thread (it releases the GIL) and waits while two blocks are unconsumed. Closing the
    iterator early (``break``) stops the generation within one block. The concatenated
    blocks equal ``sample(...)`` with the same arguments.

    Examples
    --------
    >>> for block in pysynth.sampling.stream("model.pysynth", n=2, seconds=3600):  # doctest: +SKIP
    ...     player.write(block)
    """
    _check_number("block_seconds", block_seconds, lo=0)
    plan = _plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                 cond=cond, device=device, threads=threads)
    chunk = max(1, round(float(block_seconds) * plan.sample_rate))
    table = _audio.level_table(plan.levels, plan.quantization)
    blocks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    done = object()

    def offer(item: Any) -> bool:
        """Queue item unless the consumer went away (then False)."""
        while not stop.is_set():
            try:
                blocks.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def on_block(block: np.ndarray, offset: int) -> None:
        if not offer(table[block]):
            raise _StopStreaming

    def work() -> None:
        try:
            plan.run(on_block, chunk=chunk)
            offer(done)
        except _StopStreaming:
            pass
        except BaseException as exc:  # handed to the consumer, re-raised there
            offer(exc)

    worker = threading.Thread(target=work, name="pysynth-stream", daemon=True)
    worker.start()
    try:
        while True:
            item = blocks.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the worker stops at its next block (within one block of work)
        worker.join()


def _chunk(plan: _Plan) -> int:
    # about a quarter second of audio per block: smooth progress, negligible overhead
    return max(256, plan.sample_rate // 4)


@dataclass
class SampleReport:
    """What :func:`sample_to_files` wrote and how fast: ``real_time_factor`` is seconds of
    audio generated (all clips together) per second of wall-clock time."""

    paths: list[Path]
    audio_seconds: float
    wall_seconds: float

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
    seed: int = 0,
    prime: np.ndarray | str | os.PathLike | None = None,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    progress: bool = False,
    threads: int = 0,
    prefix: str | None = None,
) -> SampleReport:
    """Generate like :func:`sample` but stream the clips to WAV files as they grow.

    Memory stays constant in ``seconds``. Each file is written to a temporary name in
    ``out_dir`` and renamed to ``{prefix}-seed{seed}-{i:03d}.wav`` only when complete
    (an interrupted run leaves no partial files). ``prefix`` defaults to the model
    file's stem.
    """
    import soundfile as sf

    plan = _plan(model, n=n, seconds=seconds, temperature=temperature, seed=seed, prime=prime,
                 cond=cond, device=device, threads=threads)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"output {out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if prefix is None:
        prefix = plan.model.path.stem if plan.model.path is not None else "sample"
    finals = [out_dir / f"{prefix}-seed{plan.seed}-{i:03d}.wav" for i in range(plan.n)]
    temps = [p.with_name(f".{p.name}.partial.wav") for p in finals]
    table = _audio.level_table(plan.levels, plan.quantization)
    bar = _progress_bar(plan.samples / plan.sample_rate, progress)
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
            x = np.clip(table[block], -1.0, 1.0)
            for f, row in zip(files, x):
                f.write(row)
            if bar is not None:
                bar.update(block.shape[1] / plan.sample_rate)

        plan.run(on_block, chunk=_chunk(plan))
        for f in files:
            f.close()
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
    except BaseException:
        for f in files:
            f.close()
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - start
    return SampleReport(paths=finals, audio_seconds=plan.n * plan.samples / plan.sample_rate,
                        wall_seconds=wall)


def clip_paths(path: str | os.PathLike) -> list[Path]:
    """The audio files a path stands for: itself if a file; a dataset folder's clips in
    manifest order; otherwise every audio file under the folder (sorted, hidden files
    such as unfinished ``pysynth sample`` outputs skipped).

    Raises
    ------
    AudioFileError
        If the path does not exist or a folder holds no audio files.
    """
    from .dataset import MANIFEST, Dataset

    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"{path}: no such file or folder")
    if not path.is_dir():
        return [path]
    if (path / MANIFEST).exists():
        ds = Dataset.open(path)
        return [ds.path(c) for c in ds.clips()]
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise AudioFileError(f"{path}: folder holds no audio files (and is not a dataset)")
    return files


def _as_clips(audio: Any, sr: int) -> list[np.ndarray]:
    """Audio arrays or paths (files, dataset or audio folders) -> list of 1-D float32 clips."""
    if isinstance(audio, (str, os.PathLike)):
        return [_audio.load(p, sr=sr)[0] for p in clip_paths(audio)]
    if isinstance(audio, np.ndarray):
        if audio.ndim == 1:
            return [audio]
        if audio.ndim == 2:
            return list(audio)
        raise ParameterError(f"audio must be 1-D or (clips, samples), got shape {audio.shape}")
    if isinstance(audio, Iterable):
        clips: list[np.ndarray] = []
        for item in audio:
            clips.extend(_as_clips(item, sr))
        return clips
    raise ParameterError(f"audio must be an array, a file or folder path, or a list of them, "
                         f"got {type(audio).__name__}")


def score_clips(
    model: str | os.PathLike | ModelFile,
    audio: Any,
    *,
    cond: int | Sequence[int] | np.ndarray | None = None,
    device: str = "auto",
    threads: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-clip NLL: ``(bits per sample of each clip, length of each clip)``.

    Takes the same arguments as :func:`score`; clips come in the order given (dataset
    folders expand to their clips in manifest order).
    """
    mf = load(model)
    clips = _as_clips(audio, mf.sample_rate)
    if not clips:
        raise ParameterError("no audio to score")
    for i, x in enumerate(clips):
        if x.size == 0:
            raise ParameterError(f"clip {i} is empty")
        if not np.all(np.isfinite(x)):
            raise ParameterError(f"clip {i} contains NaN or infinite samples")
    cond_ids = _cond_ids(cond, mf, len(clips))
    levels = int(mf.program["levels"])
    kind = str(mf.program.get("quantization", "mu-law"))
    engine = make_engine(mf, device=device, threads=threads)
    ref = None if engine is not None else reference_model(mf)
    bits = np.zeros(len(clips))
    # Clips of equal length are scored together (datasets have fixed-length clips), at most
    # _SCORE_BATCH at a time so the engine's per-stream state stays small.
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(clips):
        by_length.setdefault(len(x), []).append(i)
    batches = [same[k : k + _SCORE_BATCH] for same in by_length.values()
               for k in range(0, len(same), _SCORE_BATCH)]
    for idx in batches:
        q = np.stack([_audio.quantize(clips[i], levels, kind) for i in idx]).astype(np.int32)
        c = None if cond_ids is None else cond_ids[idx]
        if engine is not None:
            nll = np.asarray(engine.nll(q, c), dtype=np.float64)
        else:
            nll = _reference_nll(ref.logits(q, c), q)
        bits[idx] = nll.mean(axis=1)
    return bits, np.array([len(x) for x in clips], dtype=np.int64)


def score(
    model: str | os.PathLike | ModelFile,
    audio: Any,
    *,
    cond: int | Sequence[int] | np.ndarray | None = None,
    per_clip: bool = False,
    device: str = "auto",
    threads: int = 0,
) -> float | np.ndarray:
    """Negative log-likelihood of audio under a model, in bits per sample.

    Parameters
    ----------
    model : path or ModelFile
    audio : array (samples,) or (clips, samples), audio file path, dataset folder, folder
        of audio files, or a list of these (see :func:`clip_paths`). Files are loaded at
        the model's sample rate; audio is quantized with the model's quantization. Each
        clip is scored from its first sample.
    cond : int or one int per clip, for a conditioned model.
    per_clip : bool
        Return one mean NLL per clip instead of the mean over every sample.
    device, threads : as for :func:`sample`.

    Returns
    -------
    float, or ndarray float64 (clips,) with ``per_clip``.

    Examples
    --------
    >>> pysynth.score("model.pysynth", "dataset/")  # doctest: +SKIP
    5.83
    """
    bits, lengths = score_clips(model, audio, cond=cond, device=device, threads=threads)
    if per_clip:
        return bits
    return float(np.sum(bits * lengths) / np.sum(lengths))


def _reference_nll(logits: np.ndarray, q: np.ndarray) -> np.ndarray:
    lg = np.asarray(logits, dtype=np.float64)
    mx = lg.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(lg - mx).sum(axis=-1)) + mx[..., 0]
    picked = np.take_along_axis(lg, q[..., None].astype(np.int64), axis=-1)[..., 0]
    return (lse - picked) / np.log(2.0)


__all__ = [
    "DEVICES",
    "SampleReport",
    "clip_paths",
    "load",
    "make_engine",
    "reference_model",
    "reference_sample",
    "sample",
    "sample_index",
    "sample_to_files",
    "score",
    "score_clips",
    "stream",
]


def learned_little(model: str | os.PathLike | ModelFile) -> str | None:
    """A warning when a model's validation NLL is close to chance, else ``None``.

    Chance is ``log2(levels)`` bits per sample (8 for 256 levels): a model there has
    learned nothing and generates noise. Saying so before sampling answers the commonest
    complaint about neural audio tools ("it only makes noise, and I cannot tell why").
    """
    mf = load(model)
    nll = mf.metadata.get("val_nll_bits")
    if nll is None:
        return None
    chance = float(np.log2(int(mf.program["levels"])))
    if float(nll) < 0.9 * chance:
        return None
    epoch = mf.metadata.get("epoch")
    return (
        f"this model's validation NLL is {float(nll):.2f} bits per sample, close to chance "
        f"({chance:.0f} bits){f' after {epoch} epochs' if epoch is not None else ''}: it has "
        "learned little, so expect noise. Train longer (pysynth train --resume --epochs N), "
        "on more data, or check the dataset with pysynth map."
    )
