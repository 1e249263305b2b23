"""``pysynth.augment``: grow a dataset with reproducible, recorded augmentations (the entry point)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..checks import check_int
from ..dataset import SPLITS, Dataset, write_dataset
from ..errors import DatasetError, ParameterError
from .copies import Plan, write_copies
from .output import check_clip_path, check_out, link_or_copy, remove_stale, unique_id
from .recipe import describe, resolve_recipe


def augment(
    dataset: str | os.PathLike | Dataset,
    out: str | os.PathLike,
    *,
    copies: int = 1,
    recipe: Any = None,
    seed: int = 0,
    splits: Sequence[str] | str = ("train",),
    link: bool = True,
    overwrite: bool = False,
    workers: int = 1,
    progress: bool = False,
) -> Dataset:
    """Write a new dataset: the original clips plus ``copies`` augmented copies of each.

    Parameters
    ----------
    dataset : path-like or Dataset
        The input dataset; it is never modified.
    out : path-like
        The output dataset folder. Must not be the input (or inside it); an existing
        dataset there is replaced only with ``overwrite=True``.
    copies : int
        Augmented copies per clip, in [1, 10000].
    recipe : None, path-like, dict, list or augmenter
        What to apply: a recipe file (JSON or YAML), recipe data (see
        :func:`~pysynth.augmentation.build_augmenter`) or an augmenter object. ``None`` uses
        :data:`~pysynth.augmentation.DEFAULT_RECIPE`.
    seed : int
        Non-negative; with the clip id and the copy index it seeds each augmented clip.
    splits : sequence of str or comma-separated str
        Which splits are augmented (default only ``"train"``, so validation and test stay
        untouched measurements); every split's originals are kept.
    link : bool
        Hard-link the original clips into ``out`` (copy if the file system refuses).
        ``False`` always copies.
    overwrite : bool
        Replace a dataset already at ``out`` (stale clip files there are removed).
    workers : int
        Processes augmenting clips in parallel (the result does not depend on it; the
        recipe must then be picklable, as every recipe built from data is).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Dataset
        The output dataset, opened.

    Raises
    ------
    ParameterError
        For bad arguments, a bad recipe, or an ``out`` that would touch the input.
    DatasetError
        If ``dataset`` is not a readable dataset.

    Notes
    -----
    Augmented clips get ids ``<clip id>-aug<k>`` (k = 1..copies), keep the source clip's
    split, label, source, offset and length, and carry ``lineage``::

        {"source_clip": id, "copy": k, "seed": seed,
         "chain": [{"name": "gain", "params": {"gain_db": 2.1}}, ...],
         "peak_scale": 1.0}

    ``peak_scale`` below 1 says the clip was scaled down to stay within ±1 rather than
    clipped. ``dataset.json`` records the recipe, seed, copies and splits under
    ``"augment"``.

    Examples
    --------
    >>> import pysynth                                                  # doctest: +SKIP
    >>> ds = pysynth.augment("dataset", "dataset-aug", copies=4, seed=1)  # doctest: +SKIP
    """
    copies = check_int(copies, "copies", lo=1, hi=10_000, owner="augment")
    seed = check_int(seed, "seed", lo=0, owner="augment")
    workers = check_int(workers, "workers", lo=1, hi=256, owner="augment")
    splits = _check_splits(splits)
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    out = Path(out)
    check_out(ds.root, out, overwrite=overwrite)
    aug = resolve_recipe(recipe)
    clips = ds.clips()
    for c in clips:
        check_clip_path(c)
    taken = {c.id for c in clips}

    # ids are given out here, in manifest order, so they never depend on the workers
    plan: Plan = []
    for clip in clips:
        src = ds.path(clip)
        if not src.is_file():
            raise DatasetError(f"{src}: clip {clip.id!r} is in the manifest but missing")
        ids = []
        if clip.split in splits:
            for k in range(1, copies + 1):
                ids.append((k, unique_id(f"{clip.id}-aug{k}", taken)))
                taken.add(ids[-1][1])
        plan.append((clip, ids))

    for clip, _ in plan:
        link_or_copy(ds.path(clip), out / clip.path, link=link)
    made = write_copies(ds, plan, aug, out, seed=seed, workers=workers, progress=progress)
    manifest = [c for (clip, _), new in zip(plan, made) for c in (clip, *new)]

    info = {k: v for k, v in ds.info.items() if k not in ("format", "version")}
    info["augment"] = {
        "source_dataset": str(ds.root.resolve()),
        "copies": copies,
        "seed": seed,
        "splits": list(splits),
        "recipe": describe(aug),
        "originals": len(clips),
        "augmented": len(manifest) - len(clips),
        "pysynth_version": __version__,
    }
    if "augment" in ds.info:  # augmenting an augmented dataset: keep the history
        info["augment"]["previous"] = ds.info["augment"]
    write_dataset(out, manifest, info, rejects=ds.rejects())
    remove_stale(out, manifest)
    return Dataset.open(out)


def _check_splits(splits: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(splits, str):
        splits = [s.strip() for s in splits.split(",") if s.strip()]
    splits = tuple(splits)
    bad = [s for s in splits if s not in SPLITS]
    if not splits or bad:
        raise ParameterError(f"augment splits must be a non-empty subset of {SPLITS}, "
                             f"got {splits!r}")
    return splits
