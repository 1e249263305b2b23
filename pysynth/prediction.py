"""Linear prediction in the mixture output (``lpc_order = P``, mol16 models only).

A model with ``lpc_order = P > 0`` carries the dataset's linear predictor
``c[0..P)``, fitted once by least squares on the training clips before training starts
(:func:`fit_lpc`), and each mixture component's mean is

    ``mu_k = sum_j c[j] v[t-1-j]  +  s_k n_k``

where ``v`` are the previous samples' values (``2 q / (Q - 1) - 1``; 0 before the clip, as
every model's "nothing"), ``s_k = exp(max(log_s_k, LOG_SCALE_MIN))`` the component's scale
and ``n_k`` the head's number in the mean's place (:func:`apply_lpc`). The network thus
predicts only the correction to the linear prediction, in units of its own scale.

Why both halves (docs/architecture.md, "Linear prediction"; docs/benchmarks.md has the
measurements):

* A damped resonance (a decaying partial, the tonal body of a tom or a bell) is exactly a
  linear recurrence, which a network of gated units only approximates: trained on a decaying
  440 Hz tone, a WaveNet continued it with its amplitude stalling at a level of its own
  (the decay rate a function of the amplitude), 15-27 dB against the ideal decay.
  Least squares finds the recurrence from the data in one solve (LPCNet, Valin and
  Skoglund 2019, likewise leaves the spectral envelope to linear prediction).
* A free-running resonator with poles this close to the unit circle integrates every small
  error of the network's output into its decay rate, so a correction of plain size (mean
  ``= prediction + n``) that is right to 67 dB under teacher forcing still drifts by 11 dB
  in generation. In units of the scale, the correction shrinks with the model's
  uncertainty: where the data is predictable the scale goes to its floor (a tenth of a
  level) and the correction's error with it. (Within a level the loss no longer cares
  where the mean is, so the correction still wanders there by a fraction of a level;
  docs/benchmarks.md, "16-bit output", has what that costs at temperature 0, and why a
  lower floor for the correction alone was tried and dropped.)

Everything here is float64 numpy; ``csrc/common.h`` (``apply_lpc``) is the same in float32
for the engines, and :mod:`pysynth.training.losses` (``LinearPrediction``) for Keras.
"""

from __future__ import annotations

import numpy as np

from .audio import level_values
from .checks import check_int
from .errors import ParameterError

__all__ = [
    "MAX_LPC_ORDER",
    "apply_lpc",
    "check_lpc",
    "fit_lpc",
    "history_values",
    "lpc_changes",
    "lpc_of",
    "lpc_program_keys",
    "lpc_tensor",
    "lpc_tensor_shapes",
    "random_lpc",
    "stable",
]

#: the largest predictor order (a few ms at 16 kHz: resonances, not whole periods)
MAX_LPC_ORDER = 64
#: the most audio :func:`fit_lpc` reads (seconds at 16 kHz): enough for a 64-tap fit
FIT_SAMPLES = 16000 * 600


