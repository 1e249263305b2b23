"""The fixed per-clip embedding the quality report measures in, and the per-clip facts
(spectral flatness, peak, clipping) it counts.

The embedding is deterministic and needs no downloads: the map's MFCC and loudness features
(:func:`pysynth.mapping.features.clip_features`), the spectral shape of the loud frames, and
the shape of the loudness envelope, because one-shots differ from noise mostly in their
attack and decay. Each clip is measured over the same faint noise floor, so that inaudible
differences in how a tail fades out do not count.
"""

from __future__ import annotations

import numpy as np

from ..mapping.features import FEATURE_NAMES, GROUP_NAMES, _n_fft, clip_features

#: Bumped whenever the computation changes, so cached reference features are not reused.
EMBEDDING_VERSION = 4

#: Equal time segments of the loudness envelope.
N_SEGMENTS = 10
#: Envelope levels below this many dB under the clip's loudest segment count as this.
ENVELOPE_FLOOR_DB = -60.0
#: Frames quieter than this many dB below a clip's loudest frame do not count for its
#: spectral shape (flatness included).
LOUD_FRAME_DB = 40.0
#: RMS level (dBFS) of the fixed white noise added before computing the embedding.
NOISE_FLOOR_DBFS = -70.0
#: A clip is silent when its peak is below this level (dBFS).
SILENT_DBFS = -40.0
#: A sample at or above this magnitude is at full scale.
FULL_SCALE = 0.999
#: A clip is clipped when more than this share of its samples is at full scale.
CLIPPED_SHARE = 0.001

_KEPT = [f"mfcc{i}_{s}" for s in ("mean", "std") for i in range(20)] + GROUP_NAMES["rms"]
_KEPT_COLUMNS = np.array([FEATURE_NAMES.index(n) for n in _KEPT])
_SHAPES = ("centroid", "bandwidth", "rolloff", "flatness_db")

#: Names of the embedding's columns.
EMBEDDING_NAMES = [
    *_KEPT,
    *(f"loud_{f}_{s}" for f in _SHAPES for s in ("mean", "std")),
    *(f"envelope{i}_db" for i in range(N_SEGMENTS)),
]
#: The smallest spread each column is standardized by. A column the reference barely varies
#: in would otherwise blow a small difference up to hundreds of standard deviations and
#: drown every other column in the Fréchet distance: the first envelope segment is the
#: loudest (0 dB) in nearly every drum hit, so a generated clip 3 dB quieter there scored
#: 500 sigma. Envelope levels vary by at least ``ENVELOPE_MIN_DB``; other columns by 1e-12.
ENVELOPE_MIN_DB = 3.0
MIN_SCALE = np.array([ENVELOPE_MIN_DB if n.startswith("envelope") else 1e-12
                      for n in EMBEDDING_NAMES])

#: Names of the per-clip facts returned beside the embedding.
FACT_NAMES = ["flatness", "peak", "rms", "full_scale_share", "samples"]


def envelope_shape(y: np.ndarray) -> np.ndarray:
    """RMS of ``N_SEGMENTS`` equal time segments in dB relative to the loudest one, floored
    at ``ENVELOPE_FLOOR_DB`` (all zeros for digital silence, whose level the embedding's
    ``rms_db_max`` column tells apart).

    >>> t = np.arange(16000) / 16000
    >>> env = envelope_shape(np.exp(-t / 0.1) * np.sin(2 * np.pi * 200 * t))
    >>> float(env[0]), bool(env[1] < env[0] - 6)
    (0.0, True)
    """
    y = np.asarray(y, dtype=np.float64)
    if y.size < N_SEGMENTS:
        y = np.pad(y, (0, N_SEGMENTS - y.size))
    rms = np.array([np.sqrt(np.mean(s**2)) for s in np.array_split(y, N_SEGMENTS)])
    db = 20 * np.log10(np.maximum(rms, 1e-10))
    return np.maximum(db - db.max(), ENVELOPE_FLOOR_DB)


def envelopes(emb: np.ndarray) -> np.ndarray:
    """The loudness-envelope columns (:func:`envelope_shape`) of embeddings ``(n, dims)``."""
    return np.asarray(emb)[:, len(EMBEDDING_NAMES) - N_SEGMENTS :]


