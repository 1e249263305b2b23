"""Augmentation recipes: the default mix, recipe files, and building augmenters from them."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..files import read_json_or_yaml

#: Used when no recipe is given: one to three of the everyday augmenters, in a fixed order,
#: each mild enough to keep the character of the sound. Not ``time_shift`` or ``noise``:
#: pysynth's datasets train models that *generate* sounds, and a rolled copy of a one-shot
#: starts mid-sound with its attack up to 0.25 s in, while added noise becomes a floor the
#: model reproduces. Both stay available to recipes. On the demo, both models trained
#: without them scored the real validation clips better in two runs of two (SampleRNN 2.65
#: and 2.66 bits against 2.74, WaveNet 2.52 and 2.55 against 2.69); the generated clips'
#: quality varied as much between those two runs as it ever did (docs/benchmarks.md,
#: eighth session).
DEFAULT_RECIPE: dict[str, Any] = {
    "name": "some_of",
    "n": [1, 3],
    "augmenters": [
        {"name": "gain", "gain_db": [-6.0, 6.0]},
        {"name": "pitch_shift", "semitones": [-2.0, 2.0]},
        {"name": "time_stretch", "rate": [0.9, 1.1]},
        {"name": "speed", "rate": [0.92, 1.08]},
    ],
}

#: An augmenter as the pipeline sees it: ``aug(y, sr, rng=rng) -> (y, records)``.
AugmenterLike = Callable[..., tuple[np.ndarray, list[dict[str, Any]]]]


def load_recipe(path: str | os.PathLike) -> Any:
    """Read a recipe file (JSON, or YAML for ``.yaml``/``.yml``) into plain data.

    Raises
    ------
    ParameterError
        If the file is missing or does not parse; the message names the file.
    """
    return read_json_or_yaml(path, what="recipe")


def build_augmenter(spec: Any, *, base_dir: str | os.PathLike | None = None) -> AugmenterLike:
    """Build an augmenter from a recipe entry.

    Parameters
    ----------
    spec : dict, list or augmenter
        ``{"name": <registered name>, **arguments}``; a list means ``compose`` of its
        entries; a dict with ``augmenters`` but no ``name`` is a ``compose`` too. Nested
        ``augmenters`` lists are built recursively. An augmenter object is returned as is.
    base_dir : path-like, optional
        Folder that relative paths in the recipe (e.g. ``background_noise``'s ``folder``)
        are resolved against; the recipe file's folder when loaded from a file.

    Raises
    ------
    ParameterError
        For a malformed entry or bad arguments (the message names the entry).
    UnknownNameError
        For a name no augmenter is registered under (lists the known ones).

    Examples
    --------
    >>> aug = build_augmenter([{"name": "gain", "gain_db": [-3, 3]}, {"name": "noise"}])
    >>> type(aug).__name__
    'Compose'
    """
    from ..registry import augmenters

    if callable(spec) and not isinstance(spec, type):
        return spec
    if isinstance(spec, list):
        spec = {"name": "compose", "augmenters": spec}
    if not isinstance(spec, dict):
        raise ParameterError(
            f"recipe: an augmenter entry must be a mapping with a 'name', got {spec!r}"
        )
    kwargs = dict(spec)
    name = kwargs.pop("name", "compose" if "augmenters" in kwargs else None)
    if not isinstance(name, str):
        raise ParameterError(f"recipe: entry has no 'name' of an augmenter: {spec!r}")
    factory = augmenters.get(name)
    if "augmenters" in kwargs:
        children = kwargs["augmenters"]
        if not isinstance(children, list):
            raise ParameterError(
                f"recipe: {name!r} needs 'augmenters' to be a list, got {children!r}"
            )
        kwargs["augmenters"] = [build_augmenter(c, base_dir=base_dir) for c in children]
    for key in getattr(factory, "path_params", ()):
        if base_dir is not None and isinstance(kwargs.get(key), str):
            kwargs[key] = str(Path(base_dir) / Path(kwargs[key]).expanduser())
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ParameterError(f"recipe: bad arguments for {name!r}: {exc}") from None


def resolve_recipe(recipe: Any) -> AugmenterLike:
    """The augmenter of ``recipe``: None (the default), a recipe file, recipe data or an
    augmenter object."""
    if recipe is None:
        return build_augmenter(DEFAULT_RECIPE)
    if isinstance(recipe, (str, os.PathLike)):
        path = Path(recipe)
        return build_augmenter(load_recipe(path), base_dir=path.parent)
    return build_augmenter(recipe)


def describe(aug: AugmenterLike) -> Any:
    """What dataset.json records of the recipe: the config that rebuilds it, or its repr."""
    get_config = getattr(aug, "get_config", None)
    return get_config() if callable(get_config) else repr(aug)
