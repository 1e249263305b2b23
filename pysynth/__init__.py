"""pysynth: neural audio synthesis in the waveform domain for ordinary computers.

The top-level functions are the public API the CLI itself calls::

    pysynth.curate(["sounds/"], "dataset")
    pysynth.augment("dataset", "dataset-aug", copies=4)
    pysynth.map("dataset-aug", html="map.html")
    pysynth.train("dataset-aug", arch="wavenet", run="run")
    pysynth.export("run", "model.pysynth")
    audio = pysynth.sample("model.pysynth", n=16, seconds=4.0)
    report = pysynth.evaluate("generated/", "dataset-aug")
    picked = pysynth.pick("model.pysynth", "dataset-aug", "picked/", n=500, k=32)

They are imported lazily so that ``import pysynth`` is quick and never imports
TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY = {
    "curate": ("pysynth.curation", "curate"),
    "augment": ("pysynth.augmentation", "augment"),
    "map": ("pysynth.mapping", "map"),
    "train": ("pysynth.training", "train"),
    "export": ("pysynth.training", "export"),
    "sample": ("pysynth.sampling", "sample"),
    "score": ("pysynth.sampling", "score"),
    "evaluate": ("pysynth.evaluation", "evaluate"),
    "pick": ("pysynth.picking", "pick"),
    "load_model": ("pysynth.modelfile", "load_model"),
    "save_model": ("pysynth.modelfile", "save_model"),
    "registry": ("pysynth.registry", None),
    "audio": ("pysynth.audio", None),
}

__all__ = [  # noqa: PLE0604 - the lazy names are strings
    "__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'pysynth' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
