"""``decode``: read any file the audio layer reads, mix to mono, resample with soxr, in blocks.

The file is read in small native blocks and streamed through soxr, and handed down the
pipeline in blocks of ``block_seconds``, so an hour-long recording never sits in memory
whole. The block length is rounded up to a multiple of ``align_seconds`` (the pipeline sets
it to the clip hop, see :meth:`~pysynth.curation.Curator.block_alignment`) so that cutting
a long recording into clips loses nothing at block seams.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...checks import check_int, check_number
from ...registry import curators
from .base import Curator, Rejected, Segment

_READ_FRAMES = 1 << 16  # native frames per read: ~1.4 s at 48 kHz, a few MB at most


@curators.register("decode")
@dataclass
class Decode(Curator):
    """Decode, mono mixdown (mean of channels) and high-quality resampling to ``sr``.

    Parameters
    ----------
    sr : int
        Output sample rate in Hz (default 16000).
    block_seconds : float
        Length of the blocks handed down the pipeline (default 60 s); bounds memory.
    align_seconds : float or None
        Round the block length up to a multiple of this (the pipeline passes the clip hop).

    Rejects
    -------
    empty (0-byte file), undecodable (not audio, truncated header), non_finite (NaN or
    infinite samples anywhere in the file), too_short (no samples at all).
    """

    name = "decode"
    stage = "decode"

    sr: int = 16000
    block_seconds: float = 60.0
    align_seconds: float | None = None

    def __post_init__(self) -> None:
        check_int(self.sr, "sr", lo=100, hi=768_000, owner="decode")
        check_number(self.block_seconds, "block_seconds", lo=0, lo_open=True, owner="decode")
        if self.align_seconds is not None:
            check_number(self.align_seconds, "align_seconds", lo=0, lo_open=True,
                         owner="decode")

    def block_samples(self) -> int:
        n = max(1, round(self.block_seconds * self.sr))
        if self.align_seconds:
            a = max(1, round(self.align_seconds * self.sr))
            n = math.ceil(n / a) * a
        return n

    def blocks(self, path: str, *, source: str, label: str) -> Iterator[Segment]:
        import soundfile as sf
        import soxr

        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise Rejected("undecodable", f"cannot read the file ({exc.strerror})") from None
        if size == 0:
            raise Rejected("empty", "the file is empty (0 bytes)")
        try:
            f = sf.SoundFile(str(p), mode="r")  # read-only: inputs are never changed
        except Exception as exc:
            raise Rejected("undecodable", f"not a readable audio file ({_short(exc)})") from None
        block_n = self.block_samples()
        with f:
            native = int(f.samplerate)
            stream = None if native == self.sr else soxr.ResampleStream(
                native, self.sr, 1, dtype="float32", quality="HQ")
            pending: list[np.ndarray] = []
            have = 0
            emitted = 0  # output samples already handed down
            read = 0  # native frames read
            while True:
                try:
                    data = f.read(_READ_FRAMES, dtype="float32", always_2d=True)
                except Exception as exc:
                    raise Rejected("undecodable",
                                   f"decoding failed after {read / native:.2f} s "
                                   f"({_short(exc)})") from None
                last = len(data) < _READ_FRAMES
                if len(data):
                    bad = ~np.isfinite(data)
                    if bad.any():
                        first = read + int(np.argmax(bad.any(axis=1)))
                        raise Rejected("non_finite",
                                       f"{int(bad.sum())} NaN or infinite samples, the first "
                                       f"at {first / native:.3f} s")
                    read += len(data)
                ch = data.shape[1]
                # a mat-vec is much faster than mean() over a length-2 axis
                mono = data @ np.full(ch, 1.0 / ch, np.float32) if ch > 1 else data[:, 0]
                if stream is not None:
                    mono = stream.resample_chunk(mono, last=last)
                if len(mono):
                    pending.append(np.asarray(mono, dtype=np.float32))
                    have += len(mono)
                while have >= block_n:
                    buf = np.concatenate(pending)
                    out, rest = buf[:block_n], buf[block_n:]
                    pending, have = ([rest] if len(rest) else []), len(rest)
                    yield Segment(out, self.sr, source, emitted / self.sr, label)
                    emitted += block_n
                if last:
                    break
            if have:
                yield Segment(np.concatenate(pending), self.sr, source, emitted / self.sr, label)
            elif emitted == 0:
                raise Rejected("too_short", "the file holds no samples")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
