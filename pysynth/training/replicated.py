"""The training loop under a ``tf.distribute`` strategy: a step per batch under
``strategy.run`` that computes exactly the single-device update, with the run's Keras
callbacks around it as ``fit`` would call them.

Why not ``model.fit``: Keras 3's ``fit`` fails under ``MultiWorkerMirroredStrategy``
(keras-team/keras#20585: its first-batch build reduces the input batch across workers),
and under any strategy its optimizer clips each replica's partial gradient before summing
them, so ``clip_norm`` would act on a different gradient than on one device. Here the
replicas' gradients are summed first, then divided by the number of scored targets of the
whole batch and clipped: the update one device makes from the same batch, whatever the
number of replicas, up to float rounding. The loss is the weighted cross-entropy the loop
compiles (``compile_model``); a model's own added losses (regularizers; neither built-in
family has any) are not part of it.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from .losses import sample_nats

LN2 = math.log(2.0)

__all__ = ["fit_replicated"]


def _train_function(model, strategy, output: str = "softmax"):
    """A compiled step: one batch from the iterator, on every replica; returns the batch's
    summed weighted cross-entropy (nats) and its scored targets, summed over replicas."""
    optimizer, variables = model.optimizer, model.trainable_variables
    sum_ = tf.distribute.ReduceOp.SUM
    nats = sample_nats(output)

    def replica_step(x, y, w):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            ce = nats(y, logits)
            total = tf.reduce_sum(ce * tf.cast(w, ce.dtype))
        grads = tape.gradient(total, variables)
        # summed here, in the replica: this all-reduce also gathers sparse gradients
        # (IndexedSlices) across workers, which the cross-replica reduce cannot
        ctx = tf.distribute.get_replica_context()
        grads, total, weight = ctx.all_reduce(sum_, [grads, total, tf.reduce_sum(w)])
        return grads, total, weight

    @tf.function
    def step(iterator):
        x, y, w = next(iterator)
        results = strategy.run(replica_step, args=(x, y, w))
        # every replica holds the same sums: take this worker's first
        grads, total, weight = tf.nest.map_structure(
            lambda v: strategy.experimental_local_results(v)[0], results,
            expand_composites=False)
        scale = 1.0 / tf.maximum(weight, 1.0)
        optimizer.apply([_scaled(g, scale) for g in grads], variables)  # and clips them
        return total, weight

    return step


def _scaled(grad, scale):
    """``grad * scale``, keeping an embedding's sparse gradient sparse.

    The cross-replica sum of ``IndexedSlices`` keeps every replica's rows (repeated
    indices and all), so the optimizer gets the rows one device's batch would give it:
    Keras's Adam squares each row before adding up repeated ones, so densifying here would
    change the update (it did, by several times the learning rate on the input table).
    """
    if isinstance(grad, tf.IndexedSlices):
        return tf.IndexedSlices(grad.values * scale, grad.indices, grad.dense_shape)
    return grad * scale


def _agreement(strategy):
    """``agree(value, from_first)``: the sum of every worker's ``value`` over its replicas,
    or with ``from_first`` the value of replica 0 (on the chief: the first worker) alone.
    Compiled: run eagerly, a strategy's ``run`` warns of its overhead every time."""
    @tf.function
    def agree(value, from_first: bool):
        def each():
            first = tf.distribute.get_replica_context().replica_id_in_sync_group == 0
            # a new tensor in each replica: the strategy reduces per-replica values only
            return tf.where(first, value, 0.0) if from_first else tf.identity(value)

        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(each), axis=None)

    return lambda value, from_first=False: float(agree(tf.constant(value, tf.float32),
                                                       from_first))


def _take_chiefs_rate(model, agree) -> None:
    """Give every worker the learning rate the chief's callbacks set (the ``budget``
    schedule reads the chief's clock): only the chief runs the run's callbacks."""
    rate = model.optimizer.learning_rate
    if hasattr(rate, "assign"):  # a variable; a schedule is a function of the step count
        rate.assign(agree(float(np.asarray(rate)), from_first=True))


def fit_replicated(model, placement, data, *, epochs: int, initial_epoch: int, steps: int,
                   callbacks: list, output: str = "softmax") -> None:
    """Train ``model`` (built and compiled in ``placement.strategy.scope()``) on ``data``
    (:func:`~.distribute.replica_batches`) for epochs ``initial_epoch .. epochs - 1`` of
    ``steps`` batches, calling ``callbacks`` as ``model.fit`` does (without its progress
    bar).

    The epoch's logs are ``loss`` (the mean of its batches' losses, in nats) and
    ``nll_bits`` (its targets' mean, in bits), as ``fit`` reports them. Training stops
    after an epoch in which a callback set ``model.stop_training`` on any worker.
    """
    strategy = placement.strategy
    # no Keras progress bar: the run's callbacks show progress (ShowProgress)
    cbs = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=False,
                                       model=model, verbose=0, epochs=epochs, steps=steps)
    step = _train_function(model, strategy, output)
    agree = _agreement(strategy)
    iterator = iter(data)
    model.stop_training = False
    cbs.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        cbs.on_epoch_begin(epoch)
        if placement.workers > 1:
            _take_chiefs_rate(model, agree)
        loss_sum, ce_sum, weight_sum = 0.0, 0.0, 0.0
        logs: dict = {}
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            total, weight = (float(v) for v in step(iterator))
            loss_sum += total / max(weight, 1.0)
            ce_sum, weight_sum = ce_sum + total, weight_sum + weight
            logs = {"loss": loss_sum / (batch + 1),
                    "nll_bits": ce_sum / max(weight_sum, 1.0) / LN2}
            cbs.on_train_batch_end(batch, logs)
        logs = {k: float(np.float32(v)) for k, v in logs.items()}
        cbs.on_epoch_end(epoch, logs)
        # every worker stops after the same epoch (the chief's early stopping or time
        # budget), or the others would wait for it in the next step's all-reduce forever
        if agree(float(bool(model.stop_training))) > 0:
            model.stop_training = True
            break
    cbs.on_train_end(logs)
