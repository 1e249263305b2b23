"""The WaveNet training graph in Keras, and its export to the engine program.

Imported lazily (it imports Keras/TensorFlow). The graph computes exactly the program of
docs/architecture.md: the input at ``t`` is the one-hot (or embedded) ``q[t-1]``, zero at
``t = 0``; convolutions are causal with zero padding; outputs are logits ``(B, T, Q)``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from pysynth.errors import ParameterError
from pysynth.mixture import output_width
from pysynth.prediction import lpc_tensor

from .config import WaveNetConfig, position_frame, program_from_config, tensor_shapes


def program_keys(config: WaveNetConfig) -> dict[str, Any]:
    """The keys :func:`pysynth.mixture.output_width` reads, from a config whose other
    program keys may be unresolved yet (position_frames=-1 at build time)."""
    return {"levels": config.levels, "output": config.output, "mixtures": config.mixtures}


@keras.saving.register_keras_serializable(package="pysynth_wavenet")
class ShiftRight(layers.Layer):
    """``y[:, t] = x[:, t-1]``, ``y[:, 0] = 0``: the input at t is the previous sample."""

    def call(self, x):
        return ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])


@keras.saving.register_keras_serializable(package="pysynth_wavenet")
class BiasAdd(layers.Layer):
    """Adds a learned bias vector (zeros at start) over the last axis."""

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return x + self.bias


@keras.saving.register_keras_serializable(package="pysynth_wavenet")
class TapSum(layers.Layer):
    """``h[t] = sum_j g[t - (K0 - j), j]`` for ``g (B, T, K0 * R)``: the one-hot input conv
    computed from per-tap table lookups of ``q`` (a gather instead of a ``Q``-wide matmul).

    ``g[s, j]`` is tap ``j``'s row for ``q[s] = x[s + 1]``; shifting by ``K0 - j`` with zero
    padding applies it at ``t = s + 1 + (K0 - 1 - j)``, and nothing reaches ``t = 0``.
    """

    def __init__(self, taps: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.taps = taps
        self.units = units

    def call(self, g):
        k0 = self.taps
        g = ops.reshape(g, (ops.shape(g)[0], ops.shape(g)[1], k0, self.units))
        t = ops.shape(g)[1]
        out = None
        for j in range(k0):
            shifted = ops.pad(g[:, :, j], [[0, 0], [k0 - j, 0], [0, 0]])[:, :t]
            out = shifted if out is None else out + shifted
        return out

    def get_config(self):
        return {**super().get_config(), "taps": self.taps, "units": self.units}


@keras.saving.register_keras_serializable(package="pysynth_wavenet")
class LevelValue(layers.Layer):
    """``2 q / (levels - 1) - 1`` as ``(B, T, 1)`` floats: a mol16 model's input is the
    previous samples' values, not a table row per level."""

    def __init__(self, levels: int, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels

    def call(self, q):
        v = ops.cast(q, "float32") * (2.0 / (self.levels - 1)) - 1.0
        return ops.expand_dims(v, -1)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}


@keras.saving.register_keras_serializable(package="pysynth_wavenet")
class GatedUnit(layers.Layer):
    """``tanh(z[..., :D]) * sigmoid(z[..., D:])``."""

    def call(self, z):
        d = z.shape[-1] // 2
        return ops.tanh(z[..., :d]) * ops.sigmoid(z[..., d:])


