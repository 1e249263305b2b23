"""Per-clip audio features for maps: MFCC statistics, spectral shape, loudness, log-mel.

One fixed-length vector per clip, computed from one STFT with librosa, and cached inside
the dataset (``DATASET/.cache/features.npz``) keyed by each clip's checksum and file, so a
second map of the same dataset skips the audio entirely and a changed clip is recomputed.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import check_choice
from ..errors import ParameterError
from ..files import atomic_write_bytes

#: Feature groups, in the order their columns appear in a feature vector.
GROUPS = ("mfcc", "spectral", "rms", "zcr", "logmel")

#: Bumped whenever the computation changes, so old caches are not reused.
FEATURE_VERSION = 1

N_MFCC = 20
N_MELS = 64
N_LOGMEL_BANDS = 16  # the log-mel summary: mean of N_MELS bands pooled into this many

CACHE_FILE = Path(".cache") / "features.npz"


def _group_names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {g: [] for g in GROUPS}
    for order in ("", "d_", "dd_"):
        for stat in ("mean", "std"):
            names["mfcc"] += [f"{order}mfcc{i}_{stat}" for i in range(N_MFCC)]
    for f in ("centroid", "bandwidth", "rolloff", "flatness"):
        names["spectral"] += [f"{f}_mean", f"{f}_std"]
    names["rms"] = ["rms_mean", "rms_std", "rms_db_max"]
    names["zcr"] = ["zcr_mean", "zcr_std"]
    names["logmel"] = [f"logmel{i}_mean" for i in range(N_LOGMEL_BANDS)] + [
        "logmel_std",
        "logmel_flux",
    ]
    return names


GROUP_NAMES = _group_names()
#: Names of every column of a full feature vector.
FEATURE_NAMES = [n for g in GROUPS for n in GROUP_NAMES[g]]


def parse_groups(features: str | Sequence[str] | None) -> list[str]:
    """Normalise a feature-group selection to a list of group names.

    Parameters
    ----------
    features : str, sequence of str, or None
        ``None`` or ``"all"`` selects every group; a comma-separated string or a list
        selects some of :data:`GROUPS`.

    Raises
    ------
    ParameterError
        If a name is not a known group, or the selection is empty.
    """
    if features is None:
        return list(GROUPS)
    if isinstance(features, str):
        features = [f for f in features.replace(" ", ",").split(",") if f]
    chosen = [str(f).strip().lower() for f in features]
    if chosen == ["all"]:
        return list(GROUPS)
    if not chosen:
        raise ParameterError(
            f"map features must name at least one of {', '.join(GROUPS)}, got none"
        )
    for g in chosen:
        check_choice(g, "features", GROUPS, owner="map")
    return [g for g in GROUPS if g in chosen]


def columns(groups: Iterable[str]) -> np.ndarray:
    """Indices into a full feature vector of the columns that belong to ``groups``."""
    wanted = set(groups)
    return np.array([i for i, n in enumerate(FEATURE_NAMES) if _group_of(n) in wanted], dtype=int)


def _group_of(name: str) -> str:
    for g in GROUPS:
        if name in GROUP_NAMES[g]:
            return g
    raise KeyError(name)


def _n_fft(sr: int) -> int:
    # about 46 ms whatever the rate: 1024 at 22.05 kHz, 2048 at 44.1 kHz, 512 at 8 kHz
    return int(2 ** np.round(np.log2(0.0464 * sr)))


def _stats(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return m.mean(axis=-1), m.std(axis=-1)


def clip_features(y: np.ndarray, sr: int) -> np.ndarray:
    """The full feature vector of one clip (columns named by :data:`FEATURE_NAMES`).

    MFCC (20 coefficients) with first and second deltas, mean and std over frames;
    spectral centroid, bandwidth, 85 % rolloff (Hz) and flatness, mean and std; RMS
    mean, std and peak (dB); zero-crossing rate mean and std; log-mel summary (the mean
    log-mel spectrum pooled into 16 bands, overall std and mean spectral flux).

    Parameters
    ----------
    y : np.ndarray
        Mono audio, float.
    sr : int
        Its sample rate.

    Returns
    -------
    np.ndarray
        float64 vector of length ``len(FEATURE_NAMES)``; always finite (silence gives the
        floor values rather than NaN).

    Examples
    --------
    >>> sr = 16000
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(sr) / sr).astype(np.float32)
    >>> f = clip_features(y, sr)
    >>> round(float(f[FEATURE_NAMES.index("centroid_mean")]), -2)
    1000.0
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono (1-D), got shape {y.shape}")
    n_fft = _n_fft(sr)
    hop = n_fft // 4
    if y.size < n_fft:  # very short clips: pad so there is at least one full frame
        y = np.pad(y, (0, n_fft - y.size))
    y = np.nan_to_num(y)
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop))  # (bins, frames)
    power = S**2
    mel = librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS, fmax=sr / 2)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    mfcc = librosa.feature.mfcc(S=logmel, n_mfcc=N_MFCC)
    n_frames = mfcc.shape[1]
    width = min(9, n_frames if n_frames % 2 else n_frames - 1)
    if width >= 3:
        d1 = librosa.feature.delta(mfcc, width=width, order=1)
        d2 = librosa.feature.delta(mfcc, width=width, order=2)
    else:
        d1 = d2 = np.zeros_like(mfcc)
    parts = []
    for m in (mfcc, d1, d2):
        mean, std = _stats(m)
        parts += [mean, std]
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    centroid = librosa.feature.spectral_centroid(S=S, sr=sr, freq=freqs)[0]
    bandwidth = librosa.feature.spectral_bandwidth(S=S, sr=sr, freq=freqs)[0]
    rolloff = librosa.feature.spectral_rolloff(S=S, sr=sr, freq=freqs, roll_percent=0.85)[0]
    flatness = librosa.feature.spectral_flatness(S=S)[0]
    for v in (centroid, bandwidth, rolloff, flatness):
        parts.append(np.array(_stats(v)))
    rms = librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop)[0]  # unwindowed
    rms_db_max = 20 * np.log10(max(float(rms.max()), 1e-5))
    parts.append(np.array([rms.mean(), rms.std(), rms_db_max]))
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop)[0]
    parts.append(np.array(_stats(zcr)))
    band_means = logmel.mean(axis=1).reshape(N_LOGMEL_BANDS, -1).mean(axis=1)
    flux = np.abs(np.diff(logmel, axis=1)).mean() if n_frames > 1 else 0.0
    parts.append(np.concatenate([band_means, [logmel.std(), flux]]))
    out = np.concatenate([np.ravel(p) for p in parts]).astype(np.float64)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass
