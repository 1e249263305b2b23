"""``split``: assign train/validation/test by source recording, by duration, deterministically
from a seed.

Every clip of one source file gets the same split, so no recording (and no overlap of
two clips) leaks from training into evaluation. The fractions are fractions of the audio.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ...checks import check_int, check_number
from ...errors import ParameterError
from ...registry import curators
from .base import Curator

SPLITS = ("train", "validation", "test")

#: Recordings holding more than this share of the audio are placed first, longest first, so
#: that none lands when little room is left in any split (the rest follow the seeded shuffle).
LARGE_SHARE = 0.02
#: A split further than this from its fraction (share of the audio) gets a warning.
TOLERANCE = 0.05


def deal_by_duration(seconds: dict[str, float], fractions: tuple[float, float, float],
                     seed: int) -> dict[str, str]:
    """Split name of each source, so that each split's seconds come close to its fraction.

    Sources go one at a time to the split furthest below its target (in seconds): the
    large ones first (longest first, ties in shuffled order), then the others in the
    order of a shuffle seeded by ``seed``. A split can then miss its target by little more
    than two of the small sources, unless one recording alone is too large for it. With
    at least as many sources as non-zero fractions, every such split gets one (the
    shortest source of the split with the most sources moves there).
    """
    names = sorted(seconds)
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    total = sum(seconds.values())
    large = sorted((s for s in order if seconds[s] > LARGE_SHARE * total),
                   key=lambda s: -seconds[s])  # stable: ties keep the shuffled order
    order = large + [s for s in order if seconds[s] <= LARGE_SHARE * total]
    got = dict.fromkeys(SPLITS, 0.0)
    members: dict[str, list[str]] = {k: [] for k in SPLITS}
    for s in order:
        name = max(SPLITS, key=lambda k: fractions[SPLITS.index(k)] * total - got[k])
        got[name] += seconds[s]
        members[name].append(s)
    wanted = [k for k, f in zip(SPLITS, fractions) if f > 0]
    if len(names) >= len(wanted):
        for k in wanted:
            if not members[k]:
                donor = max(SPLITS, key=lambda d: len(members[d]))
                moved = min(members[donor], key=lambda s: seconds[s])
                members[donor].remove(moved)
                members[k].append(moved)
    return {s: k for k, group in members.items() for s in group}


def _percent(fractions) -> str:
    return "/".join(f"{100 * f:.0f}" for f in fractions)


def warn_if_off(seconds: dict[str, float], which: dict[str, str],
                fractions: tuple[float, float, float]) -> None:
    """Warn, naming the recording, when a split's share of the audio is more than
    :data:`TOLERANCE` from its fraction because one recording is too large to place."""
    total = sum(seconds.values())
    if total <= 0:
        return
    got = [sum(v for s, v in seconds.items() if which[s] == k) / total for k in SPLITS]
    if all(abs(g - f) <= TOLERANCE for g, f in zip(got, fractions)):
        return
    fullest = max(range(3), key=lambda i: got[i] - fractions[i])
    biggest = max((s for s in seconds if which[s] == SPLITS[fullest]), key=lambda s: seconds[s])
    warnings.warn(
        f"the splits hold {_percent(got)} % of the audio, not the {_percent(fractions)} % "
        f"asked for: {biggest} alone is {seconds[biggest]:.1f} s, "
        f"{100 * seconds[biggest] / total:.0f} % of the audio (in {SPLITS[fullest]}), and "
        f"one recording is never split across train, validation and test",
        stacklevel=2)


@curators.register("split")
@dataclass
class Split(Curator):
    """Deal the source recordings out so that each split holds ``fractions`` of the audio
    (:func:`deal_by_duration`); warn, naming it, when one recording is too large for that.

    Parameters
    ----------
    fractions : sequence of 3 floats
        Train, validation and test fractions of the audio, in seconds of kept clips
        (default 0.8, 0.1, 0.1); they must sum to 1. With few files each split with a
        non-zero fraction still gets at least one file (taken from the split with most).
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
        seconds: dict[str, float] = {}
        for r in records:
            seconds[r.source] = seconds.get(r.source, 0.0) + r.duration
        which = deal_by_duration(seconds, self.fractions, self.seed)
        warn_if_off(seconds, which, self.fractions)
        for r in records:
            r.split = which[r.source]
        return records, []
