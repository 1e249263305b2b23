"""The model output distributions: the softmax over levels, and the 16-bit discretized
mixture of logistics (``output = "mol16"``), its likelihood, sampling rule and 8-bit figure.

A ``mol16`` model's head gives ``3K`` numbers per sample instead of ``levels`` logits:
mixture logits ``a[0:K]``, means ``mu[K:2K]`` and log-scales ``log_s[2K:3K]`` (PixelCNN++,
Salimans et al. 2017; Parallel WaveNet, van den Oord et al. 2018). The sample is one of
65,536 linear levels ``x_q = 2 q / (Q - 1) - 1``; the mass of level ``q`` is the mixture's
CDF over its bin ``[x_q - 1/(Q-1), x_q + 1/(Q-1)]``, the end bins reaching to infinity.
Everything here is float64 numpy; ``csrc/common.h`` (``mixture_nll_bits``, ``sample_mixture``)
is the same math in float32 for the engine and the CUDA kernel. docs/architecture.md
("Output distributions") writes it down.
"""

from __future__ import annotations

import numpy as np

from .checks import check_choice, check_int
from .errors import ParameterError

__all__ = [
    "LOG_SCALE_MIN", "MOL_LEVELS", "OUTPUTS", "check_output", "mixture_log_prob",
    "mixture_nll_bits", "mulaw8_equivalent_bits", "output_of", "output_width",
    "sample_mixture",
]

#: the output distributions a program may name (``output`` program key; absent = softmax)
OUTPUTS = ("softmax", "mol16")
#: the levels of a mol16 output: 16-bit linear
MOL_LEVELS = 65536
#: the smallest log-scale of a component: ln(1/65535) is -11.1, so a component may put
#: nearly all its mass in one level (PixelCNN++ uses -7 for 8-bit, 1.5 under ln(1/255))
LOG_SCALE_MIN = -13.0


def check_output(output, mixtures, *, owner: str) -> tuple[str, int]:
    """``(output, mixtures)`` checked: the output's name and, for mol16, K >= 1 components."""
    output = check_choice(output, "output", OUTPUTS, owner=owner)
    mixtures = check_int(mixtures, "mixtures", lo=1, hi=256, owner=owner)
    return output, mixtures


def output_of(program: dict) -> tuple[str, int]:
    """A program's ``(output, mixtures)``; a program without the key (every file written
    before it) has the softmax over its ``levels``."""
    return str(program.get("output", "softmax")), int(program.get("mixtures", 0) or 0)


def output_width(program: dict) -> int:
    """Numbers per sample the head gives: ``levels`` logits, or ``3 K`` mixture parameters."""
    output, k = output_of(program)
    return 3 * k if output == "mol16" else int(program["levels"])


def _split(params: np.ndarray):
    p = np.asarray(params, dtype=np.float64)
    k = p.shape[-1] // 3
    if p.shape[-1] != 3 * k or k < 1:
        raise ParameterError(f"mixture parameters must be 3K wide, got {p.shape[-1]}")
    return p[..., :k], p[..., k:2 * k], np.maximum(p[..., 2 * k:], LOG_SCALE_MIN)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _log_softmax(a: np.ndarray) -> np.ndarray:
    mx = a.max(axis=-1, keepdims=True)
    return a - mx - np.log(np.exp(a - mx).sum(axis=-1, keepdims=True))


def _logsumexp(x: np.ndarray) -> np.ndarray:
    mx = x.max(axis=-1)
    return mx + np.log(np.exp(x - mx[..., None]).sum(axis=-1))


def mixture_log_prob(params: np.ndarray, q: np.ndarray, levels: int = MOL_LEVELS) -> np.ndarray:
    """Natural log of the mass the mixture puts on level ``q`` (params ``(..., 3K)``, q ``(...)``).

    Per component, with ``b = (x_q + h - mu) / s`` and ``a = (x_q - h - mu) / s``
    (``h = 1 / (Q - 1)``): ``log(sigmoid(b) - sigmoid(a)) = log(1 - exp(-2h/s))
    - softplus(-b) - softplus(a)``, which has no cancellation however narrow the bin or
    far the tail; the first level's bin is ``log sigmoid(b)``, the last's ``log(1 -
    sigmoid(a))``.

    >>> p = np.array([0.0, 0.0, -3.0])  # one component: mu 0, s = e^-3
    >>> round(float(np.exp(mixture_log_prob(p, np.array(32767), 65536))), 6)
    0.000306
    """
    a_mix, mu, log_s = _split(params)
    q = np.asarray(q, dtype=np.int64)[..., None]
    h = 1.0 / (levels - 1)
    x = 2.0 * q / (levels - 1) - 1.0
    inv = np.exp(-log_s)
    plus, minus = (x + h - mu) * inv, (x - h - mu) * inv
    inner = np.log(-np.expm1(-2.0 * h * inv)) - _softplus(-plus) - _softplus(minus)
    log_bin = np.where(q == 0, -_softplus(-plus), np.where(q == levels - 1, -_softplus(minus), inner))
    return _logsumexp(_log_softmax(a_mix) + log_bin)


