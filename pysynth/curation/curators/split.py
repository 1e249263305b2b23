"""``split``: assign train/validation/test by source file, deterministically from a seed.

Every clip of one source file gets the same split, so no recording (and no overlap of
two clips) leaks from training into evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...checks import check_int, check_number
from ...errors import ParameterError
from ...registry import curators
from .base import Curator

SPLITS = ("train", "validation", "test")


def split_counts(n: int, fractions: tuple[float, float, float]) -> list[int]:
    """How many of ``n`` sources go to each split: largest remainders, then at least one
    source for every split with a non-zero fraction when there are enough sources."""
    raw = [n * f for f in fractions]
    counts = [int(np.floor(x)) for x in raw]
    for i in sorted(range(3), key=lambda i: (counts[i] - raw[i], i))[: n - sum(counts)]:
        counts[i] += 1
    wanted = [i for i in range(3) if fractions[i] > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                donor = max(range(3), key=lambda k: counts[k])
                counts[donor] -= 1
                counts[i] += 1
    return counts


@curators.register("split")
@dataclass
class Split(Curator):
    """Shuffle the source files with ``seed`` and deal them out by ``fractions``.

    Parameters
    ----------
    fractions : sequence of 3 floats
        Train, validation and test fractions of the source files (default 0.8, 0.1,
        0.1); they must sum to 1. With few files each split with a non-zero fraction
        still gets at least one file (taken from the largest split).
    seed : int
        Seed of the shuffle (default 0). Same files and seed, same split.
    """

    name = "split"
    stage = "dataset"

    fractions: tuple = (0.8, 0.1, 0.1)
    seed: int = 0

    def __post_init__(self) -> None:
        fr = self.fractions
        if not isinstance(fr, (list, tuple)) or len(fr) != 3:
            raise ParameterError(f"split fractions must be 3 numbers (train, validation, "
                                 f"test), got {fr!r}")
        fr = tuple(check_number(f, "fractions", lo=0, hi=1, owner="split") for f in fr)
        if abs(sum(fr) - 1.0) > 1e-6:
            raise ParameterError(f"split fractions must sum to 1, got {fr!r} (sum {sum(fr)})")
        self.fractions = fr
        check_int(self.seed, "seed", owner="split")

    def select(self, records):
        sources = sorted({r.source for r in records})
        rng = np.random.default_rng(self.seed)
        order = [sources[i] for i in rng.permutation(len(sources))]
        counts = split_counts(len(order), self.fractions)
        which: dict[str, str] = {}
        start = 0
        for name, c in zip(SPLITS, counts):
            for s in order[start:start + c]:
                which[s] = name
            start += c
        for r in records:
            r.split = which[r.source]
        return records, []
