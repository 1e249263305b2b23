"""``dedupe``: drop exact duplicates (same decoded samples) and near-duplicates.

Exact duplicates share the clip checksum (sha256 of the samples). Near-duplicates are
found with a compact fingerprint: the clip's log band energies on a coarse time-frequency
grid (16 time slots x 24 log-spaced bands), floored 40 dB below the loudest cell so that
faint noise, dither or a lossy re-encode barely move it, then centred and scaled to unit
length. Two clips are near-duplicates when ``1 - dot(fp1, fp2) <= near_threshold`` and
their durations are within 10 %. Clips are visited in (source, offset) order and the
first of a group is kept, so the result does not depend on the worker count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_number
from ...registry import curators
from .base import ClipRecord, Curator, Rejected, Segment

TIME_SLOTS = 16
BANDS = 24
FLOOR_DB = 40.0
_BATCH = 256


def fingerprint(y: np.ndarray, sr: int) -> np.ndarray:
    """The near-duplicate fingerprint of ``y``: float32 of shape ``(TIME_SLOTS * BANDS,)``.

    Unit length and zero mean, or all zeros for silence. ``1 - a @ b`` is the distance.
    """
    y = np.asarray(y, dtype=np.float32)
    n_fft = 1 << max(6, int(np.ceil(np.log2(max(64, 0.032 * sr)))))
    n_frames = max(TIME_SLOTS, len(y) // n_fft)
    need = n_frames * n_fft
    if len(y) < need:
        y = np.concatenate([y, np.zeros(need - len(y), dtype=np.float32)])
    frames = y[:need].reshape(n_frames, n_fft) * np.hanning(n_fft).astype(np.float32)
    spec = np.fft.rfft(frames, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)  # (n_frames, n_fft/2+1)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = np.geomspace(40.0, sr / 2.0, BANDS + 1)
    band = np.clip(np.searchsorted(edges, freqs, side="right") - 1, 0, BANDS - 1)
    slot = (np.arange(n_frames) * TIME_SLOTS) // n_frames
    # sums over bins of a band and frames of a slot, as two products with 0/1 matrices
    to_band = (band[:, None] == np.arange(BANDS)).astype(np.float32)
    to_slot = (np.arange(TIME_SLOTS)[:, None] == slot).astype(np.float32)
    grid = (to_slot @ power @ to_band).astype(np.float64)
    db = 10.0 * np.log10(np.maximum(grid, 1e-20))
    db = np.maximum(db, db.max() - FLOOR_DB).ravel()
    db -= db.mean()
    norm = np.linalg.norm(db)
    if norm < 1e-9:
        return np.zeros(TIME_SLOTS * BANDS, dtype=np.float32)
    return (db / norm).astype(np.float32)


@curators.register("dedupe")
@dataclass
class Dedupe(Curator):
    """Drop exact and near-duplicate clips, recording which clip each one matched.

    Parameters
    ----------
    exact : bool
        Drop clips whose decoded samples equal an earlier clip's (default True).
    near_threshold : float or None
        Fingerprint distance at or below which two clips are near-duplicates (default
        0.003; 0 to 1, larger catches more: 0.003 catches copies with noise ~35 dB
        below the signal while keeping distinct takes of the same drum, which measure
        about 0.004 to 0.1). ``None`` turns near-duplicate detection off.
    within_source : bool
        Also compare clips of the same source file (default False: a steady drone cut
        into clips is not a set of duplicates).
    """

    name = "dedupe"
    stage = "dataset"

    exact: bool = True
    near_threshold: float | None = 0.003
    within_source: bool = False

    def __post_init__(self) -> None:
        if self.near_threshold is not None:
            check_number(self.near_threshold, "near_threshold", lo=0, hi=1, owner="dedupe")

    def annotate(self, seg: Segment, record: ClipRecord) -> None:
        if self.near_threshold is not None:
            record.features["fingerprint"] = fingerprint(seg.y, seg.sr).astype(np.float16)

    def select(self, records):
        order = sorted(records, key=lambda r: (r.source, r.offset, r.id))
        near = self.near_threshold is not None
        dim = TIME_SLOTS * BANDS
        kept: list[ClipRecord] = []
        dropped: list[tuple[ClipRecord, Rejected]] = []
        by_checksum: dict[str, ClipRecord] = {}
        source_ids: dict[str, int] = {}
        # fingerprints, durations and source ids of the kept clips, in the order of `kept`
        fps = np.zeros((len(order), dim), dtype=np.float32)
        durs = np.zeros(len(order))
        srcs = np.zeros(len(order), dtype=np.int64)
        n = 0
        # candidates are compared in batches: one matrix product against everything kept
        # so far, then a small one within the batch, instead of one pass per clip
        for b0 in range(0, len(order), _BATCH):
            batch = order[b0:b0 + _BATCH]
            bf = np.zeros((len(batch), dim), dtype=np.float32)
            has = np.zeros(len(batch), dtype=bool)
            for j, r in enumerate(batch):
                fp = r.features.get("fingerprint")
                if fp is not None:
                    bf[j], has[j] = fp, True
            bd = np.array([r.duration for r in batch])
            bs = np.array([source_ids.setdefault(r.source, len(source_ids)) for r in batch])
            n0 = n
            kp = np.zeros(len(batch), dtype=np.int64)
            bestp = np.full(len(batch), np.inf)
            if near and n0:
                # nearest kept clip of earlier batches, for the whole batch: one matrix
                # product, then the duration and source rules only for the few pairs
                # within the threshold
                sim = fps[:n0] @ bf.T
                ii, jj = np.nonzero(sim >= np.float32(1.0 - self.near_threshold))
                if len(ii):
                    ok = np.abs(durs[ii] - bd[jj]) <= 0.1 * np.maximum(durs[ii], bd[jj])
                    if not self.within_source:
                        ok &= srcs[ii] != bs[jj]
                    for i, j in zip(ii[ok].tolist(), jj[ok].tolist()):  # row-major: i ascending
                        d = 1.0 - float(sim[i, j])
                        if d < bestp[j]:
                            bestp[j], kp[j] = d, i
            if near:
                oki = np.abs(bd[:, None] - bd) <= 0.1 * np.maximum(bd[:, None], bd)
                if not self.within_source:
                    oki &= bs[:, None] != bs
                di_all = np.where(oki, 1.0 - bf @ bf.T, np.inf)
            mine: list[int] = []  # batch positions kept so far, in kept order after n0
            for j, r in enumerate(batch):
                first = by_checksum.get(r.checksum) if self.exact else None
                if first is not None and (self.within_source or first.source != r.source):
                    dropped.append((r, Rejected("duplicate", f"same audio as clip {first.id}",
                                                matched=first.id, matched_source=first.source)))
                    continue
                if near and has[j]:
                    best, k = float(bestp[j]), int(kp[j])
                    if mine:
                        di = di_all[mine, j]
                        kk = int(np.argmin(di))
                        if di[kk] < best:
                            best, k = float(di[kk]), n0 + kk
                    if best <= self.near_threshold:
                        m = kept[k]
                        dropped.append((r, Rejected(
                            "near_duplicate", f"fingerprint distance {best:.4f} to clip "
                            f"{m.id} (near_threshold {self.near_threshold})",
                            matched=m.id, matched_source=m.source, distance=round(best, 5))))
                        continue
                by_checksum.setdefault(r.checksum, r)
                fps[n], durs[n], srcs[n] = bf[j], r.duration, bs[j]
                mine.append(j)
                kept.append(r)
                n += 1
        return kept, dropped