class FeatureTable:
    """Feature vectors of a list of clips.

    Attributes
    ----------
    ids : list of str
        Clip ids (or file paths for loose files), one per row.
    values : np.ndarray
        ``(n, d)`` float64 feature matrix.
    names : list of str
        Column names.
    """

    ids: list[str]
    values: np.ndarray
    names: list[str]

    def select(self, groups: Iterable[str]) -> FeatureTable:
        """The same rows restricted to the columns of some feature groups."""
        cols = columns(groups)
        idx = {n: i for i, n in enumerate(self.names)}
        keep = [idx[FEATURE_NAMES[c]] for c in cols if FEATURE_NAMES[c] in idx]
        return FeatureTable(self.ids, self.values[:, keep], [self.names[i] for i in keep])

    def column(self, name: str) -> np.ndarray:
        """One named column."""
        return self.values[:, self.names.index(name)]


def _file_size(path: Path) -> int:
    return int(path.stat().st_size)


def dataset_features(
    dataset,
    clips=None,
    *,
    cache: bool = True,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> FeatureTable:
    """Full feature vectors of a dataset's clips, read from and written to its cache.

    A cached row is reused only if the clip's checksum (of its decoded samples), path
    and file size, the dataset's sample rate and :data:`FEATURE_VERSION` all match, so
    replacing or re-curating clips recomputes exactly what changed (and a copied dataset
    keeps its cache). The cache holds the clips of the
    latest call and is replaced atomically; a read-only dataset just skips writing it.

    Parameters
    ----------
    dataset : pysynth.dataset.Dataset
    clips : list of Clip, optional
        Which clips (default: all, in manifest order).
    cache : bool
        Use and update ``DATASET/.cache/features.npz``.
    progress : callable, optional
        Wraps the iterable of clips still to compute (e.g. ``tqdm``).
    """
    clips = dataset.clips() if clips is None else list(clips)
    sr = int(dataset.sample_rate)
    cache_path = Path(dataset.root) / CACHE_FILE
    keys = [f"{c.checksum}|{c.path}|{_file_size(dataset.path(c))}" for c in clips]
    values = np.zeros((len(clips), len(FEATURE_NAMES)), dtype=np.float64)
    have = np.zeros(len(clips), dtype=bool)
    if cache:
        cached = _read_cache(cache_path, sr)
        if cached is not None:
            ckeys, cvalues = cached
            where = {k: i for i, k in enumerate(ckeys)}
            for i, k in enumerate(keys):
                j = where.get(k)
                if j is not None:
                    values[i] = cvalues[j]
                    have[i] = True
    todo = [i for i in range(len(clips)) if not have[i]]
    it = progress(todo) if (progress is not None and todo) else todo
    with _one_thread():
        for i in it:
            values[i] = clip_features(dataset.load(clips[i]), sr)
    if cache and todo:
        _write_cache(cache_path, sr, keys, values)
    return FeatureTable([c.id for c in clips], values, list(FEATURE_NAMES))


def file_features(
    paths: Sequence[str | os.PathLike],
    *,
    sr: int,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> FeatureTable:
    """Full feature vectors of loose audio files (e.g. generated clips), resampled to ``sr``;
    the table's ids are the paths of the files read. Unreadable files are skipped with a
    warning naming them (:func:`pysynth.audio.readable_audio`); ``ParameterError`` when
    none can be read."""
    from ..audio import readable_audio

    ids, rows = [], []
    files = progress(paths) if progress is not None else paths
    with _one_thread():
        for p, y in readable_audio(files, sr=sr):
            ids.append(str(p))
            rows.append(clip_features(y, sr))
    return FeatureTable(ids, np.array(rows, dtype=np.float64).reshape(len(rows), -1),
                        list(FEATURE_NAMES))


def _one_thread():
    # per-clip matrices are tiny: BLAS threads only add start-up and contention
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _read_cache(path: Path, sr: int) -> tuple[list[str], np.ndarray] | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != FEATURE_VERSION or int(z["sample_rate"]) != sr:
                return None
            if list(z["names"]) != FEATURE_NAMES:
                return None
            return [str(k) for k in z["keys"]], np.asarray(z["values"], dtype=np.float64)
    except Exception:  # a corrupt cache is only a cache: recompute
        return None


def _write_cache(path: Path, sr: int, keys: list[str], values: np.ndarray) -> None:
    buf = io.BytesIO()
    np.savez(
        buf,
        version=np.int64(FEATURE_VERSION),
        sample_rate=np.int64(sr),
        names=np.array(FEATURE_NAMES),
        keys=np.array(keys),
        values=values,
    )
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:  # read-only dataset: still map it, just without a cache
        warnings.warn(f"could not write the feature cache {path} ({exc})", stacklevel=3)
