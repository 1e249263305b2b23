"""A cached-state SampleRNN generator in TensorFlow: the stateful baseline of the engine
benchmarks (how a careful TF2 sampler, e.g. prism-samplernn's, generates).

The RNN states of every frame tier and their upsampled outputs are kept in
``tf.Variable``s; each frame tier runs its stacked-RNN step only every ``F_i`` samples
(``tf.cond`` on the frame schedule), and the sample-level MLP runs once per sample with the
exported embedding-folded table. The whole generation of ``n`` samples is one
``tf.function`` (a graph-mode while loop) with the inverse-CDF sampling rule and the
engine's uniforms, so on the same exported weights it produces the engine's samples (the
benchmark checks). It runs the program of docs/architecture.md from ``(program, tensors)``;
it is not part of pysynth (benchmarks only).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class TFCachedSampleRNN:
    """Incremental SampleRNN generation of ``batch`` streams in TensorFlow."""

    def __init__(self, program: dict, tensors: dict[str, np.ndarray], batch: int) -> None:
        self.batch = batch
        self.q = int(program["levels"])
        self.h = h = int(program["dim"])
        self.fs = fs = [int(f) for f in program["frame_sizes"]]
        self.ratios = [fs[0]] + [fs[i] // fs[i - 1] for i in range(1, len(fs))]
        self.lstm = program["rnn_type"] == "lstm"
        self.layers = int(program["rnn_layers"])
        self.skip = bool(program["skip_connections"])
        c = lambda name: tf.constant(np.asarray(tensors[name], np.float32))  # noqa: E731
        self.w = {k: c(k) for k in tensors if k != "sample.table"}
        self.table = tf.constant(
            np.asarray(tensors["sample.table"], np.float32).reshape(fs[0] * self.q, h))
        self.states = []  # states[i][l] = [h] or [h, c] variables
        self.ups = []
        for i, r in enumerate(self.ratios):
            tier = []
            for layer in range(self.layers):
                p = f"tiers.{i}.rnn.{layer}."
                keys = ["h0", "c0"] if self.lstm else ["h0"]
                tier.append([tf.Variable(tf.broadcast_to(self.w[p + k], (batch, h))) for k in keys])
            self.states.append(tier)
            self.ups.append(tf.Variable(tf.zeros((batch, r, h))))
        self.hist = tf.Variable(tf.fill((batch, fs[-1]), -1))
        self._generate = tf.function(self._generate_graph)

    def reset(self) -> None:
        for i, tier in enumerate(self.states):
            for layer, vs in enumerate(tier):
                p = f"tiers.{i}.rnn.{layer}."
                for v, k in zip(vs, ["h0", "c0"]):
                    v.assign(tf.broadcast_to(self.w[p + k], v.shape))
            self.ups[i].assign(tf.zeros_like(self.ups[i]))
        self.hist.assign(tf.fill(self.hist.shape, -1))

    def _unit(self, q):
        v = 2.0 * tf.cast(q, tf.float32) / (self.q - 1) - 1.0
        return tf.where(q >= 0, v, 0.0)

    def _tier_step(self, i: int, t):
        """One step of frame tier i (only called when t % F_i == 0): updates its variables."""
        w, f, hd = self.w, self.fs[i], self.h
        p = f"tiers.{i}."
        x = tf.matmul(self._unit(self.hist[:, -f:]), w[p + "input.weight"]) + w[p + "input.bias"]
        if i + 1 < len(self.fs):
            m = t // f
            x = x + self.ups[i + 1][:, m % self.ratios[i + 1]]
        total = 0.0
        for layer in range(self.layers):
            pl = f"{p}rnn.{layer}."
            k, rk, b = w[pl + "kernel"], w[pl + "recurrent_kernel"], w[pl + "bias"]
            hv = self.states[i][layer]
            h = hv[0]
            if self.lstm:
                z = tf.matmul(x, k) + tf.matmul(h, rk) + b
                c2 = (tf.sigmoid(z[:, hd:2 * hd]) * hv[1]
                      + tf.sigmoid(z[:, :hd]) * tf.tanh(z[:, 2 * hd:3 * hd]))
                h2 = tf.sigmoid(z[:, 3 * hd:]) * tf.tanh(c2)
                hv[1].assign(c2)
            else:
                xi = tf.matmul(x, k) + b[0]
                hi = tf.matmul(h, rk) + b[1]
                zg = tf.sigmoid(xi[:, :hd] + hi[:, :hd])
                rg = tf.sigmoid(xi[:, hd:2 * hd] + hi[:, hd:2 * hd])
                n = tf.tanh(xi[:, 2 * hd:] + rg * hi[:, 2 * hd:])
                h2 = zg * h + (1.0 - zg) * n
            hv[0].assign(h2)
            total = total + h2
            x = h2
        o = total if self.skip else x
        up = tf.matmul(o, w[p + "upsample.weight"]) + w[p + "upsample.bias"]
        self.ups[i].assign(tf.reshape(up, (self.batch, self.ratios[i], hd)))
        return tf.constant(0)

    def _step(self, t):
        """Logits (B, Q) of sample t (history already holds q[<t])."""
        for i in reversed(range(len(self.fs))):
            tf.cond(t % self.fs[i] == 0, lambda i=i: self._tier_step(i, t), lambda: tf.constant(0))
        f0 = self.fs[0]
        window = self.hist[:, -f0:]
        valid = window >= 0
        rows = tf.where(valid, window + tf.range(f0)[None, :] * self.q, 0)
        emb = tf.gather(self.table, rows) * tf.cast(valid, tf.float32)[..., None]
        a = self.w["sample.bias"] + self.ups[0][:, t % f0] + tf.reduce_sum(emb, axis=1)
        a = tf.nn.relu(a)
        k = 0
        while f"sample.hidden.{k}.weight" in self.w:
            a = tf.nn.relu(tf.matmul(a, self.w[f"sample.hidden.{k}.weight"])
                           + self.w[f"sample.hidden.{k}.bias"])
            k += 1
        return tf.matmul(a, self.w["sample.output.weight"]) + self.w["sample.output.bias"]

    def _generate_graph(self, u, temperature):
        n = tf.shape(u)[0]
        out = tf.TensorArray(tf.int32, size=n)
        for i in tf.range(n):
            logits = self._step(i)
            e = tf.exp((logits - tf.reduce_max(logits, axis=1, keepdims=True)) / temperature)
            c = tf.cumsum(e, axis=1)
            hit = c > (u[i] * c[:, -1])[:, None]
            q = tf.cast(tf.argmax(tf.cast(hit, tf.int32), axis=1), tf.int32)
            q = tf.where(tf.reduce_any(hit, axis=1), q, self.q - 1)
            self.hist.assign(tf.concat([self.hist[:, 1:], q[:, None]], axis=1))
            out = out.write(i, q)
        return tf.transpose(out.stack())

    def generate(self, u: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Samples (B, n) from uniforms ``u`` (B, n) (from a fresh start)."""
        self.reset()
        u = tf.constant(np.ascontiguousarray(np.asarray(u, np.float32).T))
        return self._generate(u, tf.constant(float(temperature))).numpy()
