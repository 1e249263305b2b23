"""The SampleRNN training graph in Keras, and its export to the engine program.

Imported lazily (it imports Keras/TensorFlow). The model computes exactly the program of
docs/architecture.md over one *subsequence* (chunk) of a clip at a time:

* input ``q``: int32 ``(B, F_top + S)``: the ``F_top`` samples before the chunk (``-1``
  where they lie before the clip start: "nothing", zero input) then the chunk's ``S``
  samples (``S`` a multiple of the top frame size ``F_top``; the chunk starts at a
  multiple of ``F_top`` in its clip);
* input ``reset``: float ``(B,)``: 1 where the chunk is the first of its clip;
* input ``cond``: int ``(B,)``: each row's class id (only when ``conditioning_classes > 0``);
* input ``start``: int ``(B,)``: where the chunk starts in its clip (in samples; only read
  when ``position_frames > 0``, 0 when absent);
* output: logits ``(B, S, levels)``; ``logits[:, s]`` predicts ``q[:, F_top + s]``.

Truncated BPTT: the RNN states at the end of a chunk are kept in non-trainable variables
(one row per clip of the batch) and are the initial states of the next chunk unless
``reset`` is 1, in which case the learned initial states ``h0``/``c0`` are used. The kept
states are part of the model's weights, so a checkpoint resumes exactly.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from pysynth.arch import check_cond
from pysynth.errors import ParameterError
from pysynth.mixture import output_width
from pysynth.prediction import lpc_tensor

from .config import SampleRNNConfig, make_config, program_from_config, tensor_shapes


def program_keys(config: SampleRNNConfig) -> dict[str, Any]:
    """The keys :func:`pysynth.mixture.output_width` reads."""
    return {"levels": config.levels, "output": config.output, "mixtures": config.mixtures}

PACKAGE = "pysynth_samplernn"


@keras.saving.register_keras_serializable(package=PACKAGE)
class Linear(layers.Layer):
    """``y = x @ W + b`` over the last axis, with optional weight normalisation.

    With ``weight_norm`` the kernel is ``v * g / ||v||`` (norm of each output column over
    every other axis, Salimans & Kingma 2016); ``g`` starts at the initial ``||v||`` so the
    initial function is that of a plain layer. A kernel of more than two axes
    ``(taps, in, out)`` makes this a valid 1-D convolution over time (``taps`` wide).
    """

    def __init__(self, units: int, *, taps: int = 0, weight_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.taps, self.weight_norm = int(units), int(taps), bool(weight_norm)

    def build(self, input_shape):
        d_in = int(input_shape[-1])
        shape = (self.taps, d_in, self.units) if self.taps else (d_in, self.units)
        self.v = self.add_weight(name="kernel", shape=shape, initializer="glorot_uniform")
        if self.weight_norm:
            init = np.sqrt(np.sum(np.square(self.v.numpy()), axis=self._axes()))
            self.g = self.add_weight(
                name="g", shape=(self.units,), initializer=keras.initializers.Constant(init)
            )
        self.b = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def _axes(self) -> tuple[int, ...]:
        return (0, 1) if self.taps else (0,)

    def kernel(self):
        """The effective kernel (weight norm folded in)."""
        if not self.weight_norm:
            return self.v
        norm = ops.sqrt(ops.sum(ops.square(self.v), axis=self._axes(), keepdims=True))
        return self.v * (self.g / ops.maximum(norm, 1e-12))

    def call(self, x):
        if self.taps:
            return ops.conv(x, self.kernel(), strides=1, padding="valid") + self.b
        return ops.matmul(x, self.kernel()) + self.b

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units, "taps": self.taps, "weight_norm": self.weight_norm,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class SampleRNNModel(keras.Model):
    """SampleRNN over one chunk; see the module docstring for inputs and outputs.

    Call with ``carry=False`` (as :func:`teacher_forced_logits` does) to leave the kept
    states untouched; they are only read and written when the batch has exactly
    ``config.batch_size`` rows (under a ``tf.distribute`` strategy: each replica's share of
    them).
    """

    def __init__(self, config: dict[str, Any] | SampleRNNConfig, **kwargs):
        super().__init__(**kwargs)
        cfg = make_config(config if isinstance(config, SampleRNNConfig) else dict(config))
        self.config = cfg
        h, wn = cfg.dim, cfg.weight_norm
        self.ratios = cfg.ratios()
        self.n_states = 2 if cfg.rnn_type == "lstm" else 1
        rnn_cls = layers.LSTM if cfg.rnn_type == "lstm" else layers.GRU
        rnn_kw = {} if cfg.rnn_type == "lstm" else {"reset_after": True}
        self.tier_input, self.tier_rnn, self.tier_up = [], [], []
        for i, r in enumerate(self.ratios):
            self.tier_input.append(Linear(h, weight_norm=wn, name=f"tier{i}_input"))
            self.tier_rnn.append([
                rnn_cls(h, return_sequences=True, return_state=True, name=f"tier{i}_rnn{j}",
                        **rnn_kw)
                for j in range(cfg.rnn_layers)
            ])
            self.tier_up.append(Linear(r * h, weight_norm=wn, name=f"tier{i}_upsample"))
        self.mol = cfg.output == "mol16"
        # a mol16 model reads its last F_0 samples as numbers (sample.weight): an embedding
        # of 65,536 levels would be most of the model
        self.embedding = (None if self.mol else
                          layers.Embedding(cfg.levels, cfg.embed_dim, name="sample_embedding"))
        self.sample_input = Linear(h, taps=cfg.frame_sizes[0], weight_norm=wn, name="sample_input")
        self.sample_hidden = [
            Linear(h, weight_norm=wn, name=f"sample_hidden{k}") for k in range(cfg.mlp_layers)
        ]
        self.sample_output = Linear(output_width(program_keys(cfg)), weight_norm=wn,
                                    name="sample_output")
        # the dataset's linear predictor in the means (pysynth.prediction): a constant
        self.lpc = None
        if cfg.lpc_order:
            from pysynth.prediction import fitted_lpc
            from pysynth.training.prediction import LinearPrediction

            self.lpc = LinearPrediction(fitted_lpc(cfg), name="lpc")
        # a learned row per class added to every tier's RNN input (tiers.{i}.cond.table), and
        # one per position frame added to the top tier's (tiers.{top}.pos.table)
        self.tier_cond = [layers.Embedding(cfg.classes, h, name=f"tier{i}_cond")
                          for i in range(len(self.ratios))] if cfg.classes else []
        self.position = (layers.Embedding(cfg.positions, h, name="position")
                         if cfg.positions else None)

    def build(self, input_shape=None):
        cfg, h = self.config, self.config.dim
        # learned initial states and the kept (carried) states, per tier, layer, h/c
        self.init_states, self.kept = [], []
        for i in range(len(self.ratios)):
            ini, kept = [], []
            for j in range(cfg.rnn_layers):
                for s in ("h0", "c0")[: self.n_states]:
                    ini.append(self.add_weight(
                        name=f"tier{i}_rnn{j}_{s}", shape=(h,), initializer="zeros"))
                    kept.append(self._carried_state(f"tier{i}_rnn{j}_{s}_kept",
                                                    (cfg.batch_size, h)))
            self.init_states.append(ini)
            self.kept.append(kept)
        # build the sublayers with a small eager forward pass
        top = cfg.top_frame_size
        q = np.full((1, 2 * top), -1, dtype=np.int32)
        q[:, top:] = 0
        zero = ops.zeros((1,), dtype="int32")
        self._forward(ops.convert_to_tensor(q), ops.ones((1,)), zero, zero, carry=False)
        self.built = True

    def _carried_state(self, name: str, shape: tuple[int, int]):
        """A kept (carried) RNN state, one row per clip of the batch.

        Under a ``tf.distribute`` strategy every replica trains on its own rows of the
        batch (:func:`pysynth.training.distribute.replica_batches`), so each keeps its own
        copy of the state (``on_read`` synchronization) and uses its rows of it; read
        outside a replica (a checkpoint) it is the first replica's copy, with no
        cross-worker traffic. On one device this is a plain variable.
        """
        var = keras.Variable(keras.initializers.Zeros(), shape=shape, trainable=False,
                             name=name, synchronization="on_read",
                             aggregation="only_first_replica")
        self._track_variable(var)  # what add_weight does; it has no synchronization option
        return var

    def _replica_rows(self, b):
        """``(first row, replicas)``: where this replica's ``b`` rows start in the kept
        states, and how many replicas share the batch (1 outside a strategy; 0 outside a
        replica, where nothing is carried)."""
        import tensorflow as tf

        ctx = tf.distribute.get_replica_context()
        if ctx is None:  # cross-replica context: nothing is carried there
            return 0, 0
        return ctx.replica_id_in_sync_group * b, ctx.num_replicas_in_sync

    def _frames_to_unit(self, q):
        qf = ops.cast(q, "float32")
        return ops.where(q >= 0, 2.0 * qf / (self.config.levels - 1) - 1.0, 0.0)

    def _forward(self, q, reset, cond, start, *, carry: bool):
        cfg, h = self.config, self.config.dim
        fs, top = cfg.frame_sizes, cfg.top_frame_size
        q = ops.cast(q, "int32")
        b = ops.shape(q)[0]
        seq = q.shape[1] - top if q.shape[1] is not None else ops.shape(q)[1] - top
        first_row, replicas = self._replica_rows(b)
        # a replica's batch size may be unknown when traced (MultiWorkerMirroredStrategy's
        # input pipeline does not keep it): its rows are its share of the batch by design
        # (pysynth.training.distribute.replica_batches)
        carry = carry and (q.shape[0] * replicas == cfg.batch_size if q.shape[0] is not None
                           else replicas > 1)
        reset = ops.reshape(ops.cast(reset, "float32"), (-1, 1))
        new_kept = []
        up = None
        for i in reversed(range(len(fs))):
            f = fs[i]
            frames = q[:, top - f: top + seq - f]
            frames = ops.reshape(self._frames_to_unit(frames), (b, -1, f))
            x = self.tier_input[i](frames)
            if up is not None:
                x = x + up
            if self.tier_cond:
                x = x + ops.expand_dims(self.tier_cond[i](cond), 1)
            if self.position is not None and i == len(fs) - 1:
                # the position frame of each step's first sample in its clip
                first = (ops.expand_dims(ops.cast(start, "int32"), 1)
                         + f * ops.expand_dims(ops.arange(ops.shape(frames)[1], dtype="int32"), 0))
                frame = ops.minimum(first // cfg.position_hop, cfg.positions - 1)
                x = x + self.position(frame)
            outs = []
            k = 0
            for rnn in self.tier_rnn[i]:
                states = []
                for _ in range(self.n_states):
                    init = ops.broadcast_to(self.init_states[i][k], (b, h))
                    if carry:
                        kept = ops.slice(self.kept[i][k], [first_row, 0], [b, h])
                        init = reset * init + (1.0 - reset) * kept
                    states.append(init)
                    k += 1
                res = rnn(x, initial_state=states)
                x, finals = res[0], list(res[1:])
                new_kept.append((i, k - self.n_states, finals))
                outs.append(x)
            o = ops.sum(ops.stack(outs, 0), 0) if cfg.skip_connections else x
            up = ops.reshape(self.tier_up[i](o), (b, -1, h))  # (B, steps_i * r_i, H)
        # sample level: taps over the embedded previous F_0 samples
        f0 = fs[0]
        window = q[:, top - f0: top + seq - 1]
        if self.mol:
            emb = ops.expand_dims(self._frames_to_unit(window), -1)  # zero before the clip
        else:
            emb = self.embedding(ops.maximum(window, 0))
            emb = emb * ops.expand_dims(ops.cast(window >= 0, emb.dtype), -1)
        a = ops.relu(self.sample_input(emb) + up)
        for layer in self.sample_hidden:
            a = ops.relu(layer(a))
        logits = self.sample_output(a)
        if self.lpc is not None:  # tap j of the sample predicted at top + s: q[top + s - 1 - j]
            taps = [self._frames_to_unit(q[:, top - 1 - j: top - 1 - j + seq])
                    for j in range(cfg.lpc_order)]
            logits = self.lpc([logits, ops.stack(taps, axis=-1)])
        if carry:
            for i, k0, finals in new_kept:
                for j, value in enumerate(finals):
                    var = self.kept[i][k0 + j]
                    var.assign(ops.slice_update(var, [first_row, 0], ops.stop_gradient(value)))
        return logits

    def call(self, inputs, training=None, carry: bool = True):
        if isinstance(inputs, dict):
            q, reset = inputs["q"], inputs.get("reset")
            cond, start = inputs.get("cond"), inputs.get("start")
        else:
            q, reset, cond, start = inputs, None, None, None
        b = ops.shape(q)[0]
        if reset is None:
            reset = ops.ones((b,))
        if cond is None:
            if self.tier_cond:
                raise ParameterError(
                    f"this model is conditioned on {self.config.classes} classes; pass cond")
            cond = ops.zeros((b,), dtype="int32")
        if start is None:
            start = ops.zeros((b,), dtype="int32")
        return self._forward(q, reset, ops.cast(cond, "int32"), start, carry=carry)

    def get_config(self):
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def build(config: SampleRNNConfig) -> SampleRNNModel:
    """The teacher-forced SampleRNN (built, with its weights created); see the module doc."""
    config = make_config(config)
    model = SampleRNNModel(config, name="samplernn")
    model.build()
    return model


def model_inputs(config: SampleRNNConfig, q: np.ndarray,
                 cond=None) -> tuple[dict[str, np.ndarray], int]:
    """Inputs of one whole-clip chunk for sequences ``q (B, T)`` (and class ids ``cond``,
    one or one per row, for a conditioned model), and ``T``."""
    q = np.asarray(q)
    if q.ndim == 1:
        q = q[None]
    if q.ndim != 2:
        raise ParameterError(f"q must have shape (B, T), got {q.shape}")
    if q.size and (q.min() < 0 or q.max() >= config.levels):
        raise ParameterError(
            f"q must hold indices in [0, {config.levels}), got {q.min()}..{q.max()}"
        )
    b, t = q.shape
    top = config.top_frame_size
    padded = -(-max(t, 1) // top) * top
    x = np.zeros((b, top + padded), dtype=np.int32)
    x[:, :top] = -1
    x[:, top: top + t] = q
    inputs = {"q": x, "reset": np.ones((b,), dtype=np.float32)}
    ids = check_cond(cond, b, config.classes)
    if ids is not None:
        inputs["cond"] = ids.astype(np.int32)
    return inputs, t


def teacher_forced_logits(model, config: SampleRNNConfig, q, cond=None) -> np.ndarray:
    """Logits ``(B, T, levels)`` of whole clips from their start (``logits[t]`` predicts
    ``q[t]`` from ``q[<t]``), in one chunk, leaving the kept training states untouched."""
    config = make_config(config)
    inputs, t = model_inputs(config, q, cond)
    out = model({k: ops.convert_to_tensor(v) for k, v in inputs.items()}, carry=False)
    return ops.convert_to_numpy(out)[:, :t].astype(np.float32)


def _np(x) -> np.ndarray:
    x = x.numpy() if hasattr(x, "numpy") else ops.convert_to_numpy(x)
    return np.asarray(x, dtype=np.float32)


def export(
    model: SampleRNNModel, config: SampleRNNConfig
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(program, tensors)`` of docs/architecture.md; weight norm and the embedding are
    folded in (``sample.table[j] = embedding @ sample_input.kernel[j]``)."""
    config = make_config(config)
    program = program_from_config(config)
    t: dict[str, np.ndarray] = {}
    for i in range(len(config.frame_sizes)):
        p = f"tiers.{i}."
        t[p + "input.weight"] = _np(model.tier_input[i].kernel())
        t[p + "input.bias"] = _np(model.tier_input[i].b)
        if model.tier_cond:
            t[p + "cond.table"] = _np(model.tier_cond[i].embeddings)
        if model.position is not None and i == len(config.frame_sizes) - 1:
            t[p + "pos.table"] = _np(model.position.embeddings)
        k = 0
        for j, rnn in enumerate(model.tier_rnn[i]):
            cell = rnn.cell
            pl = f"{p}rnn.{j}."
            t[pl + "kernel"] = _np(cell.kernel)
            t[pl + "recurrent_kernel"] = _np(cell.recurrent_kernel)
            t[pl + "bias"] = _np(cell.bias)
            t[pl + "h0"] = _np(model.init_states[i][k])
            if model.n_states == 2:
                t[pl + "c0"] = _np(model.init_states[i][k + 1])
            k += model.n_states
        t[p + "upsample.weight"] = _np(model.tier_up[i].kernel())
        t[p + "upsample.bias"] = _np(model.tier_up[i].b)
    taps = _np(model.sample_input.kernel()).astype(np.float64)
    if model.mol:  # (F_0, 1, H): the weights of the samples' values
        t["sample.weight"] = taps[:, 0, :].astype(np.float32)
    else:
        emb = _np(model.embedding.embeddings).astype(np.float64)
        t["sample.table"] = np.einsum("qe,jeh->jqh", emb, taps).astype(np.float32)
    t["sample.bias"] = _np(model.sample_input.b)
    for k, layer in enumerate(model.sample_hidden):
        t[f"sample.hidden.{k}.weight"] = _np(layer.kernel())
        t[f"sample.hidden.{k}.bias"] = _np(layer.b)
    t["sample.output.weight"] = _np(model.sample_output.kernel())
    t["sample.output.bias"] = _np(model.sample_output.b)
    t.update(lpc_tensor(config))
    shapes = tensor_shapes(program)
    for name, shape in shapes.items():
        if t[name].shape != shape:  # a bug here, not a user error
            raise AssertionError(f"export: {name} has shape {t[name].shape}, expected {shape}")
    return program, t


def randomize(model: SampleRNNModel, seed: int = 0, *, scale: float = 1.0) -> None:
    """Give every weight random values (tests: biases and initial states non-zero too)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        shape = tuple(v.shape)
        fan_in = shape[-2] if len(shape) >= 2 else 4
        if len(shape) == 3:
            fan_in = shape[0] * shape[1]
        v.assign((rng.standard_normal(shape) * scale / np.sqrt(fan_in)).astype(np.float32))
