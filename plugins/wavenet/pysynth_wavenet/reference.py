"""The numpy reference of the WaveNet program: the oracle for Keras, the engine and CUDA.

:class:`WaveNetReference` computes exactly what docs/architecture.md ("WaveNet program")
writes down, in float64, two ways: :meth:`~WaveNetReference.step` one sample at a time
with cached per-layer queues (how generation works, O(layers) per sample), and a
vectorised :meth:`~WaveNetReference.logits` over whole sequences. Tests check that the
two agree. :func:`random_program` makes random-weight programs for parity tests of the
other implementations; none of this imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from pysynth.arch import ReferenceModel
from pysynth.checks import check_int
from pysynth.errors import ParameterError
from pysynth.prediction import random_lpc

from .config import (
    WaveNetConfig,
    check_program,
    make_config,
    position_frame,
    program_from_config,
    receptive_field,
    tensor_shapes,
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


@dataclass
class WaveNetState:
    """Generation state of ``B`` streams: the time, the last inputs (``K0``, or the linear
    predictor's ``P`` if more) and one ring buffer per layer holding ``h_l`` at the last
    ``(K-1) d_l + 1`` times (zeros before 0)."""

    t: int  # samples since the clip's start (the position input's clock)
    inputs: np.ndarray  # (B, max(K0, P)) int: the last inputs, oldest first, -1 = no input
    queues: list[np.ndarray]  # per layer (B, (K-1) d + 1, R) float64
    cond_bias: list[np.ndarray] | None  # per layer (B, 2D)


class WaveNetReference(ReferenceModel):
    """The numpy reference of one exported WaveNet (see the module docstring).

    Parameters
    ----------
    program : dict
        A ``family = "wavenet"`` program (docs/architecture.md).
    tensors : dict of str to ndarray
        The named weights; shapes are checked.

    Raises
    ------
    ModelFileError
        If the program is invalid, or a tensor is missing, has the wrong shape or
        non-finite values (:func:`~pysynth_wavenet.config.check_program`).
    """

    def __init__(self, program: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        check_program(program, tensors)
        super().__init__(program, tensors)
        self.k0 = int(program["initial_filter_width"])
        self.k = int(program["filter_width"])
        self.dilations = [int(d) for d in program["dilations"]]
        self.d = int(program["dilation_channels"])
        self.r = int(program["residual_channels"])
        self.classes = int(program.get("conditioning_classes", 0))
        self.position_frames = int(program.get("position_frames", 0))
        self.position_hop = int(program.get("position_hop", 1))
        w = {n: np.asarray(a, dtype=np.float64) for n, a in tensors.items()}
        self._w = w
        self._layers = [
            {
                "conv": w[f"layers.{i}.conv.weight"],
                "conv_b": w[f"layers.{i}.conv.bias"],
                "cond": w.get(f"layers.{i}.cond.table"),
                "pos": w.get(f"layers.{i}.pos.table"),
                "res": w[f"layers.{i}.res.weight"],
                "res_b": w[f"layers.{i}.res.bias"],
                "skip": w[f"layers.{i}.skip.weight"],
                "skip_b": w[f"layers.{i}.skip.bias"],
            }
            for i in range(len(self.dilations))
        ]

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.k, self.dilations, self.k0)

    # -- helpers -----------------------------------------------------------------------
    def _check_cond(self, batch: int, cond: np.ndarray | None) -> np.ndarray | None:
        if self.classes == 0:
            if cond is not None:
                raise ParameterError("cond was given but this model is not conditioned")
            return None
        if cond is None:
            raise ParameterError(
                f"this model is conditioned on {self.classes} classes; pass cond (class ids)"
            )
        cond = np.asarray(cond)
        if cond.ndim == 0:
            cond = np.full(batch, int(cond))
        if cond.shape != (batch,) or cond.dtype.kind not in "iu":
            raise ParameterError(f"cond must be {batch} integer class ids, got {cond!r}")
        if cond.min() < 0 or cond.max() >= self.classes:
            raise ParameterError(f"cond class ids must be in [0, {self.classes}), got {cond!r}")
        return cond.astype(np.int64)

    def _check_q(self, q: np.ndarray, name: str = "q") -> np.ndarray:
        q = np.asarray(q)
        if q.dtype.kind not in "iu":
            raise ParameterError(f"{name} must hold integer level indices, got dtype {q.dtype}")
        if q.size and (q.min() < 0 or q.max() >= self.levels):
            raise ParameterError(f"{name} indices must be in [0, {self.levels})")
        return q.astype(np.int64)

    def _input_rows(self, j: int, x: np.ndarray) -> np.ndarray:
        """Tap ``j``'s contribution for input indices ``x`` (all valid): a row of the table,
        or for a mol16 model the input's value ``2x/(Q-1) - 1`` times the tap's weights."""
        if self.mixtures:
            unit = 2.0 * x / (self.levels - 1) - 1.0
            return unit[..., None] * self._w["input.weight"][j]
        return self._w["input.table"][j][x]

    def _head(self, skips: np.ndarray) -> np.ndarray:
        w = self._w
        s = np.maximum(skips, 0.0)
        a = np.maximum(s @ w["out1.weight"] + w["out1.bias"], 0.0)
        return a @ w["out2.weight"] + w["out2.bias"]

    def _gate(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z[..., : self.d]) * _sigmoid(z[..., self.d :])

    # -- one sample at a time ------------------------------------------------------------
    def start(self, batch: int, cond: np.ndarray | None = None) -> WaveNetState:
        batch = check_int(batch, "batch", lo=1, owner="wavenet")
        cond = self._check_cond(batch, cond)
        queues = [np.zeros((batch, (self.k - 1) * d + 1, self.r)) for d in self.dilations]
        cond_bias = None if cond is None else [lay["cond"][cond] for lay in self._layers]
        width = max(self.k0, 0 if self.lpc is None else self.lpc.size)
        inputs = np.full((batch, width), -1, dtype=np.int64)
        return WaveNetState(t=0, inputs=inputs, queues=queues, cond_bias=cond_bias)

    def step(self, state: WaveNetState, q_prev: np.ndarray | None) -> np.ndarray:
        b = state.inputs.shape[0]
        if q_prev is None:
            if state.t != 0:
                raise ParameterError(f"q_prev may be None only at t=0 (t={state.t})")
            prev = np.full(b, -1, dtype=np.int64)
        else:
            prev = self._check_q(q_prev, "q_prev").reshape(-1)
            if prev.shape != (b,):
                raise ParameterError(f"q_prev must have shape ({b},), got {np.shape(q_prev)}")
        state.inputs[:, :-1] = state.inputs[:, 1:]
        state.inputs[:, -1] = prev
        h = np.broadcast_to(self._w["input.bias"], (b, self.r)).copy()
        taps = state.inputs[:, -self.k0:]  # x[t-(K0-1-j)] at column j
        for j in range(self.k0):
            x = taps[:, j]
            ok = x >= 0
            h[ok] += self._input_rows(j, x[ok])
        t = state.t
        skips = 0.0
        for i, (lay, d) in enumerate(zip(self._layers, self.dilations)):
            queue = state.queues[i]
            n = queue.shape[1]
            queue[:, t % n] = h
            z = lay["conv_b"] + sum(
                queue[:, (t - (self.k - 1 - j) * d) % n] @ lay["conv"][j] for j in range(self.k)
            )
            if state.cond_bias is not None:
                z = z + state.cond_bias[i]
            if self.position_frames:
                z = z + lay["pos"][position_frame(t, self.position_frames, self.position_hop)]
            a = self._gate(z)
            skips = skips + a @ lay["skip"] + lay["skip_b"]
            h = h + a @ lay["res"] + lay["res_b"]
        state.t += 1
        return self.recent_predicted(self._head(skips), state.inputs[:, ::-1])

    # -- whole sequences -----------------------------------------------------------------
    def logits(self, q: np.ndarray, cond: np.ndarray | None = None) -> np.ndarray:
        """Teacher-forced logits ``(B, T, levels)`` computed with whole-sequence shifts."""
        q = self._check_q(q)
        if q.ndim == 1:
            q = q[None]
        b, t = q.shape
        cond = self._check_cond(b, cond)
        h = np.broadcast_to(self._w["input.bias"], (b, t, self.r)).copy()
        # x[s] = q[s-1] for s >= 1; tap j reads x[t - (K0-1-j)].
        for j in range(self.k0):
            shift = self.k0 - 1 - j + 1  # q index = t - shift
            if shift < t:
                h[:, shift:] += self._input_rows(j, q[:, : t - shift])
        frames = (position_frame(np.arange(t), self.position_frames, self.position_hop)
                  if self.position_frames else None)
        skips = 0.0
        for lay, d in zip(self._layers, self.dilations):
            z = np.broadcast_to(lay["conv_b"], (b, t, 2 * self.d)).copy()
            for j in range(self.k):
                shift = (self.k - 1 - j) * d
                if shift < t:
                    z[:, shift:] += h[:, : t - shift] @ lay["conv"][j]
            if cond is not None:
                z += lay["cond"][cond][:, None, :]
            if frames is not None:
                z += lay["pos"][frames][None]
            a = self._gate(z)
            skips = skips + a @ lay["skip"] + lay["skip_b"]
            h = h + a @ lay["res"] + lay["res_b"]
        return self.sequence_predicted(self._head(skips), q)


def random_program(
    config: WaveNetConfig | dict[str, Any] | str | None = None, seed: int = 0
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A random-weight WaveNet export of ``config``: ``(program, tensors)``.

    Weights are Gaussian scaled by ``1/sqrt(fan_in)`` (biases 0.1 scale), so logits are
    of order one and sampling does something non-trivial. Used by the parity tests of
    the engine and CUDA kernel; needs only numpy.

    Parameters
    ----------
    config : WaveNetConfig, dict of overrides, preset name, or None (the "small" preset)
        ``position_frames=-1`` (resolved from a training dataset, which a random program
        has not got) means no position input here.
    seed : int
        Seed of the numpy Generator that draws the weights.
    """
    config = make_config(preset=config) if isinstance(config, str) else make_config(config)
    if config.position_frames == -1:
        config = dataclasses.replace(config, position_frames=0)
    program = program_from_config(config)
    rng = np.random.default_rng(seed)
    fan_in = {
        "input.table": program["initial_filter_width"],
        "input.weight": program["initial_filter_width"],
        "conv.weight": program["filter_width"] * program["residual_channels"],
        "cond.table": 4,
        "pos.table": 4,
        "res.weight": program["dilation_channels"],
        "skip.weight": program["dilation_channels"],
        "out1.weight": program["skip_channels"],
        "out2.weight": program["output_channels"],
    }
    tensors = {}
    for name, shape in tensor_shapes(program).items():
        if name == "lpc.weight":  # the config's own coefficients, or a random stable set
            tensors[name] = np.asarray(config.lpc or random_lpc(shape[0], rng), np.float32)
            continue
        key = ".".join(name.split(".")[-2:]) if name.startswith("layers.") else name
        scale = 0.1 if name.endswith(".bias") else 1.0 / np.sqrt(fan_in[key])
        tensors[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    return program, tensors
