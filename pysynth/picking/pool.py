"""The best clips so far: a bounded pool, so that picking from thousands of generated clips
holds the audio of only a few hundred."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(order=True)
class Entry:
    """One clip in the pool; ordered so that the heap's top is the worst-ranked one."""

    neg_rank: float
    clip: int
    Z: np.ndarray = field(compare=False)
    audio: np.ndarray | None = field(compare=False)  # None when the clip is a file
    path: Path | None = field(compare=False)


class Pool:
    """Keeps at most ``size`` entries, the best ranked (lowest rank score) seen so far.

    >>> p = Pool(2)
    >>> for i, t in enumerate([3.0, 1.0, 2.0]):
    ...     _ = p.offer(i, t, np.zeros(1), None, None)
    >>> sorted(e.clip for e in p.entries())
    [1, 2]
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[Entry] = []

    def offer(self, clip: int, rank: float, Z, audio, path) -> int | None:
        """Add a clip; return the clip that left the pool to make room (itself if it is
        worse than every entry of a full pool), or None."""
        entry = Entry(-float(rank), clip, Z, audio, path)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
            return None
        if entry.neg_rank <= self._heap[0].neg_rank:
            return clip
        return heapq.heapreplace(self._heap, entry).clip

    def entries(self) -> list[Entry]:
        """The entries in clip order."""
        return sorted(self._heap, key=lambda e: e.clip)