def loud_shape(y: np.ndarray, sr: int) -> tuple[np.ndarray, float]:
    """Spectral centroid, bandwidth, 85 % rolloff (Hz) and flatness in dB, mean and std over
    the frames within ``LOUD_FRAME_DB`` of the loudest one (the map's features average every
    frame, so there a tail's length and noise floor move them as much as the sound does),
    and the mean linear flatness of those frames (the noise index's).

    Flatness is near 0 (below -30 dB) for tones and about 0.56 (-2.5 dB) for white noise. The
    embedding holds it in dB: linear flatness of tonal recordings varies by about 0.001, so
    standardized by that spread white noise sat 650 standard deviations away and the noise
    scale's ceiling drowned every other column (pitched instruments: ceiling 430,000).

    >>> t = np.arange(16000) / 16000
    >>> shape, flat = loud_shape(np.exp(-t / 0.1) * np.sin(2 * np.pi * 1000 * t), 16000)
    >>> round(float(shape[0]), -2), bool(shape[6] < -30), bool(flat < 0.01)
    (1000.0, True, True)
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    n_fft = _n_fft(sr)
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=n_fft // 4))
    energy = (S**2).sum(axis=0)
    S = S[:, energy >= energy.max() * 10 ** (-LOUD_FRAME_DB / 10)]
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    flatness = librosa.feature.spectral_flatness(S=S)[0]
    shapes = (
        librosa.feature.spectral_centroid(S=S, sr=sr, freq=freqs)[0],
        librosa.feature.spectral_bandwidth(S=S, sr=sr, freq=freqs)[0],
        librosa.feature.spectral_rolloff(S=S, sr=sr, freq=freqs, roll_percent=0.85)[0],
        10 * np.log10(np.maximum(flatness, 1e-10)),
    )
    vector = np.nan_to_num(np.array([f(v) for v in shapes for f in (np.mean, np.std)]))
    return vector, float(np.nan_to_num(np.mean(flatness)))


def with_noise_floor(y: np.ndarray) -> np.ndarray:
    """``y`` plus a fixed (seeded) white noise at ``NOISE_FLOOR_DBFS``.

    Log spectra have no floor of their own: a tail that decays to 1e-9 in floating point,
    the same tail as 16-bit zeros, and a mu-law model's last-level flicker (about 1e-4)
    would otherwise sit tens of dB apart in the MFCCs although all three are inaudible. The
    same noise under every clip makes them the same.
    """
    floor = np.random.default_rng(0).standard_normal(y.size) * 10 ** (NOISE_FLOOR_DBFS / 20)
    return (y + floor).astype(np.float32)


def clip_embedding(y: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """``(embedding, facts)`` of one mono clip: the vector named by :data:`EMBEDDING_NAMES`
    and the facts named by :data:`FACT_NAMES` (mean flatness of the loud frames, peak magnitude,
    RMS, share of samples at full scale, length in samples)."""
    y = np.asarray(y, dtype=np.float32)
    heard = with_noise_floor(y)
    shape, flatness = loud_shape(heard, sr)
    emb = np.concatenate([clip_features(heard, sr)[_KEPT_COLUMNS], shape, envelope_shape(heard)])
    a = np.abs(y)
    facts = np.array([
        flatness, float(a.max()),
        float(np.sqrt(np.mean(y.astype(np.float64) ** 2))), float(np.mean(a >= FULL_SCALE)),
        float(y.size),
    ])
    return emb, facts


def embed_all(clips, sr: int, *, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings and facts of many clips: ``(n, len(EMBEDDING_NAMES))``, ``(n, len(FACT_NAMES))``.

    ``clips`` is a sequence of 1-D arrays, or of callables that load one (so a big reference
    is never all in memory); ``progress`` wraps the index iterable (e.g. tqdm).
    """
    from ..mapping.features import _one_thread

    emb = np.zeros((len(clips), len(EMBEDDING_NAMES)))
    facts = np.zeros((len(clips), len(FACT_NAMES)))
    it = range(len(clips)) if progress is None else progress(range(len(clips)))
    with _one_thread():
        for i in it:
            y = clips[i]() if callable(clips[i]) else clips[i]
            emb[i], facts[i] = clip_embedding(y, sr)
    return emb, facts


def is_silent(facts: np.ndarray) -> np.ndarray:
    """Which clips are silent: peak below ``SILENT_DBFS`` (-40 dBFS, 0.01 of full scale)."""
    return facts[:, 1] < 10 ** (SILENT_DBFS / 20)


def is_clipped(facts: np.ndarray) -> np.ndarray:
    """Which clips are clipped: more than 0.1 % of samples at magnitude >= 0.999."""
    return facts[:, 3] > CLIPPED_SHARE
