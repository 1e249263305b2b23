"""A cached-state WaveNet generator in TensorFlow: the fast-wavenet baseline of the engine
benchmarks (Paine et al. 2016, "Fast Wavenet Generation Algorithm").

Each layer keeps a ring buffer (a ``tf.Variable`` of shape ``(L, B, R)``, ``L = (K-1) d``)
of its past inputs, so a step reads the ``K-1`` dilated taps instead of recomputing the
receptive field, exactly like the engine. The whole generation of ``n`` samples is one
``tf.function`` (a graph-mode while loop), and sampling uses the inverse-CDF rule with the
engine's uniforms, so on the same exported weights it produces the engine's samples (a
check the benchmark makes). It runs the program of docs/architecture.md from
``(program, tensors)``; it is not part of pysynth (benchmarks only).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class TFCachedWaveNet:
    """Incremental WaveNet generation of ``batch`` streams in TensorFlow."""

    def __init__(self, program: dict, tensors: dict[str, np.ndarray], batch: int) -> None:
        self.p = program
        self.batch = batch
        q, k0, k = program["levels"], program["initial_filter_width"], program["filter_width"]
        r, d = program["residual_channels"], program["dilation_channels"]
        self.q, self.k0, self.k, self.r, self.d = q, k0, k, r, d
        self.dilations = [int(x) for x in program["dilations"]]
        c = lambda name: tf.constant(np.asarray(tensors[name], np.float32))  # noqa: E731
        self.table = tf.constant(np.asarray(tensors["input.table"], np.float32).reshape(k0 * q, r))
        self.in_b = c("input.bias")
        self.conv = [tf.constant(np.asarray(tensors[f"layers.{i}.conv.weight"], np.float32)
                                 .reshape(k * r, 2 * d)) for i in range(len(self.dilations))]
        self.conv_b = [c(f"layers.{i}.conv.bias") for i in range(len(self.dilations))]
        self.res = [c(f"layers.{i}.res.weight") for i in range(len(self.dilations))]
        self.res_b = [c(f"layers.{i}.res.bias") for i in range(len(self.dilations))]
        self.skip = [c(f"layers.{i}.skip.weight") for i in range(len(self.dilations))]
        self.skip_b = [c(f"layers.{i}.skip.bias") for i in range(len(self.dilations))]
        self.o1, self.o1_b = c("out1.weight"), c("out1.bias")
        self.o2, self.o2_b = c("out2.weight"), c("out2.bias")
        self.bufs = [tf.Variable(tf.zeros(((k - 1) * dd, batch, r))) for dd in self.dilations]
        self.hist = tf.Variable(tf.fill((batch, k0), -1))
        self.t = tf.Variable(0, dtype=tf.int64)
        self._generate = tf.function(self._generate_graph)

    def reset(self) -> None:
        for b in self.bufs:
            b.assign(tf.zeros_like(b))
        self.hist.assign(tf.fill((self.batch, self.k0), -1))
        self.t.assign(0)

    def _step(self, q_prev):
        """Logits (B, Q) of the next sample given the previous one (-1 = none)."""
        hist = tf.concat([self.hist[:, 1:], q_prev[:, None]], axis=1)
        self.hist.assign(hist)
        valid = hist >= 0
        rows = tf.where(valid, hist + tf.range(self.k0)[None, :] * self.q, 0)
        emb = tf.gather(self.table, rows) * tf.cast(valid, tf.float32)[..., None]
        h = self.in_b + tf.reduce_sum(emb, axis=1)
        t = self.t
        skips = []
        for i, dd in enumerate(self.dilations):
            n = (self.k - 1) * dd
            taps = [tf.gather(self.bufs[i], tf.math.floormod(t - (self.k - 1 - j) * dd, n))
                    for j in range(self.k - 1)]
            x = tf.concat([*taps, h], axis=1)
            self.bufs[i].scatter_update(tf.IndexedSlices(h[None], tf.math.floormod(t, n)[None]))
            z = tf.matmul(x, self.conv[i]) + self.conv_b[i]
            a = tf.tanh(z[:, : self.d]) * tf.sigmoid(z[:, self.d :])
            skips.append(tf.matmul(a, self.skip[i]) + self.skip_b[i])
            h = h + tf.matmul(a, self.res[i]) + self.res_b[i]
        self.t.assign_add(1)
        s = tf.nn.relu(tf.add_n(skips))
        o = tf.nn.relu(tf.matmul(s, self.o1) + self.o1_b)
        return tf.matmul(o, self.o2) + self.o2_b

    def _generate_graph(self, u, temperature):
        n = tf.shape(u)[0]
        out = tf.TensorArray(tf.int32, size=n)
        prev = tf.fill((self.batch,), -1)
        for i in tf.range(n):
            logits = self._step(prev)
            e = tf.exp((logits - tf.reduce_max(logits, axis=1, keepdims=True)) / temperature)
            c = tf.cumsum(e, axis=1)
            hit = c > (u[i] * c[:, -1])[:, None]
            prev = tf.cast(tf.argmax(tf.cast(hit, tf.int32), axis=1), tf.int32)
            out = out.write(i, prev)
        return tf.transpose(out.stack())

    def generate(self, u: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Samples (B, n) from uniforms ``u`` (B, n) (from a fresh start)."""
        self.reset()
        u = tf.constant(np.ascontiguousarray(np.asarray(u, np.float32).T))
        return self._generate(u, tf.constant(float(temperature))).numpy()
