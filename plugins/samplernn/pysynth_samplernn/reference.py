"""The numpy reference of a SampleRNN program: the executable form of docs/architecture.md.

Slow, simple and obviously right on purpose: the Keras model, the C++ engine and the CUDA
kernel are all tested against it. :func:`random_program` makes random-weight exports without
TensorFlow, for the contract harness and the engine's tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pysynth.arch import ReferenceModel, check_cond, position_frame
from pysynth.audio import level_values
from pysynth.errors import ParameterError
from pysynth.prediction import random_lpc

from .config import (
    SampleRNNConfig,
    check_program,
    frame_ratios,
    make_config,
    program_from_config,
    tensor_shapes,
)


def random_program(
    config: SampleRNNConfig | dict[str, Any] | str | None = None,
    seed: int = 0,
    *,
    scale: float = 1.0,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A random-weight export ``(program, tensors)`` of ``config`` (no TensorFlow).

    Weights are drawn ``N(0, scale^2 / fan_in)`` so activations stay in a useful range and
    logits are neither flat nor saturated; learned initial states and biases are random
    too, so tests exercise every tensor.

    Parameters
    ----------
    config : SampleRNNConfig, dict of overrides, preset name, or None (the "small" preset)
    seed : int
        Seed of the numpy Generator that draws the weights.
    """
    if isinstance(config, str):
        config = make_config(preset=config)
    else:
        config = make_config(config)
    rng = np.random.default_rng(seed)
    program = program_from_config(config)
    tensors: dict[str, np.ndarray] = {}
    for name, shape in tensor_shapes(program).items():
        if name == "lpc.weight":  # the config's own coefficients, or a random stable set
            tensors[name] = np.asarray(config.lpc or random_lpc(shape[0], rng), np.float32)
            continue
        if name == "sample.table" or (len(shape) == 2 and not name.endswith(".bias")):
            fan_in = shape[0]
        else:
            fan_in = 4  # biases and initial states: moderate
        a = rng.standard_normal(shape) * (scale / np.sqrt(fan_in))
        tensors[name] = a.astype(np.float32)
    return program, tensors


# --------------------------------------------------------------------------------------
# Cells, exactly as written in docs/architecture.md (Keras gate orders).
# --------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def gru_cell(x, h, kernel, recurrent_kernel, bias):
    """Keras GRU with ``reset_after=True``; columns ``[z, r, h]``; bias rows [input; recurrent]."""
    hd = h.shape[-1]
    xi = x @ kernel + bias[0]
    hi = h @ recurrent_kernel + bias[1]
    z = _sigmoid(xi[:, :hd] + hi[:, :hd])
    r = _sigmoid(xi[:, hd:2 * hd] + hi[:, hd:2 * hd])
    n = np.tanh(xi[:, 2 * hd:] + r * hi[:, 2 * hd:])
    return z * h + (1.0 - z) * n


def lstm_cell(x, state, kernel, recurrent_kernel, bias):
    """Keras LSTM; columns ``[i, f, c, o]``; ``state = (h, c)``; returns ``(h', c')``."""
    h, c = state
    hd = h.shape[-1]
    zz = x @ kernel + h @ recurrent_kernel + bias
    i = _sigmoid(zz[:, :hd])
    f = _sigmoid(zz[:, hd:2 * hd])
    g = np.tanh(zz[:, 2 * hd:3 * hd])
    o = _sigmoid(zz[:, 3 * hd:])
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


class _State:
    """Per-batch sampling state: time, sample history, RNN states, current upsampled frames."""

    def __init__(self, t, hist, rnn, up, cond):
        self.t = t          # index of the sample whose logits the next step returns
        self.hist = hist    # (B, F_top) last samples, -1 = before the clip start
        self.rnn = rnn      # rnn[i][l] = (h, c or None)
        self.up = up        # up[i] = (B, r_i, H) output of tier i's latest step, or None
        self.cond = cond    # (B,) class ids, or None for an unconditioned model


