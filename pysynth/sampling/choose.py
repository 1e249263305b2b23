"""Choosing among generated clips by likelihood: ``pysynth sample --candidates K``.

A model trained for minutes makes some clips that run away into noise (every next sample
as likely as any other: about 7 bits per sample for 256 levels) and some that collapse
onto silence or one repeated tone (nearly 0 bits). Both are easy to find by the clip's own
negative log-likelihood under the model, so generating K candidates per clip and keeping
the likely ones, but not the most likely, removes most of them (SaShiMi's authors rank
SC09 samples the same way). Measured on drum one-shots in docs/benchmarks.md.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int

#: share of each class's candidates, the most likely ones, skipped as collapsed
SKIP_MOST_LIKELY = 0.1

__all__ = ["SKIP_MOST_LIKELY", "choose_likely", "sample_likely"]


def choose_likely(nll: np.ndarray, classes: np.ndarray, wanted: np.ndarray,
                  *, skip: float = SKIP_MOST_LIKELY) -> np.ndarray:
    """Which candidate each output clip gets.

    Parameters
    ----------
    nll : (M,) float
        Each candidate's NLL (bits per sample).
    classes : (M,) int
        Each candidate's class (all 0 for an unconditioned model).
    wanted : (n,) int
        The class each output clip must have.
    skip : float
        Share of each class's candidates skipped from the most likely end.

    Returns
    -------
    (n,) int: candidate index per output clip. Within a class, the candidates ranked by
    NLL after the skipped ones are kept, given to that class's output clips in candidate
    order.

    >>> choose_likely(np.array([7.0, 0.0, 2.0, 3.0, 1.0, 7.1]), np.zeros(6), np.zeros(3),
    ...               skip=0.2)
    array([2, 3, 4])
    """
    nll = np.asarray(nll, dtype=np.float64)
    classes, wanted = np.asarray(classes), np.asarray(wanted)
    out = np.empty(len(wanted), dtype=np.int64)
    for c in np.unique(wanted):
        slots = np.flatnonzero(wanted == c)
        cands = np.flatnonzero(classes == c)
        ranked = cands[np.argsort(nll[cands], kind="stable")]
        first = max(min(int(skip * len(ranked)), len(ranked) - len(slots)), 0)
        out[slots] = np.sort(ranked[first : first + len(slots)])
    return out


def sample_likely(model, *, n: int, candidates: int, progress: bool = False, **kw):
    """Generate ``candidates * n`` clips, score each under the model and keep ``n``.

    ``kw`` are :func:`~pysynth.sampling.sample`'s other arguments. Candidate ``j`` is
    stream ``j`` of the seed (with the class and prime of output clip ``j % n``), so the
    result is reproducible from the seed. Returns ``(audio (n, samples), nll of every
    candidate, chosen candidate per output clip, class id per output clip or None)``; each
    candidate is scored as its own clip, from its first generated sample.
    """
    from .engines import load
    from .generate import sample_scored
    from .plan import cond_ids

    n = check_int(n, "n", lo=1)
    k = check_int(candidates, "candidates", lo=1, hi=1000)
    mf = load(model)
    cond = cond_ids(kw.pop("cond", None), mf, n, cycle=True)
    prime = kw.pop("prime", None)
    if isinstance(prime, np.ndarray) and prime.ndim == 2:
        prime = np.tile(prime, (k, 1))
    all_cond = None if cond is None else np.tile(cond, k)
    audio, nll = sample_scored(mf, n=k * n, cond=all_cond, prime=prime, progress=progress, **kw)
    if cond is None:
        chosen = choose_likely(nll, np.zeros(k * n, np.int64), np.zeros(n, np.int64))
    else:
        chosen = choose_likely(nll, all_cond, cond)
    return audio[chosen], nll, chosen, cond