def mixture_nll_bits(params: np.ndarray, q: np.ndarray, levels: int = MOL_LEVELS) -> np.ndarray:
    """Bits of each level ``q``: ``-log2`` of :func:`mixture_log_prob` (the engine's ``nll``)."""
    return -mixture_log_prob(params, q, levels) / np.log(2.0)


def sample_mixture(params: np.ndarray, temperature: float, u: np.ndarray, min_p: float = 0.0,
                   levels: int = MOL_LEVELS) -> np.ndarray:
    """Draw one level per row of ``params (B, 3K)`` with the uniform pairs ``u (B, 2)``.

    The component is drawn by the softmax sampling rule on the mixture logits with
    ``u[:, 0]`` (temperature and min-p apply to the mixture weights, exactly as to the
    logits of a softmax output: :func:`pysynth.sampling.sample_index`); the value is
    ``x = mu + temperature * s * log(u1 / (1 - u1))`` with ``u1 = u[:, 1]`` (the logistic's
    inverse CDF, its scale times the temperature), rounded to the nearest level as
    :func:`pysynth.audio.linear_encode` rounds. Temperature 0 is the most likely
    component's mean.
    """
    from .sampling.reference import sample_index

    p = np.asarray(params, dtype=np.float64)
    if p.ndim == 1:
        p = p[None]
    u = np.asarray(u, dtype=np.float64).reshape(len(p), 2)
    a_mix, mu, log_s = _split(p)
    k = sample_index(a_mix, temperature, u[:, 0], min_p).astype(np.int64)
    rows = np.arange(len(p))
    x = mu[rows, k]
    if temperature > 0:
        u1 = u[:, 1]
        x = x + temperature * np.exp(log_s[rows, k]) * (np.log(u1) - np.log1p(-u1))
    q = np.floor((x + 1.0) * 0.5 * (levels - 1) + 0.5)
    return np.clip(q, 0, levels - 1).astype(np.int32)


def _mulaw_edges(bins: int = 256) -> np.ndarray:
    """The ``bins - 1`` inner decision edges of ``pysynth.audio.mu_law_encode`` in audio
    units (bin j holds the audio between edges j-1 and j)."""
    mu = bins - 1.0
    f = (np.arange(1, bins) - 0.5) * 2.0 / mu - 1.0
    return np.sign(f) * np.expm1(np.abs(f) * np.log1p(mu)) / mu


def mulaw8_equivalent_bits(params: np.ndarray, q: np.ndarray, levels: int = MOL_LEVELS) -> np.ndarray:
    """Bits of each sample's 8-bit mu-law bin under the 16-bit model: ``-log2`` of the
    mixture's mass between the mu-law decision edges around ``x_q`` (the continuous CDF
    at the 255 edges, the end bins open). On the scale of an 8-bit mu-law model's bits
    per sample of the same audio, so the two can be compared.
    """
    from .audio import linear_decode, mu_law_encode

    a_mix, mu, log_s = _split(params)
    x = linear_decode(np.asarray(q), levels).astype(np.float64)
    j = mu_law_encode(x, 256).astype(np.int64)
    edges = np.concatenate([[-np.inf], _mulaw_edges(), [np.inf]])
    lo, hi = edges[j][..., None], edges[j + 1][..., None]
    inv = np.exp(-log_s)
    with np.errstate(invalid="ignore"):
        b, a = (hi - mu) * inv, (lo - mu) * inv
    # log(sigmoid(b) - sigmoid(a)) = log(1 - exp(a - b)) - softplus(-b) - softplus(a)
    gap = np.where(np.isinf(b) | np.isinf(a), np.inf, b - a)
    inner = np.log(-np.expm1(-gap)) - _softplus(-b) - _softplus(a)
    inner = np.where(np.isneginf(a), -_softplus(-b), inner)
    inner = np.where(np.isposinf(b), -_softplus(a), inner)
    return -_logsumexp(_log_softmax(a_mix) + inner) / np.log(2.0)


def check_config_output(config, owner: str) -> None:
    """Check a model config's ``output`` and ``mixtures`` (what both families' ``validate``
    call): a mol16 output has 65,536 linear levels, so ``levels`` and ``quantization`` are
    set to those (left at their 8-bit defaults by the user, or already so; anything else is
    a contradiction and raises)."""
    config.output, config.mixtures = check_output(config.output, config.mixtures, owner=owner)
    if config.output != "mol16":
        return
    if (config.levels, config.quantization) not in ((256, "mu-law"), (MOL_LEVELS, "linear")):
        raise ParameterError(
            f"{owner} output 'mol16' has {MOL_LEVELS} linear levels; leave levels and "
            f"quantization unset, got levels={config.levels!r}, quantization={config.quantization!r}")
    config.levels, config.quantization = MOL_LEVELS, "linear"


def output_program_keys(config) -> dict:
    """The program keys of a config's output: none for the softmax (so its programs stay
    as every file written before the key), ``output`` and ``mixtures`` for mol16."""
    if config.output != "mol16":
        return {}
    return {"output": "mol16", "mixtures": int(config.mixtures)}