def build(config: WaveNetConfig) -> keras.Model:
    """The teacher-forced WaveNet: inputs ``q (B, T)`` int32 (and ``cond (B,)`` int32 when
    ``conditioning_classes > 0``, ``pos (B, T)`` int32 position frames of the samples when
    ``position_frames > 0``), output logits ``(B, T, levels)``.

    Layer names are fixed (``input_conv``, ``layer{l}_conv``, ...) because :func:`export`
    reads weights by name.
    """
    config.validate()  # conditioning_classes=-1 not resolved from a dataset builds as 0
    if config.position_frames < 0:
        raise ParameterError(
            "wavenet position_frames=-1 must be resolved (pysynth.train does it from the "
            "longest training clip) before building the model"
        )
    q_in = keras.Input(shape=(None,), dtype="int32", name="q")
    inputs = [q_in]
    k0, r = config.initial_filter_width, config.residual_channels
    if config.output == "mol16":  # input.weight: the previous samples' values, a (K0, R) conv
        feats = ShiftRight(name="shift")(LevelValue(config.levels, name="input_value")(q_in))
        h = layers.Conv1D(r, k0, padding="causal", name="input_conv")(feats)
    elif config.input_embedding > 0:
        feats = layers.Embedding(config.levels, config.input_embedding, name="input_embedding")(
            q_in
        )
        feats = ShiftRight(name="shift")(feats)
        h = layers.Conv1D(r, k0, padding="causal", name="input_conv")(feats)
    else:
        # One-hot input: the conv is a table lookup per tap (docs/architecture.md input.table).
        g = layers.Embedding(config.levels, k0 * r, name="input_table",
                             embeddings_initializer="glorot_uniform")(q_in)
        h = TapSum(k0, r, name="input_taps")(g)
        h = BiasAdd(name="input_bias")(h)
    cond_in = None
    if config.conditioning_classes > 0:
        cond_in = keras.Input(shape=(), dtype="int32", name="cond")
        inputs.append(cond_in)
        cond_col = layers.Reshape((1,), name="cond_column")(cond_in)
    pos_in = None
    if config.position_frames > 0:
        pos_in = keras.Input(shape=(None,), dtype="int32", name="pos")
        inputs.append(pos_in)
    skips = []
    d2 = 2 * config.dilation_channels
    for i, dil in enumerate(config.dilations):
        z = layers.Conv1D(
            d2, config.filter_width, dilation_rate=dil, padding="causal", name=f"layer{i}_conv"
        )(h)
        if cond_in is not None:
            c = layers.Embedding(config.conditioning_classes, d2, name=f"layer{i}_cond")(cond_col)
            z = layers.Add(name=f"layer{i}_add_cond")([z, c])  # (B,1,2D) broadcasts over T
        if pos_in is not None:  # one learned row per position frame: pos.table
            p = layers.Embedding(config.position_frames, d2, name=f"layer{i}_pos")(pos_in)
            z = layers.Add(name=f"layer{i}_add_pos")([z, p])
        a = GatedUnit(name=f"layer{i}_gate")(z)
        skips.append(a)
        if i < len(config.dilations) - 1:  # the last layer's residual output feeds nothing
            res = layers.Dense(config.residual_channels, name=f"layer{i}_res")(a)
            h = layers.Add(name=f"layer{i}_residual")([h, res])
    # sum_l (a_l @ Ws_l + b_l) as one matmul of the concatenated gated outputs: the same
    # arithmetic in one op, without L separate (B, T, S) tensors kept for backprop.
    a_all = layers.Concatenate(name="gated_all")(skips) if len(skips) > 1 else skips[0]
    s = layers.Dense(config.skip_channels, name="skip")(a_all)
    s = layers.ReLU(name="skip_relu")(s)
    s = layers.Dense(config.output_channels, activation="relu", name="out1")(s)
    logits = layers.Dense(output_width(program_keys(config)), name="out2")(s)
    if config.lpc_order:  # the means become the dataset's linear prediction + a correction
        from pysynth.prediction import fitted_lpc
        from pysynth.training.prediction import HistoryTaps, LinearPrediction

        taps = HistoryTaps(config.lpc_order, name="lpc_taps")(feats)
        logits = LinearPrediction(fitted_lpc(config), name="lpc")([logits, taps])
    return keras.Model(inputs if len(inputs) > 1 else q_in, logits, name="wavenet")


