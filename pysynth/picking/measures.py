"""Per-clip measures that ``pysynth pick`` ranks and filters by: the quality report's
(noise index, silence, clipping, near-copies, class) measured one clip at a time, and how
typical a clip is of the real clips in the report's embedding."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..evaluation.api import _training_set
from ..evaluation.cache import reference_features
from ..evaluation.classes import classifier, usable_labels
from ..evaluation.embedding import MIN_SCALE, embed_all, is_clipped, is_silent
from ..evaluation.novelty import COPY_CORRELATION, N_CANDIDATES, max_correlation, nearest
from ..evaluation.sources import open_reference

#: Real clips a clip's typicality averages the distance to.
N_TYPICAL = 5
#: The share of real clips whose noise index is at most the default noise limit.
NOISE_QUANTILE = 0.99
#: Training clips whose waveforms stay loaded for the near-copy check (a cache, not all).
_LOADED_TRAINING = 256


@dataclass
class Measures:
    """The measures of a batch of clips, one entry per clip (arrays of equal length).

    ``Z`` is each clip's standardized embedding (reference mean 0, spread 1 per column), the
    space typicality, copies and diversity are measured in.
    """

    Z: np.ndarray
    flatness: np.ndarray
    noise_index: np.ndarray
    peak_dbfs: np.ndarray
    silent: np.ndarray
    clipped: np.ndarray
    typicality: np.ndarray
    copy_of: list[str | None]
    copy_correlation: np.ndarray
    predicted: list[str | None]
    confidence: np.ndarray
    rank_score: np.ndarray


def rank_score(typicality: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """How a clip ranks among those that pass every check, lower is better: its typicality
    times ``2 - confidence`` (confidence 1 without a classifier), so that a clip far from
    the real clips or of unclear class ranks low. On drums, ranking by typicality alone kept
    clips the classifier was unsure of, and their inception score fell below a random set's
    (docs/pick.md).

    >>> rank_score(np.array([1.0, 1.0, 2.0]), np.array([1.0, 0.5, np.nan])).tolist()
    [1.0, 1.5, 2.0]
    """
    return typicality * (2 - np.nan_to_num(confidence, nan=1.0))


class Measurer:
    """Measures clips against a reference: built once (the reference's embedding comes from
    the dataset's evaluation cache), then :meth:`measure` batch by batch.

    Parameters
    ----------
    reference : path
        A dataset folder or a folder of audio files (as for :func:`pysynth.evaluate`).
    training : path, optional
        The dataset the model learned from, for near-copies (default: the reference's train
        split, or all its clips if it has none).
    progress : callable, optional
        Wraps the reference's clip indices while features are computed (e.g. tqdm).
    """

    def __init__(self, reference: str | os.PathLike, *, training=None, progress=None) -> None:
        self.root = Path(reference)
        self.reference = open_reference(reference)
        self.sample_rate = self.reference.sample_rate
        emb, facts = reference_features(self.reference, progress=progress)
        self._mean, self._std = emb.mean(axis=0), np.maximum(emb.std(axis=0), MIN_SCALE)
        self.Z_ref = self.unit(emb)
        loud = facts[~is_silent(facts)]
        #: median spectral flatness of the real clips (silent ones left out), the noise
        #: index's 1
        self.flatness_reference = float(np.median(loud[:, 0])) if len(loud) else 0.0
        #: the noise index few real clips exceed (their 99th percentile): above it a clip is
        #: noisier than the data's noisiest sounds (on drums, cymbals and hi-hats reach 4.5
        #: and runaway noise sits at 7)
        self.noise_limit = (float(np.quantile(loud[:, 0], NOISE_QUANTILE)) / self.flatness_reference
                            if self.flatness_reference > 0 else float("inf"))
        # typicality 1 is how far a real clip lies from its N_TYPICAL nearest fellows
        d, _ = nearest(self.Z_ref, self.Z_ref, N_TYPICAL, leave_one_out=True)
        self.typical_distance = max(float(np.median(d.mean(axis=1))), 1e-12)
        idx, self.labels = usable_labels(self.reference.labels)
        self._classifier = None
        #: each class's share of the real clips ({"": 1.0} without labels)
        self.label_shares = {"": 1.0}
        if len(self.labels) >= 2:
            y = np.array([self.reference.labels[i] for i in idx])
            self._classifier = classifier().fit(self.Z_ref[idx], y)
            self.label_shares = {lab: float(np.mean(y == lab)) for lab in self.labels}
        self._training, Z_tr, train = _training_set(self.reference, self.Z_ref, training,
                                                    self.unit, progress)
        self._train_rows = train
        self._Z_train = Z_tr[train]
        self._load_training = functools.lru_cache(maxsize=_LOADED_TRAINING)(
            lambda j: self._training.loaders[j]())

    def unit(self, emb: np.ndarray) -> np.ndarray:
        """Embeddings standardized by the reference's mean and spread."""
        return (emb - self._mean) / self._std

    def measure(self, audio) -> Measures:
        """The measures of clips ``audio`` (a sequence of 1-D arrays at :attr:`sample_rate`)."""
        emb, facts = embed_all(audio, self.sample_rate)
        Z = self.unit(emb)
        d, _ = nearest(self.Z_ref, Z, N_TYPICAL)
        flat = facts[:, 0]
        ref_flat = self.flatness_reference
        noise_index = flat / ref_flat if ref_flat > 0 else np.full(len(flat), np.nan)
        copy_of, corr = self._copies(audio, Z)
        predicted: list[str | None] = [None] * len(audio)
        confidence = np.full(len(audio), np.nan)
        if self._classifier is not None:
            probs = self._classifier.predict_proba(Z)
            predicted = [str(c) for c in self._classifier.classes_[probs.argmax(axis=1)]]
            confidence = probs.max(axis=1)
        return Measures(
            Z=Z, flatness=flat, noise_index=noise_index,
            peak_dbfs=20 * np.log10(np.maximum(facts[:, 1], 1e-10)),
            silent=is_silent(facts), clipped=is_clipped(facts),
            typicality=d.mean(axis=1) / self.typical_distance,
            copy_of=copy_of, copy_correlation=corr, predicted=predicted, confidence=confidence,
            rank_score=rank_score(d.mean(axis=1) / self.typical_distance, confidence),
        )

    def _copies(self, audio, Z: np.ndarray) -> tuple[list[str | None], np.ndarray]:
        """Each clip's highest waveform correlation with its nearest training clips (in the
        embedding), and that clip's name when it is above ``COPY_CORRELATION``."""
        if len(self._train_rows) == 0:
            return [None] * len(audio), np.zeros(len(audio))
        _, cand = nearest(self._Z_train, Z, N_CANDIDATES)
        names: list[str | None] = []
        best = np.zeros(len(audio))
        for i, y in enumerate(audio):
            who = None
            for j in self._train_rows[cand[i]]:
                c = max_correlation(y, self._load_training(int(j)))
                if c > best[i]:
                    best[i], who = c, self._training.names[j]
            names.append(who if best[i] > COPY_CORRELATION else None)
        return names, best