def check_lpc(config, owner: str) -> None:
    """Check a config's ``lpc_order`` and ``lpc`` (both families' ``validate``): the order
    in ``[0, MAX_LPC_ORDER]``, only with the mol16 output, and coefficients (if already
    fitted) that are ``lpc_order`` finite numbers."""
    config.lpc_order = check_int(config.lpc_order, "lpc_order", lo=0, hi=MAX_LPC_ORDER,
                                 owner=owner)
    if config.lpc_order and config.output != "mol16":
        raise ParameterError(
            f"{owner} lpc_order={config.lpc_order} shifts the means of a mixture output: "
            f"set output=mol16 too (a softmax over levels has no mean to shift)")
    coef = [] if config.lpc is None else list(config.lpc)
    if coef and len(coef) != config.lpc_order:
        raise ParameterError(
            f"{owner} lpc has {len(coef)} coefficients, lpc_order is {config.lpc_order}")
    try:
        arr = np.asarray(coef, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{owner} lpc must be a list of numbers, got {config.lpc!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{owner} lpc coefficients must be finite, got {coef!r}")
    config.lpc = [float(c) for c in arr]


def lpc_program_keys(config) -> dict:
    """A config's program keys for the predictor: none when off (programs stay as every file
    written before the key), ``lpc_order`` otherwise."""
    return {"lpc_order": int(config.lpc_order)} if config.lpc_order else {}


def lpc_of(program: dict) -> int:
    """A program's predictor order (0 when it has none)."""
    return int(program.get("lpc_order", 0) or 0)


def lpc_tensor_shapes(program: dict) -> dict[str, tuple[int, ...]]:
    """``{"lpc.weight": (P,)}`` for a program with a predictor, else nothing."""
    order = lpc_of(program)
    return {"lpc.weight": (order,)} if order else {}


def lpc_tensor(config) -> dict[str, np.ndarray]:
    """The exported predictor tensor of a config (nothing when off); raises if the
    coefficients were never fitted."""
    if not config.lpc_order:
        return {}
    return {"lpc.weight": np.asarray(fitted_lpc(config), dtype=np.float32)}


def fitted_lpc(config) -> list[float]:
    """A config's fitted coefficients; :class:`ParameterError` if ``lpc_order`` is set but
    nothing has fitted them yet (``pysynth.train`` does, from the training clips)."""
    if len(config.lpc) != config.lpc_order:
        raise ParameterError(
            f"lpc_order={config.lpc_order} but no coefficients were fitted: pysynth.train fits "
            f"them from the training clips (or set lpc to {config.lpc_order} numbers)")
    return list(config.lpc)


def lpc_changes(config, dataset) -> dict:
    """What an architecture's ``prepare`` changes for the predictor: ``{"lpc": [...]}``
    fitted on the dataset's training clips as the model will see them (quantized to its
    levels, through its pre-emphasis) when ``lpc_order`` is set and nothing is fitted yet
    (a resumed run keeps its coefficients); nothing otherwise."""
    if not config.lpc_order or len(config.lpc) == config.lpc_order:
        return {}
    from .training.data import iter_quantized

    # one clip at a time: fit_lpc stops reading after FIT_SAMPLES
    clips = iter_quantized(dataset, "train", levels=config.levels,
                           quantization=config.quantization, preemphasis=config.preemphasis)
    # the values the predictor runs on (mol16 levels are linear)
    values = (level_values(q, config.levels) for _, q in clips)
    return {"lpc": [float(c) for c in fit_lpc(values, config.lpc_order)]}


def random_lpc(order: int, rng: np.random.Generator) -> np.ndarray:
    """A random stable predictor (the test programs'): coefficients whose absolute values
    sum to 0.9, so every root lies inside the unit circle."""
    c = rng.standard_normal(order)
    return 0.9 * c / np.abs(c).sum()


def stable(coef) -> bool:
    """Whether the recurrence ``x[t] = sum_j coef[j] x[t-1-j]`` decays (every root of
    ``z^P - sum_j coef[j] z^(P-1-j)`` inside the unit circle).

    >>> stable([1.9, -0.95]), stable([1.0, 0.1])
    (True, False)
    """
    coef = np.asarray(coef, dtype=np.float64)
    if coef.size == 0:
        return True
    return bool(np.abs(np.roots(np.concatenate([[1.0], -coef]))).max() < 1.0)


def _lags(x: np.ndarray, order: int) -> np.ndarray:
    """``(len(x) - order, order)``: row ``t`` holds ``x[t + order - 1 - j]`` for ``j < order``."""
    return np.lib.stride_tricks.sliding_window_view(x, order)[:-1, ::-1]


def fit_lpc(signals, order: int) -> np.ndarray:
    """The order-``order`` linear predictor of a set of signals: least squares over every
    sample of every signal (the covariance method, accumulated as normal equations so
    memory stays ``order^2``), read from at most :data:`FIT_SAMPLES` samples.

    The least-squares predictor is exact for a recurrence (a decaying tone needs it exact),
    but not always stable; where it is not, the autocorrelation method (Yule-Walker, which
    always gives a stable predictor) is used instead. Silent data gives zeros.

    >>> t = np.arange(4000)
    >>> x = 0.99 ** t * np.sin(0.3 * t)
    >>> np.round(fit_lpc([x], 2), 6).tolist()  # 2 r cos(w), -r^2
    [1.891434, -0.9801]
    """
    from scipy.linalg import solve_toeplitz

    order = check_int(order, "lpc_order", lo=1, hi=MAX_LPC_ORDER)
    gram = np.zeros((order, order))
    cross = np.zeros(order)
    auto = np.zeros(order + 1)
    budget = FIT_SAMPLES
    for s in signals:
        x = np.asarray(s, dtype=np.float64).ravel()[:budget]
        budget -= x.size
        if x.size > order:
            a, b = _lags(x, order), x[order:]
            gram += a.T @ a
            cross += a.T @ b
        full = np.concatenate([np.zeros(order), x])
        auto += np.array([full[order:] @ full[order - k:full.size - k] for k in range(order + 1)])
        if budget <= 0:
            break
    if auto[0] <= 0:
        return np.zeros(order)
    # an SVD solve of the normal equations: a signal of fewer partials than the order (a
    # pure tone needs 2 taps) leaves directions the data does not determine, which get the
    # minimum-norm answer instead of a ridge's bias on the ones it does
    coef = np.linalg.lstsq(gram, cross, rcond=None)[0]
    if stable(coef):
        return coef
    auto[0] *= 1.0 + 1e-9
    return solve_toeplitz(auto[:-1], auto[1:])


def history_values(q: np.ndarray, order: int, levels: int) -> np.ndarray:
    """``(..., T, order)`` values of the ``order`` samples before each position of level
    sequences ``q (..., T)``: ``[..., t, j] = 2 q[t-1-j] / (levels-1) - 1``, 0 before the
    sequence starts and where ``q`` is negative ("nothing")."""
    q = np.asarray(q)
    v = level_values(q, levels)
    pad = np.concatenate([np.zeros((*q.shape[:-1], order)), v], axis=-1)
    t = q.shape[-1]
    return np.stack([pad[..., order - 1 - j: order - 1 - j + t] for j in range(order)], axis=-1)


def apply_lpc(params: np.ndarray, coef: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Mixture parameters ``(..., 3K)`` with each mean replaced by ``sum_j coef[j]
    history[..., j] + s_k n_k`` (``history (..., P)`` from :func:`history_values`)."""
    from .mixture import LOG_SCALE_MIN

    p = np.array(params, dtype=np.float64)
    k = p.shape[-1] // 3
    pred = np.asarray(history, dtype=np.float64) @ np.asarray(coef, dtype=np.float64)
    scale = np.exp(np.maximum(p[..., 2 * k:], LOG_SCALE_MIN))
    p[..., k:2 * k] = pred[..., None] + scale * p[..., k:2 * k]
    return p