def model_inputs(config: WaveNetConfig, q: np.ndarray, cond: np.ndarray | None = None):
    """The Keras model's inputs for sequences ``q (B, T)`` that start at their clips' first
    sample and class ids ``cond (B,)``."""
    q = np.asarray(q, dtype=np.int32)
    if q.ndim == 1:
        q = q[None]
    x = {"q": q}
    if config.conditioning_classes > 0:
        if cond is None:
            raise ParameterError(
                f"this model is conditioned on {config.conditioning_classes} classes; pass cond"
            )
        x["cond"] = np.ascontiguousarray(
            np.broadcast_to(np.asarray(cond, dtype=np.int32), (q.shape[0],)))
    elif cond is not None:
        raise ParameterError("cond was given but this model is not conditioned")
    if config.position_frames > 0:
        frames = position_frame(np.arange(q.shape[1]), config.position_frames,
                                config.position_hop)
        x["pos"] = np.ascontiguousarray(np.broadcast_to(frames.astype(np.int32), q.shape))
    return x if len(x) > 1 else q


def teacher_forced_logits(model, config: WaveNetConfig, q, cond=None) -> np.ndarray:
    """Logits ``(B, T, levels)`` of the Keras model over whole sequences, as float32."""
    x = model_inputs(config, q, cond)
    return np.asarray(model(x, training=False), dtype=np.float32)


def export(model, config: WaveNetConfig) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Fold the Keras weights into the engine program's tensors (docs/architecture.md).

    ``input.table[j] = E @ W_in[j]`` where ``E`` is the one-hot identity or the learned
    embedding; the condition and position embeddings of each layer are its ``cond.table``
    and ``pos.table``.
    """
    program = program_from_config(config)

    def w(name: str) -> list[np.ndarray]:
        return [np.asarray(v, dtype=np.float64) for v in model.get_layer(name).get_weights()]

    k0, r, d = config.initial_filter_width, config.residual_channels, config.dilation_channels
    if config.output == "mol16":
        kernel, bias = w("input_conv")  # (K0, 1, R), (R,)
        tensors: dict[str, np.ndarray] = {"input.weight": kernel[:, 0, :], "input.bias": bias}
    elif config.input_embedding > 0:
        kernel, bias = w("input_conv")  # (K0, E, R), (R,)
        (emb,) = w("input_embedding")  # (Q, E)
        table = np.einsum("qe,ker->kqr", emb, kernel)
    else:
        (g,) = w("input_table")  # (Q, K0 * R): row q holds every tap's vector
        table = g.reshape(config.levels, k0, r).transpose(1, 0, 2)
        (bias,) = w("input_bias")
    if config.output != "mol16":
        tensors = {"input.table": table, "input.bias": bias}
    skip_w, skip_b = w("skip")  # (L * D, S), (S,): layer l's rows are [l*D, (l+1)*D)
    for i in range(len(config.dilations)):
        p = f"layers.{i}."
        tensors[p + "conv.weight"], tensors[p + "conv.bias"] = w(f"layer{i}_conv")
        if config.conditioning_classes > 0:
            (tensors[p + "cond.table"],) = w(f"layer{i}_cond")
        if config.position_frames > 0:
            (tensors[p + "pos.table"],) = w(f"layer{i}_pos")
        if i < len(config.dilations) - 1:
            tensors[p + "res.weight"], tensors[p + "res.bias"] = w(f"layer{i}_res")
        else:  # not in the graph (nothing reads the last h); zeros keep the program uniform
            tensors[p + "res.weight"] = np.zeros((config.dilation_channels,
                                                  config.residual_channels))
            tensors[p + "res.bias"] = np.zeros(config.residual_channels)
        tensors[p + "skip.weight"] = skip_w[i * d : (i + 1) * d]
        tensors[p + "skip.bias"] = skip_b if i == 0 else np.zeros_like(skip_b)
    tensors["out1.weight"], tensors["out1.bias"] = w("out1")
    tensors["out2.weight"], tensors["out2.bias"] = w("out2")
    tensors.update(lpc_tensor(config))
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    shapes = tensor_shapes(program)
    assert {k: v.shape for k, v in tensors.items()} == shapes, "export shape mismatch"
    return program, tensors
