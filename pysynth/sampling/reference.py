"""The numpy reference sampler: the sampling rule and NLL of docs/architecture.md applied to
any :class:`~pysynth.arch.ReferenceModel`, one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError
from ..mixture import mixture_nll_bits, sample_mixture

# (B, len) int32 indices starting at output sample `offset`
BlockCallback = Callable[[np.ndarray, int], None]

__all__ = ["BlockCallback", "reference_nll", "reference_sample", "sample_index"]


def sample_index(logits: np.ndarray, temperature: float, u: np.ndarray,
                 min_p: float = 0.0) -> np.ndarray:
    """Inverse-CDF sampling of ``softmax(logits / temperature)`` row by row, truncated to
    the levels at least ``min_p`` times as likely as the most likely one.

    With weights ``w[k] = exp((logits[k] - max) / temperature)``, zeroed where
    ``w[k] < min_p``: ``q = min{k : cumsum(w)[k] > u * sum(w)}`` (the last kept index if
    rounding leaves none); ``temperature == 0`` is argmax with the lowest index on ties.
    This is the rule the engine applies (``pysynth::sample_logits``), evaluated in float64.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        logits = logits[None]
    arg = np.argmax(logits, axis=1)
    if not temperature > 0:
        return arg.astype(np.int32)
    e = np.exp((logits - logits[np.arange(len(logits)), arg][:, None]) / temperature)
    e[e < min_p] = 0.0
    c = np.cumsum(e, axis=1)
    target = np.asarray(u, dtype=np.float64).reshape(-1) * c[:, -1]
    above = c > target[:, None]
    q = np.argmax(above, axis=1)
    none = ~above.any(axis=1)
    if none.any():
        kept = e[none] > 0
        q[none] = kept.shape[1] - 1 - np.argmax(kept[:, ::-1], axis=1)
    return q.astype(np.int32)


def reference_sample(
    ref_model,
    n: int,
    uniforms: np.ndarray,
    temperature: float = 1.0,
    prime: np.ndarray | None = None,
    cond: np.ndarray | None = None,
    *,
    min_p: float = 0.0,
    on_block: BlockCallback | None = None,
    chunk: int = 16000,
) -> np.ndarray | None:
    """Sample ``n`` indices per stream from a numpy reference model, one step at a time.

    Parameters
    ----------
    ref_model : pysynth.arch.ReferenceModel
        Its ``start(B, cond)`` and ``step(state, q_prev)`` are used.
    n : int
        New samples per stream.
    uniforms : ndarray (B, n), or (B, n, 2) for a mol16 model
        ``uniforms[:, i]`` is the uniform of sample ``t = P + i`` (``P`` the prime
        length); the engine's are ``pysynth._engine.uniforms(seed, streams, P, n)``
        (``pairs=True`` for a mol16 model: the component's and the value's uniform).
    temperature : float
        Softmax temperature; 0 is argmax.
    prime : int ndarray (B, P) or None
        Indices teacher-forced before sampling starts.
    cond : int ndarray (B,) or None
        Global-condition class per stream.
    min_p : float
        Keep only the levels at least ``min_p`` times as likely as the most likely one
        (:func:`sample_index`); 0 samples the whole softmax.
    on_block : callable or None
        If given, called as ``on_block(indices (B, <=chunk), offset)`` and nothing is
        returned (constant memory).

    Returns
    -------
    ndarray int32 (B, n), or None with ``on_block``.
    """
    u = np.asarray(uniforms, dtype=np.float64)
    mol = getattr(ref_model, "output", "softmax") == "mol16"
    if u.ndim != (3 if mol else 2) or u.shape[1] < n or (mol and u.shape[2] != 2):
        want = f"(B, >= {n}, 2)" if mol else f"(B, >= {n})"
        raise ParameterError(f"uniforms must have shape {want}, got {u.shape}")
    b = u.shape[0]
    state = ref_model.start(b, cond)
    prev = None
    if prime is not None:
        prime = np.asarray(prime)
        for t in range(prime.shape[1]):
            ref_model.step(state, prev)
            prev = prime[:, t]
    out = None if on_block is not None else np.empty((b, n), dtype=np.int32)
    block = np.empty((b, min(chunk, max(n, 1))), dtype=np.int32)
    for i in range(n):
        logits = ref_model.step(state, prev)
        prev = (sample_mixture(logits, temperature, u[:, i], min_p, ref_model.levels) if mol
                else sample_index(logits, temperature, u[:, i], min_p))
        if out is not None:
            out[:, i] = prev
        else:
            block[:, i % chunk] = prev
            if (i + 1) % chunk == 0 or i + 1 == n:
                length = i % chunk + 1
                on_block(block[:, :length].copy(), i + 1 - length)
    return out


def reference_nll(logits: np.ndarray, q: np.ndarray, output: str = "softmax",
                  levels: int = 0) -> np.ndarray:
    """Bits per sample of each index ``q[..., t]`` under ``logits[..., t, :]`` (float64),
    what the engine's ``nll`` computes; with ``output="mol16"`` the logits are a model's
    mixture parameters over ``levels`` (:func:`pysynth.mixture.mixture_nll_bits`)."""
    if output == "mol16":
        return mixture_nll_bits(logits, q, levels)
    lg = np.asarray(logits, dtype=np.float64)
    mx = lg.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(lg - mx).sum(axis=-1)) + mx[..., 0]
    picked = np.take_along_axis(lg, q[..., None].astype(np.int64), axis=-1)[..., 0]
    return (lse - picked) / np.log(2.0)
