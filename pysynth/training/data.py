"""Data helpers for the architectures' ``dataset`` hooks: a split's clips, quantized, and
deterministic random training windows cut from them (docs/training.md).

TensorFlow is imported only inside :func:`window_dataset`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DatasetError

__all__ = ["SILENCE_KEPT_MS", "epoch_rows", "iter_quantized", "noisy_inputs", "quantized_clips",
           "sounding_lengths", "window_dataset"]

#: How much of the digital silence that ends a clip training reads, in milliseconds.
SILENCE_KEPT_MS = 100.0


def sounding_lengths(seqs: list[np.ndarray], levels: int, keep: int) -> np.ndarray:
    """Each clip's length up to and including its last sample that is not silence
    (:func:`pysynth.audio.silence_level`), plus ``keep`` samples of the silence after it, at
    most the clip's length.

    Curated one-shots are padded with digital silence to the clip length: in the drum
    corpus of docs/benchmarks.md that is a third of the training samples. Predicting more
    silence after silence is learnt in the first minutes; the rest of the time spent on it is taken from
    the sounds. Training windows and chunks therefore stop ``keep`` samples after the last
    sound (enough to learn the ending and that silence then goes on). A clip without
    closing silence keeps its whole length.

    >>> sounding_lengths([np.array([5, 128, 9, 128, 128, 128, 128])], 256, keep=2).tolist()
    [5]
    """
    from ..audio import silence_level

    mid = silence_level(levels)
    out = np.empty(len(seqs), dtype=np.int64)
    for i, q in enumerate(seqs):
        q = np.asarray(q)
        loud = np.flatnonzero(q != mid)
        end = int(loud[-1]) + 1 if loud.size else 0
        out[i] = min(len(q), end + int(keep))
    return out


def quantized_clips(
    ds, split: str, *, levels: int, quantization: str, labels: list[str] | None = None,
    preemphasis: float = 0.0,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Load every clip of one split, quantized (through the pre-emphasis filter of
    :mod:`pysynth.emphasis` when ``preemphasis`` > 0): ``(sequences, class_ids)``.

    ``class_ids[i]`` is the index of clip ``i``'s label in ``labels`` (0 when ``labels``
    is None). Empty clips are skipped.
    """
    seqs, ids = [], []
    for clip, q in iter_quantized(ds, split, levels=levels, quantization=quantization,
                                  preemphasis=preemphasis):
        seqs.append(q)
        if labels:
            label = clip.label or ""
            if label not in labels:
                raise DatasetError(
                    f"clip {clip.id!r} has label {label!r}, not one of the run's labels {labels}"
                )
            ids.append(labels.index(label))
        else:
            ids.append(0)
    return seqs, np.asarray(ids, dtype=np.int32)


def iter_quantized(ds, split: str, *, levels: int, quantization: str, preemphasis: float = 0.0):
    """``(clip, q)`` for each non-empty clip of one split, loaded one at a time: its int32
    level indices as a model sees them (through the pre-emphasis, then quantized)."""
    from ..audio import quantize
    from ..emphasis import preemphasize

    for clip in ds.clips(split):
        y = ds.load(clip)
        if y.size:
            yield clip, quantize(preemphasize(y, preemphasis), levels, quantization).astype(np.int32)


def epoch_rows(plan, epochs: tuple[int, int] | None, spec):
    """A ``tf.data.Dataset`` of the rows of ``plan(e)`` (a tuple of equally long arrays) for
    each epoch ``e`` in ``range(*epochs)`` in turn, or of ``plan(None)`` when ``epochs`` is
    None.

    Epochs are planned one at a time as the data is read, not all up front: a run for a
    time budget asks for many more epochs than it will reach (``pysynth train --minutes``),
    and planning them all would take memory and start-up time for nothing. The rows are
    the same as planning every epoch first.
    """
    import tensorflow as tf

    def plans():
        if epochs is None:
            yield plan(None)
        else:
            for e in range(*epochs):
                yield plan(e)

    data = tf.data.Dataset.from_generator(plans, output_signature=spec)
    return data.flat_map(lambda *cols: tf.data.Dataset.from_tensor_slices(cols))


def noisy_inputs(q, levels: int, amount: int, seed: int, batch_id):
    """Training inputs ``q`` (int32 level indices; negative ones, "before the clip", kept)
    each moved by a random integer in ``[-amount, amount]`` levels, clipped to the levels.

    The targets stay clean: the model learns the next clean sample from a slightly wrong
    past, as it will meet when it continues its own samples. Without it a model trained
    for minutes takes its own first errors for a noisy sound and goes on making noise
    (docs/benchmarks.md). The noise depends on ``(seed, batch_id)`` alone, so a resumed
    run sees the same.
    """
    import tensorflow as tf

    if not amount:
        return q
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(batch_id, tf.int64)])
    d = tf.random.stateless_uniform(tf.shape(q), seed=key, minval=-amount, maxval=amount + 1,
                                    dtype=tf.int32)
    return tf.where(q >= 0, tf.clip_by_value(q + d, 0, levels - 1), q)


