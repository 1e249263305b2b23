"""What runs a model file: the compiled CPU engine, the CUDA engine when a GPU can take the
family, or the architecture plugin's numpy reference for families the engine does not know.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..checks import check_choice, check_int
from ..errors import ModelFileError, ParameterError, PysynthError
from ..modelfile import ModelFile, load_model

#: program family -> class name in pysynth._engine / pysynth._engine_cuda
ENGINE_CLASSES = {"wavenet": "WaveNetEngine", "samplernn": "SampleRNNEngine"}
DEVICES = ("auto", "cpu", "cuda")
#: how the CPU engine stores the weights of its matrix products (docs/architecture.md)
WEIGHTS = ("float32", "bf16")

__all__ = ["DEVICES", "ENGINE_CLASSES", "WEIGHTS", "load", "make_engine", "reference_model",
           "runner"]


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
        from .. import _engine_cuda
    except ImportError:
        raise ParameterError(
            "device='cuda': this pysynth was built without CUDA support "
            "(no pysynth._engine_cuda; rebuild with a CUDA compiler installed)"
        ) from None
    if not _engine_cuda.device_available():
        problem = _engine_cuda.device_problem() or "no CUDA device found"
        raise ParameterError(f"device='cuda': no usable CUDA device ({problem})")
    return _engine_cuda


def make_engine(model: str | os.PathLike | ModelFile, *, device: str = "auto", threads: int = 0,
                weights: str = "float32"):
    """The compiled engine for ``model``, or ``None`` if its family is not compiled.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` uses a CUDA device when the CUDA module is built, a device is present
        and it supports the family; otherwise the CPU engine.
    threads : int
        CPU threads (0 = every hardware thread).
    weights : {"float32", "bf16"}
        How the CPU engine stores the weights of its matrix products: ``"bf16"`` rounds
        them (and the activations they multiply) to bfloat16 and multiplies with
        ``vdpbf16ps``, about twice as fast where the weights do not fit in cache, at a small
        cost in accuracy (docs/benchmarks.md). Needs a CPU with AVX512_BF16; CPU only.

    Raises
    ------
    ParameterError
        Unknown device, ``"cuda"`` without CUDA support or device, bad threads, ``"bf16"``
        on a CPU or device without it.
    ModelFileError
        The program or tensors do not match the family (shapes, NaN, missing tensor).
    """
    mf = load(model)
    check_choice(device, "device", DEVICES)
    threads = check_int(threads, "threads", lo=0)
    check_choice(weights, "weights", WEIGHTS)
    if weights != "float32" and device == "cuda":
        raise ParameterError(f"weights={weights!r} is a CPU engine option; use device='cpu'")
    cls_name = ENGINE_CLASSES.get(mf.family)
    program_json = json.dumps(mf.program)
    if device == "cuda" or (device == "auto" and weights == "float32"):
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
    _engine = compiled_engine()
    if cls_name is None or not hasattr(_engine, cls_name):
        if weights != "float32":
            raise ParameterError(
                f"weights={weights!r}: the compiled engine does not run the {mf.family!r} "
                "family (its numpy reference computes in float64)"
            )
        return None
    if weights == "bf16" and not _engine.bf16_available():
        raise ParameterError(
            "weights='bf16' needs a CPU with AVX512_BF16 (vdpbf16ps) and an engine built on "
            "one; this CPU or build has none: use weights='float32'"
        )
    return _construct(getattr(_engine, cls_name), mf, program_json, threads, weights)


def compiled_engine():
    """The compiled CPU engine module ``pysynth._engine``, or a clear error without it.

    It is missing when pysynth is imported from its source folder instead of from an
    installation (``python -m pysynth`` run in a clone of the repository puts the clone first
    on ``sys.path``); the message says so rather than showing a bare ImportError.
    """
    try:
        from .. import _engine
    except ImportError:
        import pysynth

        raise PysynthError(
            f"pysynth's compiled engine is missing from {Path(pysynth.__file__).parent}: this "
            "is the source folder, not an installation. Install it (pip install . or "
            "pip install -e .) and run from another folder, or use the `pysynth` command"
        ) from None
    return _engine


def _construct(cls, mf: ModelFile, program_json: str, *args):
    try:
        if len(args) == 2:  # the CPU engine: threads, weights
            return cls(program_json, mf.tensors, args[0], weights=args[1])
        return cls(program_json, mf.tensors, *args)
    except ValueError as exc:
        # the engine names the tensor or key; the user also needs to know which file
        where = f"{mf.path}: " if mf.path else ""
        raise ModelFileError(f"{where}{exc}") from None


def reference_model(model: str | os.PathLike | ModelFile):
    """The numpy reference model of ``model`` from the architecture whose ``family``
    matches the program's (looked up in :data:`pysynth.registry.architectures`)."""
    from ..arch import get_architecture
    from ..registry import architectures

    mf = load(model)
    for entry in architectures.entries():
        if getattr(entry.obj, "family", None) == mf.family:
            return get_architecture(entry.obj).reference(mf.program, mf.tensors)
    raise ParameterError(
        f"no installed architecture plugin runs the {mf.family!r} family "
        f"(known architectures: {', '.join(architectures.names()) or 'none'})"
    )


def runner(mf: ModelFile, *, device: str, threads: int,
           weights: str = "float32") -> tuple[Any, Any]:
    """``(engine, None)`` when the engine compiles ``mf``'s family, else ``(None, reference)``
    with the plugin's :class:`~pysynth.arch.ReferenceModel` (slower, same results)."""
    engine = make_engine(mf, device=device, threads=threads, weights=weights)
    return engine, (reference_model(mf) if engine is None else None)
