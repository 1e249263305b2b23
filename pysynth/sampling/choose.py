"""Choosing among generated clips by likelihood: ``pysynth sample --candidates K``.

A model trained for minutes makes some clips that run away into noise (every next sample
about as likely as any other: near 7 bits per sample for 256 levels) and some that
collapse onto silence or one repeated tone (nearly 0 bits). Both are easy to find by the
clip's own negative log-likelihood under the model.

Two rules, measured on drum one-shots in docs/benchmarks.md:

- **within the real clips' range** (:func:`choose_typical`, models exported with their
  validation clips' NLL): a candidate is runaway noise when it scores above
  :data:`TYPICAL_PERCENTILE` % of the real validation clips; the others are kept in the
  order they were generated, so the kept clips are a sample of the model minus its
  runaways, not its quietest, most predictable clips (which ranking keeps: on drums,
  tonal hums instead of cymbals and snares).
- **by rank** (:func:`choose_likely`, older model files): the likely ones, but not the
  most likely 10 % (SaShiMi's authors rank SC09 samples the same way).
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int

#: share of each class's candidates, the most likely ones, skipped as collapsed
SKIP_MOST_LIKELY = 0.1
#: a candidate scoring above this percentile of the real validation clips' NLL is runaway
TYPICAL_PERCENTILE = 90.0

__all__ = ["SKIP_MOST_LIKELY", "TYPICAL_PERCENTILE", "choose_likely", "choose_typical",
           "runaway_bound", "sample_likely"]


def runaway_bound(validation_clip_nll) -> float | None:
    """The NLL (bits per sample) above which a candidate counts as runaway noise: the
    :data:`TYPICAL_PERCENTILE` percentile of the real clips' per-clip NLL (None without
    any)."""
    v = np.asarray(validation_clip_nll if validation_clip_nll is not None else [], np.float64)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, TYPICAL_PERCENTILE)) if v.size else None


def choose_typical(nll: np.ndarray, classes: np.ndarray, wanted: np.ndarray,
                   bound: float) -> np.ndarray:
    """Which candidate each output clip gets: per class, the candidates at most ``bound``
    bits per sample, in candidate order; where a class has too few, its least unlikely
    other candidates fill in (ranked by NLL).

    >>> choose_typical(np.array([7.0, 1.0, 6.9, 3.0, 0.5, 2.0]), np.zeros(6), np.zeros(3),
    ...                bound=5.0)
    array([1, 3, 4])
    >>> choose_typical(np.array([7.0, 1.0, 6.9, 7.2]), np.zeros(4), np.zeros(3), bound=5.0)
    array([0, 1, 2])
    """
    def pick(cands: np.ndarray, nll: np.ndarray, k: int) -> np.ndarray:
        ok, rest = cands[nll[cands] <= bound], cands[nll[cands] > bound]
        fill = rest[np.argsort(nll[rest], kind="stable")][: max(k - len(ok), 0)]
        return np.concatenate([ok[:k], fill])

    return _per_class(nll, classes, wanted, pick)


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
    def pick(cands: np.ndarray, nll: np.ndarray, k: int) -> np.ndarray:
        ranked = cands[np.argsort(nll[cands], kind="stable")]
        first = max(min(int(skip * len(ranked)), len(ranked) - k), 0)
        return ranked[first : first + k]

    return _per_class(nll, classes, wanted, pick)


def _per_class(nll, classes, wanted, pick) -> np.ndarray:
    """The frame of both rules: for each wanted class, ``pick(its candidates, nll, k)``
    chooses k of them, handed to that class's output clips in candidate order."""
    nll = np.asarray(nll, dtype=np.float64)
    classes, wanted = np.asarray(classes), np.asarray(wanted)
    out = np.empty(len(wanted), dtype=np.int64)
    for c in np.unique(wanted):
        slots = np.flatnonzero(wanted == c)
        out[slots] = np.sort(pick(np.flatnonzero(classes == c), nll, len(slots)))
    return out


def sample_likely(model, *, n: int, candidates: int, progress: bool = False, **kw):
    """Generate ``candidates * n`` clips, score each under the model and keep ``n``.

    ``kw`` are :func:`~pysynth.sampling.sample`'s other arguments. Candidate ``j`` is
    stream ``j`` of the seed (with the class and prime of output clip ``j % n``), so the
    result is reproducible from the seed. Returns ``(audio (n, samples), nll of every
    candidate, chosen candidate per output clip, class id per output clip or None, the
    runaway bound used or None)``; each candidate is scored as its own clip, from its first
    generated sample. The rule is :func:`choose_typical` when the model file holds its
    validation clips' NLL (``pysynth export`` stores them), else :func:`choose_likely`.
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
    classes = np.zeros(k * n, np.int64) if cond is None else all_cond
    wanted = np.zeros(n, np.int64) if cond is None else cond
    bound = runaway_bound(mf.metadata.get("validation_clip_nll"))
    if bound is None:
        chosen = choose_likely(nll, classes, wanted)
    else:
        chosen = choose_typical(nll, classes, wanted, bound)
    return audio[chosen], nll, chosen, cond, bound