class SampleRNNReference(ReferenceModel):
    """numpy SampleRNN: :meth:`step` one sample at a time with the frame schedule, and a
    frame-vectorised :meth:`logits` that must agree with it."""

    def __init__(self, program: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        check_program(program, tensors)
        tensors = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
        super().__init__(program, tensors)
        self.frame_sizes = [int(f) for f in program["frame_sizes"]]
        self.ratios = frame_ratios(self.frame_sizes)
        self.dim = int(program["dim"])
        self.lstm = program["rnn_type"] == "lstm"
        self.rnn_layers = int(program["rnn_layers"])
        self.skip = bool(program["skip_connections"])
        self.mlp_layers = int(program["mlp_layers"])
        self.classes = int(program.get("conditioning_classes", 0))
        self.position_frames = int(program.get("position_frames", 0))
        self.position_hop = int(program.get("position_hop", 1))

    # -- pieces ---------------------------------------------------------------------------
    def _initial_rnn(self, batch: int):
        t = self.tensors
        states = []
        for i in range(len(self.frame_sizes)):
            layers = []
            for layer in range(self.rnn_layers):
                p = f"tiers.{i}.rnn.{layer}."
                h = np.broadcast_to(t[p + "h0"], (batch, self.dim)).copy()
                c = np.broadcast_to(t[p + "c0"], (batch, self.dim)).copy() if self.lstm else None
                layers.append((h, c))
            states.append(layers)
        return states

    def _tier_step(self, i: int, m: int, frame_q: np.ndarray, cond_up: np.ndarray | None,
                   cond: np.ndarray | None, rnn_i: list):
        """Step ``m`` of frame tier ``i`` (``cond``: class ids or None); updates ``rnn_i``
        in place, returns ``(B, r_i, H)``."""
        t = self.tensors
        p = f"tiers.{i}."
        x = level_values(frame_q, self.levels) @ t[p + "input.weight"] + t[p + "input.bias"]
        if cond_up is not None:
            x = x + cond_up
        if cond is not None:
            x = x + t[p + "cond.table"][cond]
        if self.position_frames and i == len(self.frame_sizes) - 1:
            start = m * self.frame_sizes[i]  # the frame's first sample
            x = x + t[p + "pos.table"][position_frame(start, self.position_frames,
                                                      self.position_hop)]
        total = 0.0
        for layer in range(self.rnn_layers):
            pl = f"{p}rnn.{layer}."
            h, c = rnn_i[layer]
            k, rk, b = t[pl + "kernel"], t[pl + "recurrent_kernel"], t[pl + "bias"]
            if self.lstm:
                h, c = lstm_cell(x, (h, c), k, rk, b)
            else:
                h = gru_cell(x, h, k, rk, b)
            rnn_i[layer] = (h, c)
            total = total + h
            x = h
        o = total if self.skip else x
        up = o @ t[p + "upsample.weight"] + t[p + "upsample.bias"]
        return up.reshape(o.shape[0], self.ratios[i], self.dim)

    def _sample_level(self, cond: np.ndarray, window: np.ndarray) -> np.ndarray:
        """MLP logits from conditioning ``(N, H)`` and the last F_0 samples ``(N, F_0)``."""
        t = self.tensors
        a = t["sample.bias"] + cond
        if self.mixtures:  # a mol16 model: the samples' values times sample.weight
            a = a + level_values(window, self.levels) @ t["sample.weight"]
        else:
            table = t["sample.table"]
            for j in range(self.frame_sizes[0]):
                qj = window[:, j]
                a = a + np.where((qj >= 0)[:, None], table[j, np.clip(qj, 0, None)], 0.0)
        a = np.maximum(a, 0.0)
        for k in range(self.mlp_layers):
            a = np.maximum(a @ t[f"sample.hidden.{k}.weight"] + t[f"sample.hidden.{k}.bias"], 0.0)
        return a @ t["sample.output.weight"] + t["sample.output.bias"]

    # -- ReferenceModel API ---------------------------------------------------------------
    def start(self, batch: int, cond: np.ndarray | None = None) -> _State:
        cond = check_cond(cond, batch, self.classes)
        hist = np.full((batch, self.frame_sizes[-1]), -1, dtype=np.int64)
        return _State(0, hist, self._initial_rnn(batch), [None] * len(self.frame_sizes), cond)

    def step(self, state: _State, q_prev: np.ndarray | None) -> np.ndarray:
        if q_prev is not None:
            if state.t == 0:
                raise ParameterError("q_prev must be None at t = 0")
            state.hist = np.concatenate(
                [state.hist[:, 1:], np.asarray(q_prev, dtype=np.int64).reshape(-1, 1)], axis=1
            )
        elif state.t != 0:
            raise ParameterError("q_prev is required after the first step")
        t = state.t
        n_tiers = len(self.frame_sizes)
        for i in reversed(range(n_tiers)):
            f = self.frame_sizes[i]
            if t % f:
                continue
            m = t // f
            cond_up = None
            if i < n_tiers - 1:
                cond_up = state.up[i + 1][:, m % self.ratios[i + 1]]
            state.up[i] = self._tier_step(i, m, state.hist[:, -f:], cond_up, state.cond,
                                          state.rnn[i])
        c = state.up[0][:, t % self.frame_sizes[0]]
        out = self._sample_level(c, state.hist[:, -self.frame_sizes[0]:])
        state.t = t + 1
        return self.recent_predicted(out, state.hist[:, ::-1])

    def logits(self, q: np.ndarray, cond: np.ndarray | None = None) -> np.ndarray:
        """Teacher-forced logits ``(B, T, Q)``: frame tiers step by step, the sample-level
        MLP vectorised over time. Agrees with :meth:`step` (tested)."""
        q = np.asarray(q)
        if q.ndim == 1:
            q = q[None]
        if q.size and (q.min() < 0 or q.max() >= self.levels):
            raise ParameterError(
                f"q must hold indices in [0, {self.levels}), got {q.min()}..{q.max()}"
            )
        b, t_len = q.shape
        cond = check_cond(cond, b, self.classes)
        fs, n_tiers = self.frame_sizes, len(self.frame_sizes)
        top = fs[-1]
        n_top = -(-t_len // top)  # frames of the top tier covering [0, T)
        padded_len = n_top * top
        # qp[s + top] = q[s]; -1 marks "before the clip"; the tail past T is never read as input
        qp = np.full((b, top + padded_len), -1, dtype=np.int64)
        qp[:, top:top + t_len] = q
        rnn = self._initial_rnn(b)
        ups = None  # (B, steps_i * r_i, H): conditioning for every step of the tier below
        for i in reversed(range(n_tiers)):
            f = fs[i]
            steps = padded_len // f
            out = np.empty((b, steps, self.ratios[i], self.dim))
            for m in range(steps):
                frame = qp[:, top + m * f - f: top + m * f]
                cond_up = ups[:, m] if ups is not None else None
                out[:, m] = self._tier_step(i, m, frame, cond_up, cond, rnn[i])
            ups = out.reshape(b, steps * self.ratios[i], self.dim)
        cond_all = ups[:, :t_len].reshape(b * t_len, self.dim)
        idx = np.arange(t_len)[:, None] + np.arange(fs[0])[None, :] + top - fs[0]
        windows = qp[:, idx].reshape(b * t_len, fs[0])
        out = self._sample_level(cond_all, windows)
        return self.sequence_predicted(out.reshape(b, t_len, self.width), q)
