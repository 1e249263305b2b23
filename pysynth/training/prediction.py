"""The Keras side of :mod:`pysynth.prediction`: the layer that puts the dataset's linear
predictor into a mol16 head's means (imports Keras)."""

from __future__ import annotations

import keras
from keras import layers, ops

from ..mixture import LOG_SCALE_MIN

__all__ = ["HistoryTaps", "LinearPrediction"]


@keras.saving.register_keras_serializable(package="pysynth")
class LinearPrediction(layers.Layer):
    """``[params (B, T, 3K), history (B, T, P)] -> params`` with each mean ``n_k`` replaced
    by ``history @ coef + exp(max(log_s_k, LOG_SCALE_MIN)) n_k``
    (:func:`pysynth.prediction.apply_lpc`). ``coef`` is a constant of the config (fitted
    on the training data before training), not a weight: training never moves it."""

    def __init__(self, coef, **kwargs):
        super().__init__(**kwargs)
        self.coef = [float(c) for c in coef]

    def call(self, inputs):
        params, history = inputs
        k = params.shape[-1] // 3
        coef = ops.convert_to_tensor(self.coef, dtype=params.dtype)
        pred = ops.sum(history * coef, axis=-1, keepdims=True)
        log_s = params[..., 2 * k:]
        mean = pred + ops.exp(ops.maximum(log_s, LOG_SCALE_MIN)) * params[..., k:2 * k]
        return ops.concatenate([params[..., :k], mean, log_s], axis=-1)

    def get_config(self):
        return {**super().get_config(), "coef": self.coef}


@keras.saving.register_keras_serializable(package="pysynth")
class HistoryTaps(layers.Layer):
    """``(B, T, 1) -> (B, T, order)``: from the value of the previous sample at each position
    (``values[:, t] = v[t-1]``, 0 at t = 0), tap ``j`` is ``v[t-1-j]``, 0 before the start."""

    def __init__(self, order: int, **kwargs):
        super().__init__(**kwargs)
        self.order = int(order)

    def call(self, values):
        p = self.order
        padded = ops.pad(values, [[0, 0], [p - 1, 0], [0, 0]])
        t = ops.shape(values)[1]
        return ops.concatenate([padded[:, p - 1 - j: p - 1 - j + t] for j in range(p)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "order": self.order}
