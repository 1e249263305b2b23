"""The training loss of each output distribution, per scored sample in nats (Keras ops).

``softmax``: the cross-entropy of the logits; ``mol16``: ``-log`` of the mass the
discretized mixture of logistics puts on the target level, the same formula as
:func:`pysynth.mixture.mixture_log_prob` (its docstring derives the stable form), so the
training loss, ``pysynth score`` and the engine's ``nll`` are one quantity.
"""

from __future__ import annotations

from ..mixture import LOG_SCALE_MIN, MOL_LEVELS, check_output

__all__ = ["sample_nats", "training_loss"]


def training_loss(output: str = "softmax"):
    """The Keras loss ``model.compile`` takes for ``output``: the weighted mean of
    :func:`sample_nats` over the scored samples (the softmax keeps Keras's own sparse
    categorical cross-entropy, as before the mixture output existed)."""
    import keras

    if output == "softmax":
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")
    nats = sample_nats(output)

    class MixtureNLL(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return nats(y_true, y_pred)

    return MixtureNLL(reduction="mean_with_sample_weight", name="mixture_nll")


def sample_nats(output: str = "softmax"):
    """``fn(y_true, y_pred) -> nats`` per sample for a model whose head is ``output``."""
    import keras
    from keras import ops

    output, _ = check_output(output, 1, owner="training")
    if output == "softmax":
        def softmax_nats(y_true, y_pred):
            return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        return softmax_nats

    levels = MOL_LEVELS

    def mixture_nats(y_true, y_pred):
        k = y_pred.shape[-1] // 3
        a_mix, mu = y_pred[..., :k], y_pred[..., k:2 * k]
        log_s = ops.maximum(y_pred[..., 2 * k:], LOG_SCALE_MIN)
        q = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1)
        h = 1.0 / (levels - 1)
        x = 2.0 * h * q - 1.0
        inv = ops.exp(-log_s)
        plus, minus = (x + h - mu) * inv, (x - h - mu) * inv
        # the floor only guards log(0) for absurdly wide components (2h/s under 1e-38)
        width = ops.log(ops.maximum(-ops.expm1(-2.0 * h * inv), 1e-38))
        inner = width - ops.softplus(-plus) - ops.softplus(minus)
        log_bin = ops.where(q < 0.5, -ops.softplus(-plus),
                            ops.where(q > levels - 1.5, -ops.softplus(minus), inner))
        return -ops.logsumexp(ops.log_softmax(a_mix, axis=-1) + log_bin, axis=-1)
    return mixture_nats
