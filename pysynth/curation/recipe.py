"""The curation pipeline: reading a recipe of steps and building the curators it names."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..files import read_json_or_yaml

#: The pipeline :func:`~pysynth.curation.curate` runs without a recipe (its flags remove steps).
DEFAULT_STEPS = ("decode", "reject", "trim", "normalize", "cut", "reject", "dedupe", "split")

STAGES = ("decode", "segment", "dataset")


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


#: Default of the options of :func:`~pysynth.curation.curate` that a curator's own default
#: should fill: :func:`build_pipeline` passes no value for them.
UNSET: Any = _Unset()


def step_name(curator: Any) -> str:
    """The name a curator is recorded under (in dataset.json, rejects.jsonl, errors)."""
    return getattr(curator, "name", "") or type(curator).__name__


def stage_of(curator: Any) -> str:
    """``"decode"``, ``"segment"`` or ``"dataset"`` (a curator without a stage is per segment)."""
    return getattr(curator, "stage", "segment")


def load_recipe(recipe: str | os.PathLike | Sequence | dict) -> list[tuple[str, dict]]:
    """Read a recipe: the ordered steps, each a curator name and its parameters.

    A recipe is a list (or ``{"steps": [...]}``) whose items are a name (``"trim"``), a
    one-key mapping (``{"trim": {"trim_db": 40}}``) or a mapping with a ``curator`` key
    (``{"curator": "trim", "trim_db": 40}``). A path is read as JSON, or as YAML when it
    ends in ``.yaml``/``.yml``.

    Examples
    --------
    >>> load_recipe(["decode", {"cut": {"clip_seconds": 2}}, "split"])
    [('decode', {}), ('cut', {'clip_seconds': 2}), ('split', {})]
    """
    if isinstance(recipe, (str, os.PathLike)):
        data, where = read_json_or_yaml(recipe, what="recipe"), str(Path(recipe))
    else:
        data, where = recipe, "recipe"
    if isinstance(data, dict):
        if set(data) != {"steps"}:
            raise ParameterError(f"{where}: a recipe mapping must have exactly one key "
                                 f"'steps', got {sorted(data)}")
        data = data["steps"]
    if not isinstance(data, (list, tuple)) or not data:
        raise ParameterError(f"{where}: a recipe is a non-empty list of steps, got {data!r}")
    steps = []
    for i, item in enumerate(data):
        if isinstance(item, str):
            steps.append((item, {}))
        elif isinstance(item, dict) and "curator" in item:
            params = {k: v for k, v in item.items() if k != "curator"}
            steps.append((str(item["curator"]), params))
        elif isinstance(item, dict) and len(item) == 1:
            (name, params), = item.items()
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise ParameterError(f"{where}: step {i} ({name}): parameters must be a "
                                     f"mapping, got {params!r}")
            steps.append((str(name), dict(params)))
        else:
            raise ParameterError(f"{where}: step {i} must be a name or a mapping, got {item!r}")
    return steps


def default_steps(*, trim: bool, split_on_silence: bool, normalize: bool, cut: bool,
                  dedupe: bool) -> list[tuple[str, dict]]:
    """:data:`DEFAULT_STEPS` with the optional steps switched on or off."""
    names = list(DEFAULT_STEPS)
    if not trim:
        names.remove("trim")
    if split_on_silence:
        names.insert(names.index("normalize"), "split_silence")
    if not normalize:
        names.remove("normalize")
    if not cut:
        names.remove("cut")
    if not dedupe:
        names.remove("dedupe")
    return [(n, {}) for n in names]


def build_pipeline(steps: Iterable[tuple[str, dict]], options: dict[str, Any]) -> list:
    """Instantiate the curators of ``steps``; ``options`` fill parameters the step has.

    Explicit step parameters win over ``options``; options equal to :data:`UNSET` are left
    to the curator's default. The decode step is built last and gets ``align_seconds``
    from the first step whose :meth:`~pysynth.curation.Curator.block_alignment` is not
    ``None`` (unless the recipe sets it). Raises ParameterError for an unknown parameter,
    UnknownNameError for an unknown curator, and checks the stage order: one decode step
    first, dataset steps last.
    """
    from ..registry import curators

    steps = list(steps)
    classes = [curators.get(name) for name, _ in steps]
    pipeline: list[Any] = [None] * len(steps)
    # decode steps last: their block alignment comes from the steps after them
    order = sorted(range(len(steps)), key=lambda i: stage_of(classes[i]) == "decode")
    for i in order:
        name, params = steps[i]
        extra = {}
        if stage_of(classes[i]) == "decode":
            align = _block_alignment(c for c in pipeline if c is not None)
            if align is not None:
                extra["align_seconds"] = align
        pipeline[i] = _instantiate(name, classes[i], params, {**options, **extra})
    _check_order(pipeline)
    return pipeline


def _instantiate(name: str, cls: Any, params: dict, options: dict[str, Any]) -> Any:
    try:
        accepted = set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        accepted = set()
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ParameterError(f"curator {name!r} has no parameter {', '.join(unknown)}; "
                             f"its parameters are {', '.join(sorted(accepted)) or '(none)'}")
    kwargs = {k: v for k, v in options.items() if k in accepted and v is not UNSET}
    kwargs.update(params)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ParameterError(f"curator {name!r}: {exc}") from None


def _block_alignment(curators: Iterable[Any]) -> float | None:
    for c in curators:
        hook = getattr(c, "block_alignment", None)  # plugins need not subclass Curator
        align = hook() if callable(hook) else None
        if align is not None:
            return align
    return None


def _check_order(pipeline: list) -> None:
    stages = [stage_of(c) for c in pipeline]
    if not stages or stages[0] != "decode" or stages.count("decode") != 1:
        raise ParameterError(f"the pipeline must start with exactly one decode step, got "
                             f"{[step_name(c) for c in pipeline]}")
    seen_dataset = False
    for c, s in zip(pipeline, stages):
        if s not in STAGES:
            raise ParameterError(f"curator {step_name(c)!r} has unknown stage {s!r}")
        if s == "dataset":
            seen_dataset = True
        elif seen_dataset:
            raise ParameterError(f"curator {step_name(c)!r} runs per file and must come "
                                 f"before the dataset-wide steps (dedupe, split)")