def window_dataset(
    seqs: list[np.ndarray],
    class_ids: np.ndarray,
    *,
    context: int,
    window: int,
    batch_size: int,
    steps: int,
    seed: int,
    epochs: tuple[int, int] | None = (0, 1),
    conditioned: bool = False,
    positions: tuple[int, int] | None = None,
    input_noise: int = 0,
    levels: int = 256,
    sounding: np.ndarray | None = None,
    start_share: float = 0.0,
):
    """A ``tf.data.Dataset`` of random training windows, deterministic for a seed.

    Each example is a segment of ``context + window`` samples of one clip with loss
    weights 1 on ``window`` target positions: positions whose full ``context`` lies in
    the segment, or, for targets near the clip's start, the segment starts at the clip's
    sample 0 (so the model's "nothing before 0" is the truth and every target counts).
    Clips are drawn in proportion to their length, start positions uniformly; with
    ``sounding`` (per clip, :func:`sounding_lengths`) only windows whose targets end within
    it are drawn, in proportion to it (their context may still reach past it). A share
    ``start_share`` of the windows (drawn per window) begins at its clip's first sample.

    Yields ``(inputs, targets, weights)`` batches: ``inputs`` is ``q (B, L)`` int32, or a
    dict ``{"q": q}`` with ``"cond": (B,)`` when ``conditioned`` and ``"pos": (B, L)`` when
    ``positions = (frames, hop)`` is given: the position frame ``min(s // hop, frames - 1)``
    of each sample, ``s`` its index in its clip; ``targets = q``; ``weights (B, L)``
    float32. ``input_noise`` > 0 moves every input sample (not the targets) by a random
    integer in ``[-input_noise, input_noise]`` of ``levels`` (:func:`noisy_inputs`). With
    ``epochs=(e0, e1)`` it yields ``steps`` batches for each epoch
    ``e0 <= e < e1`` in turn, epoch ``e``'s windows depending on ``(seed, e)`` alone (so a
    resumed run sees the same data). With ``epochs=None`` it yields ``steps`` fixed
    batches (validation).
    """
    import tensorflow as tf

    if not seqs:
        raise DatasetError("no clips to cut training windows from")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    seg = int(context + window)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.concatenate([*seqs, np.zeros(seg, dtype=np.int32)])
    drawn = lengths if sounding is None else np.minimum(np.asarray(sounding, np.int64), lengths)
    n_windows = np.maximum(drawn - window + 1, 1)
    p = n_windows / n_windows.sum()

    def draw(rng: np.random.Generator, count: int):
        clip = rng.choice(len(seqs), size=count, p=p)
        a = (rng.random(count) * n_windows[clip]).astype(np.int64)  # first target position
        if start_share > 0:  # this share of the windows begins at its clip's first sample
            a = np.where(rng.random(count) < start_share, 0, a)
        s0 = np.maximum(a - context, 0)  # segment start in the clip
        return clip, s0, a

    def plan(e: int | None):
        rng = (np.random.default_rng([seed, 0x5EED, 1]) if e is None
               else np.random.default_rng([seed, e]))
        clip, s0, a = draw(rng, steps * batch_size)
        row = (e or 0) * steps * batch_size + np.arange(steps * batch_size)  # noise seeds
        return clip.astype(np.int32), s0, a, row

    flat_t = tf.constant(flat, dtype=tf.int32)
    off_t = tf.constant(offsets, dtype=tf.int64)
    len_t = tf.constant(lengths, dtype=tf.int64)
    ids_t = tf.constant(np.asarray(class_ids, dtype=np.int32))
    pos = tf.range(seg, dtype=tf.int64)

    def make(c, start, first, row):
        clip_pos = start[:, None] + pos[None, :]  # (B, L) positions in the clip
        n = tf.gather(len_t, c)[:, None]
        q = tf.gather(flat_t, tf.gather(off_t, c)[:, None] + clip_pos)
        inside = clip_pos < n
        q = tf.where(inside, q, tf.zeros_like(q))
        w = inside & (clip_pos >= first[:, None]) & (clip_pos < first[:, None] + window)
        w = tf.cast(w, tf.float32)
        x = {"q": noisy_inputs(q, levels, input_noise, seed, row[0])}
        if conditioned:
            x["cond"] = tf.gather(ids_t, c)
        if positions is not None:
            frames, hop = positions
            x["pos"] = tf.cast(tf.minimum(clip_pos // hop, frames - 1), tf.int32)
        return (x if len(x) > 1 else x["q"]), q, w

    spec = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int64),
            tf.TensorSpec([None], tf.int64), tf.TensorSpec([None], tf.int64))
    data = epoch_rows(plan, epochs, spec).batch(batch_size)
    data = data.map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.prefetch(tf.data.AUTOTUNE)
