"""pysynth.evaluate: a quality report of generated clips against real ones."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..checks import check_bool, check_int
from ..errors import ParameterError
from ..mapping.features import _one_thread
from .cache import baseline_key, cached_baseline, reference_features
from .classes import class_mix, generated_scores, real_scores, usable_labels
from .embedding import MIN_SCALE, embed_all, envelopes, is_clipped, is_silent
from .frechet import N_SPLITS, floor_and_ceiling, generated_distances, white_noise_like
from .novelty import COPY_CORRELATION, N_CANDIDATES, max_correlation, nearest
from .report import QualityReport
from .sources import Reference, load_generated, open_reference


def evaluate(
    generated: Any,
    reference: str | os.PathLike,
    *,
    labels: list[str | None] | None = None,
    training: str | os.PathLike | None = None,
    sample_rate: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> QualityReport:
    """Measure generated clips against real ones: noise, distance, classes, silence, copies.

    Parameters
    ----------
    generated : folder, file, list of paths, (clips, samples) array or list of 1-D arrays
        The generated clips. Files are loaded (and resampled) at the reference's rate;
        unreadable files are skipped with a warning naming them.
    reference : path
        A dataset folder (its labels and splits are used) or a folder of audio files.
    labels : list of str or None, optional
        The class each generated clip was meant to be (a conditioned model), one per clip,
        None where unknown. For files it defaults to the parent folder's name when that is a
        label of the reference, else the last ``-``-separated token of the file stem
        (``NAME-seed0-007-kick.wav``) when that is one.
    training : path, optional
        The dataset the model was trained on, for novelty and near-copies (its train split,
        or all its clips if it has none). Default: the reference's train split (all of the
        reference's clips if it has no splits).
    sample_rate : int, optional
        The rate of array input (default: the reference's; others are resampled).
    seed : int
        Seeds the reference splits, the noise clips and the cross-validation.
    progress : bool
        Show progress bars on stderr while computing features.

    Returns
    -------
    QualityReport
        ``.table()`` for the terminal, ``.to_dict()`` for JSON.

    Raises
    ------
    ParameterError
        No readable generated clip, NaN audio, fewer than 2 reference clips, bad labels.

    Examples
    --------
    >>> report = pysynth.evaluate("generated/", "dataset")   # doctest: +SKIP
    >>> print(report.table())                                 # doctest: +SKIP
    """
    seed = check_int(seed, "seed", lo=0, owner="evaluate")
    progress = check_bool(progress, "progress", owner="evaluate")
    # every matrix here is small: BLAS threads only contend (a norm took 20 ms with them)
    with _one_thread():
        return _evaluate(generated, reference, labels, training, sample_rate, seed, progress)


def _evaluate(generated, reference, labels, training, sample_rate, seed, progress) -> QualityReport:
    ref = open_reference(reference)
    known = sorted({lab for lab in ref.labels if lab is not None})
    gen = load_generated(generated, sr=ref.sample_rate, sample_rate=sample_rate, labels=labels,
                         known_labels=known)
    emb_ref, facts_ref = reference_features(ref, progress=_bar("reference clips", progress))
    emb_gen, facts_gen = embed_all(gen.audio, ref.sample_rate,
                                   progress=_bar("generated clips", progress))
    mean, std = emb_ref.mean(axis=0), emb_ref.std(axis=0)
    std = np.maximum(std, MIN_SCALE)

    def unit(e: np.ndarray) -> np.ndarray:
        return (e - mean) / std

    Z_ref, Z_gen = unit(emb_ref), unit(emb_gen)
    silent, clipped = is_silent(facts_gen), is_clipped(facts_gen)
    report = QualityReport(
        n_generated=len(gen), n_reference=len(ref), sample_rate=ref.sample_rate, seed=seed,
        silent_share=float(silent.mean()), clipped_share=float(clipped.mean()),
        silent=[n for n, s in zip(gen.names, silent) if s],
        clipped=[n for n, c in zip(gen.names, clipped) if c],
    )
    _noise_index(report, facts_gen[~silent], facts_ref[~is_silent(facts_ref)])
    _frechet(report, ref, Z_ref, facts_ref, envelopes(emb_ref), Z_gen, unit, seed, progress)
    _classes(report, ref, Z_ref, Z_gen, gen.labels, seed)
    _novelty(report, ref, Z_ref, Z_gen, gen, training, unit, progress)
    return report


def _bar(desc: str, enabled: bool):
    if not enabled:
        return None

    def wrap(it):
        import sys

        from tqdm import tqdm

        return tqdm(it, desc=desc, unit="clip", leave=False, file=sys.stderr)

    return wrap


def _noise_index(report: QualityReport, facts_gen: np.ndarray, facts_ref: np.ndarray) -> None:
    if len(facts_gen) and len(facts_ref):
        report.flatness_generated = float(np.median(facts_gen[:, 0]))
        report.flatness_reference = float(np.median(facts_ref[:, 0]))
        if report.flatness_reference > 0:
            report.noise_index = report.flatness_generated / report.flatness_reference


def _frechet(report, ref, Z_ref, facts_ref, env_ref, Z_gen, unit, seed, progress) -> None:
    m = min(len(Z_gen), len(Z_ref) // 2)
    if m < 2:
        report.fd_note = (f"needs at least 2 generated clips and 4 real clips, got "
                          f"{len(Z_gen)} and {len(Z_ref)}")
        return

    def baselines() -> dict:
        noise = white_noise_like(facts_ref, env_ref, m, seed)
        emb, _ = embed_all(noise, ref.sample_rate, progress=_bar("noise clips", progress))
        return floor_and_ceiling(Z_ref, unit(emb), m, seed)

    base = cached_baseline(ref, baseline_key(ref, "frechet", m, seed, N_SPLITS), baselines)
    report.fd_clips = m
    report.fd_floor = float(np.mean(base["floor"]))
    report.fd_ceiling = float(np.mean(base["ceiling"]))
    report.fd_raw = float(np.mean(generated_distances(Z_ref, Z_gen, m, seed)))
    if report.fd_ceiling > report.fd_floor:
        report.noise_scale = (report.fd_raw - report.fd_floor) / (report.fd_ceiling - report.fd_floor)
    else:
        report.fd_note = "white noise scores no further from the data than real clips do"


def _classes(report, ref, Z_ref, Z_gen, intended, seed) -> None:
    idx, kept = usable_labels(ref.labels)
    if len(kept) < 2:
        report.class_note = ("the reference has no labels" if not any(ref.labels) else
                             "the reference has fewer than 2 labels with at least 2 clips each")
        return
    y = np.array([ref.labels[i] for i in idx])
    real = cached_baseline(ref, baseline_key(ref, "classes", seed),
                           lambda: real_scores(Z_ref[idx], y, seed))
    gen = generated_scores(Z_ref[idx], y, Z_gen, [lab if lab in kept else None for lab in intended])
    report.class_labels = kept
    if gen["consistency"] is not None:
        report.class_metric, report.class_generated = "consistency", gen["consistency"]
        report.class_real = real["accuracy"]
    else:
        report.class_metric, report.class_generated = "inception", gen["inception"]
        report.class_real = real["inception"]
    if report.class_real > 0:
        report.class_ratio = report.class_generated / report.class_real
    report.class_mix_generated, report.class_mix_real, report.class_mix_gap = class_mix(
        gen["predicted"], list(y), kept)


def _training_set(ref: Reference, Z_ref, training, unit, progress):
    """``(training Reference, its standardized embedding, its clip indices)``."""
    if training is None:
        tr, Z = ref, Z_ref
    else:
        tr = open_reference(training, what="training")
        if tr.sample_rate != ref.sample_rate:
            raise ParameterError(f"training {str(training)!r} is at {tr.sample_rate} Hz but the "
                                 f"reference at {ref.sample_rate} Hz; give one at the same rate")
        Z = unit(reference_features(tr, progress=_bar("training clips", progress))[0])
    train = np.arange(len(tr))
    if tr.splits is not None and "train" in tr.splits:
        train = np.array([i for i, s in enumerate(tr.splits) if s == "train"])
    return tr, Z, train


def _novelty(report, ref, Z_ref, Z_gen, gen, training, unit, progress) -> None:
    tr, Z_tr, train = _training_set(ref, Z_ref, training, unit, progress)
    val = ([i for i, s in enumerate(ref.splits) if s == "validation"]
           if ref.splits is not None else [])
    if val:
        d_real, _ = nearest(Z_tr[train], Z_ref[val], 1)
    elif len(train) >= 2:  # no unseen real clips: each training clip against the others
        d_real, _ = nearest(Z_tr[train], Z_tr[train], 1, leave_one_out=True)
    else:
        d_real = None
    d_gen, cand = nearest(Z_tr[train], Z_gen, N_CANDIDATES)
    report.novelty_generated = float(np.median(d_gen[:, 0]))
    if d_real is not None:
        report.novelty_real = float(np.median(d_real[:, 0]))
        if report.novelty_real > 0:
            report.novelty_ratio = report.novelty_generated / report.novelty_real
    loaded: dict[int, np.ndarray] = {}
    for i, y in enumerate(gen.audio):
        best, best_j = 0.0, -1
        for j in train[cand[i]]:
            if j not in loaded:
                loaded[j] = tr.loaders[j]()
            c = max_correlation(y, loaded[j])
            if c > best:
                best, best_j = c, j
        if best > COPY_CORRELATION:
            report.near_copies.append({"file": gen.names[i], "training_clip": tr.names[best_j],
                                       "correlation": best})
