"""pysynth.augment: grow a dataset with reproducible, recorded augmentations.

The output is a new dataset folder in the same layout: the original clips (hard-linked or
copied) plus ``copies`` augmented versions of each training clip, each with its lineage in
the manifest (source clip, the augmenters that ran and the parameters they drew). The
randomness of one augmented clip comes only from ``(seed, clip id, copy index)``, so the
same call twice writes bit-identical files, and one clip's result does not depend on the
others.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from . import __version__
from .dataset import CLIPS_DIR, INFO, SPLITS, Clip, Dataset, audio_checksum, write_dataset
from .errors import DatasetError, ParameterError, PysynthError
from .files import read_json_or_yaml

#: Used when no recipe is given: one to three of the everyday augmenters, in a fixed order,
#: each mild enough to keep the character of the sound.
DEFAULT_RECIPE: dict[str, Any] = {
    "name": "some_of",
    "n": [1, 3],
    "augmenters": [
        {"name": "gain", "gain_db": [-6.0, 6.0]},
        {"name": "pitch_shift", "semitones": [-2.0, 2.0]},
        {"name": "time_stretch", "rate": [0.9, 1.1]},
        {"name": "speed", "rate": [0.92, 1.08]},
        {"name": "time_shift", "shift_s": [-0.25, 0.25], "mode": "roll"},
        {"name": "noise", "snr_db": [20.0, 40.0], "color": ["white", "pink", "brown"]},
    ],
}

#: Largest absolute sample value an augmented clip may have; above it the clip is scaled
#: down (never clipped) and the lineage says by how much.
PEAK_LIMIT = 1.0

#: An augmenter as the pipeline sees it: ``aug(y, sr, rng=rng) -> (y, records)``.
AugmenterLike = Callable[..., tuple[np.ndarray, list[dict[str, Any]]]]


# --------------------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------------------


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
    from .registry import augmenters

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


def _resolve_recipe(recipe: Any) -> AugmenterLike:
    if recipe is None:
        return build_augmenter(DEFAULT_RECIPE)
    if isinstance(recipe, (str, os.PathLike)):
        path = Path(recipe)
        return build_augmenter(load_recipe(path), base_dir=path.parent)
    return build_augmenter(recipe)


def _describe(aug: AugmenterLike) -> Any:
    get_config = getattr(aug, "get_config", None)
    return get_config() if callable(get_config) else repr(aug)


# --------------------------------------------------------------------------------------
# One clip
# --------------------------------------------------------------------------------------


def clip_rng(seed: int, clip_id: str, copy: int) -> np.random.Generator:
    """The Generator for copy ``copy`` of clip ``clip_id`` under ``seed``.

    Seeded with ``SeedSequence([seed, *sha256(clip_id)[:16] as 4 uint32 words, copy])``:
    a stable hash (not Python's salted ``hash()``), so it is the same in every process.
    """
    words = np.frombuffer(hashlib.sha256(clip_id.encode("utf-8")).digest()[:16], dtype="<u4")
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, words), int(copy)]))


def augment_audio(
    y: np.ndarray, sr: int, augmenter: AugmenterLike, *, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, Any]]:
    """Augment one clip and make it dataset-safe: same length, no sample beyond ±1.

    Parameters
    ----------
    y : np.ndarray
        Mono float audio.
    sr : int
        Its sample rate.
    augmenter : augmenter
        Called as ``augmenter(y, sr, rng=rng) -> (y, records)``.
    rng : np.random.Generator
        The only source of randomness.

    Returns
    -------
    y : np.ndarray
        float32, ``len(y)`` samples, peak at most :data:`PEAK_LIMIT`.
    info : dict
        ``chain`` (the records of the augmenters that ran, with their parameters),
        ``peak_scale`` (1.0 unless the result was scaled down to avoid clipping), and
        ``length_fixed`` (``{"from": n}`` if the chain changed the length and it was
        cropped or zero-padded back).
    """
    y = np.asarray(y, dtype=np.float32)
    n = len(y)
    out, records = augmenter(y, sr, rng=rng)
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 1:
        raise PysynthError(f"augmenter returned audio of shape {out.shape}; expected mono (n,)")
    if not np.all(np.isfinite(out)):
        names = ", ".join(r.get("name", "?") for r in records)
        raise PysynthError(f"augmenters [{names}] produced NaN or infinite samples")
    info: dict[str, Any] = {"chain": records}
    if len(out) != n:
        info["length_fixed"] = {"from": len(out)}
        out = out[:n] if len(out) > n else np.concatenate([out, np.zeros(n - len(out))])
    peak = float(np.max(np.abs(out))) if n else 0.0
    scale = 1.0
    if peak > PEAK_LIMIT:
        scale = PEAK_LIMIT / peak
        out = np.clip(out * scale, -PEAK_LIMIT, PEAK_LIMIT)  # the clip only trims rounding
    info["peak_scale"] = scale
    return out.astype(np.float32), info


# --------------------------------------------------------------------------------------
# A dataset
# --------------------------------------------------------------------------------------


def _check_out(root: Path, out: Path, *, overwrite: bool) -> None:
    r, o = root.resolve(), out.resolve()
    if o == r or r in o.parents:
        raise ParameterError(
            f"out {str(out)!r} is inside the input dataset {str(root)!r}; augment writes a new "
            "dataset and never modifies its input: choose another folder"
        )
    if o.exists() and not o.is_dir():
        raise ParameterError(f"out {str(out)!r} is a file, not a folder")
    if o.is_dir() and any(o.iterdir()):
        if not (o / INFO).is_file():
            raise ParameterError(
                f"out {str(out)!r} is a non-empty folder that is not a pysynth dataset; "
                "refusing to write into it"
            )
        if not overwrite:
            raise ParameterError(
                f"out {str(out)!r} already holds a dataset; pass overwrite=True "
                "(--overwrite) to replace it"
            )


def _check_clip_path(clip: Clip) -> None:
    p = PurePosixPath(clip.path)
    if p.is_absolute() or ".." in p.parts:
        raise DatasetError(f"clip {clip.id!r}: path {clip.path!r} leaves the dataset folder")


def _link_or_copy(src: Path, dst: Path, *, link: bool) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if link and dst.exists() and os.path.samefile(src, dst):
        return  # already linked (an overwrite); rename() onto the same inode is a no-op
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(src, tmp)
            except OSError:  # another file system, or links not allowed: copy instead
                shutil.copy2(src, tmp)
        else:
            shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_splits(splits: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(splits, str):
        splits = [s.strip() for s in splits.split(",") if s.strip()]
    splits = tuple(splits)
    bad = [s for s in splits if s not in SPLITS]
    if not splits or bad:
        raise ParameterError(f"splits must be a non-empty subset of {SPLITS}, got {splits!r}")
    return splits


def _unique_id(base: str, taken: set[str]) -> str:
    cid, k = base, 2
    while cid in taken:
        cid, k = f"{base}_{k}", k + 1
    return cid


def _subtype(path: Path) -> str:
    import soundfile as sf

    try:
        subtype = sf.info(str(path)).subtype
    except Exception:
        return "PCM_16"
    return subtype if subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE") else "PCM_16"


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
        :func:`build_augmenter`) or an augmenter object. ``None`` uses
        :data:`DEFAULT_RECIPE`.
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
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or not (
        1 <= copies <= 10_000
    ):
        raise ParameterError(f"copies must be an integer in [1, 10000], got {copies!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not (
        1 <= workers <= 256
    ):
        raise ParameterError(f"workers must be an integer in [1, 256], got {workers!r}")
    splits = _check_splits(splits)
    ds = dataset if isinstance(dataset, Dataset) else Dataset.open(dataset)
    out = Path(out)
    _check_out(ds.root, out, overwrite=overwrite)
    aug = _resolve_recipe(recipe)
    clips = ds.clips()
    for c in clips:
        _check_clip_path(c)
    taken = {c.id for c in clips}

    # ids are given out here, in manifest order, so they never depend on the workers
    plan: list[tuple[Clip, list[tuple[int, str]]]] = []
    for clip in clips:
        src = ds.path(clip)
        if not src.is_file():
            raise DatasetError(f"{src}: clip {clip.id!r} is in the manifest but missing")
        ids = []
        if clip.split in splits:
            for k in range(1, copies + 1):
                ids.append((k, _unique_id(f"{clip.id}-aug{k}", taken)))
                taken.add(ids[-1][1])
        plan.append((clip, ids))

    for clip, _ in plan:
        _link_or_copy(ds.path(clip), out / clip.path, link=link)
    made = _run_plan(ds, plan, aug, out, seed=int(seed), workers=workers, progress=progress)
    manifest = [c for (clip, _), new in zip(plan, made) for c in (clip, *new)]

    info = {k: v for k, v in ds.info.items() if k not in ("format", "version")}
    info["augment"] = {
        "source_dataset": str(ds.root.resolve()),
        "copies": int(copies),
        "seed": int(seed),
        "splits": list(splits),
        "recipe": _describe(aug),
        "originals": len(clips),
        "augmented": len(manifest) - len(clips),
        "pysynth_version": __version__,
    }
    if "augment" in ds.info:  # augmenting an augmented dataset: keep the history
        info["augment"]["previous"] = ds.info["augment"]
    write_dataset(out, manifest, info, rejects=ds.rejects())
    _remove_stale(out, manifest)
    return Dataset.open(out)


def _augment_clip(
    ds: Dataset, clip: Clip, ids: list[tuple[int, str]], aug: AugmenterLike, out: Path, *,
    seed: int,
) -> list[Clip]:
    """Write the augmented copies ``ids`` of one clip; return their manifest lines."""
    from .audio import load, save

    if not ids:
        return []
    y = ds.load(clip)
    subtype = _subtype(ds.path(clip))
    made = []
    for k, new_id in ids:
        z, info = augment_audio(y, ds.sample_rate, aug, rng=clip_rng(seed, clip.id, k))
        rel = f"{CLIPS_DIR}/{new_id}.wav"
        save(out / rel, z, ds.sample_rate, subtype=subtype)
        # the checksum is of the decoded samples, as curate computes it
        decoded, _ = load(out / rel, mono=True)
        made.append(Clip(
            id=new_id, path=rel, source=clip.source, offset=clip.offset,
            duration=clip.duration, split=clip.split, checksum=audio_checksum(decoded),
            lineage={"source_clip": clip.id, "copy": k, "seed": seed, **info},
            label=clip.label,
        ))
    return made


def _warm_up(aug: AugmenterLike, sr: int) -> None:
    t = np.arange(sr) / sr
    y = (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    for seed in range(4):
        aug(y, sr, rng=np.random.default_rng(seed))


def _run_plan(
    ds: Dataset, plan: list[tuple[Clip, list[tuple[int, str]]]], aug: AugmenterLike,
    out: Path, *, seed: int, workers: int, progress: bool,
) -> list[list[Clip]]:
    from tqdm.auto import tqdm

    total = sum(len(ids) for _, ids in plan)
    bar = tqdm(total=total, desc="augment", unit="clip", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    results: list[list[Clip]] = [[] for _ in plan]
    todo = [i for i, (_, ids) in enumerate(plan) if ids]
    try:
        if workers == 1 or len(todo) <= 1:
            for i in todo:
                results[i] = _augment_clip(ds, *plan[i], aug, out, seed=seed)
                bar.update(len(results[i]))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # fork where there is one (quick; works from notebooks), as curate does
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            if method == "fork":
                # one throw-away run first, so lazy imports (librosa) and JIT compilation
                # happen once here and the forked workers inherit them
                _warm_up(aug, ds.sample_rate)
            with ProcessPoolExecutor(max_workers=min(workers, len(todo)),
                                     mp_context=mp.get_context(method)) as pool:
                futures = {pool.submit(_augment_clip, ds, *plan[i], aug, out, seed=seed): i
                           for i in todo}
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    bar.update(len(results[i]))
    finally:
        bar.close()
    return results


def _remove_stale(out: Path, manifest: list[Clip]) -> None:
    """Delete clip files in ``out/clips`` that the new manifest does not name (overwrite)."""
    keep = {(out / c.path).resolve() for c in manifest}
    clips_dir = out / CLIPS_DIR
    if not clips_dir.is_dir():
        return
    for f in clips_dir.rglob("*.wav"):
        if f.resolve() not in keep:
            f.unlink()
