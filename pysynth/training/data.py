"""Data helpers for the architectures' ``dataset`` hooks: a split's clips, quantized, and
deterministic random training windows cut from them (docs/training.md).

TensorFlow is imported only inside :func:`window_dataset`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DatasetError

__all__ = ["quantized_clips", "window_dataset"]


def quantized_clips(
    ds, split: str, *, levels: int, quantization: str, labels: list[str] | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Load every clip of one split, quantized: ``(sequences, class_ids)``.

    ``class_ids[i]`` is the index of clip ``i``'s label in ``labels`` (0 when ``labels``
    is None). Empty clips are skipped.
    """
    from ..audio import quantize

    seqs, ids = [], []
    for clip in ds.clips(split):
        y = ds.load(clip)
        if y.size == 0:
            continue
        seqs.append(quantize(y, levels, quantization).astype(np.int32))
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
):
    """A ``tf.data.Dataset`` of random training windows, deterministic for a seed.

    Each example is a segment of ``context + window`` samples of one clip with loss
    weights 1 on ``window`` target positions: positions whose full ``context`` lies in
    the segment, or, for targets near the clip's start, the segment starts at the clip's
    sample 0 (so the model's "nothing before 0" is the truth and every target counts).
    Clips are drawn in proportion to their length, start positions uniformly.

    Yields ``(inputs, targets, weights)`` batches: ``inputs`` is ``q (B, L)`` int32, or a
    dict ``{"q": q}`` with ``"cond": (B,)`` when ``conditioned`` and ``"pos": (B, L)`` when
    ``positions = (frames, hop)`` is given: the position frame ``min(s // hop, frames - 1)``
    of each sample, ``s`` its index in its clip; ``targets = q``; ``weights (B, L)``
    float32. With ``epochs=(e0, e1)`` it yields ``steps`` batches for each epoch
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
    n_windows = np.maximum(lengths - window + 1, 1)
    p = n_windows / n_windows.sum()

    def draw(rng: np.random.Generator, count: int):
        clip = rng.choice(len(seqs), size=count, p=p)
        a = (rng.random(count) * n_windows[clip]).astype(np.int64)  # first target position
        s0 = np.maximum(a - context, 0)  # segment start in the clip
        return clip, s0, a

    if epochs is None:
        rng = np.random.default_rng([seed, 0x5EED, 1])
        parts = [draw(rng, steps * batch_size)]
    else:
        parts = [draw(np.random.default_rng([seed, e]), steps * batch_size)
                 for e in range(*epochs)]
    clip = np.concatenate([x[0] for x in parts]).astype(np.int32)
    s0 = np.concatenate([x[1] for x in parts])
    a = np.concatenate([x[2] for x in parts])

    flat_t = tf.constant(flat, dtype=tf.int32)
    off_t = tf.constant(offsets, dtype=tf.int64)
    len_t = tf.constant(lengths, dtype=tf.int64)
    ids_t = tf.constant(np.asarray(class_ids, dtype=np.int32))
    pos = tf.range(seg, dtype=tf.int64)

    def make(c, start, first):
        clip_pos = start[:, None] + pos[None, :]  # (B, L) positions in the clip
        n = tf.gather(len_t, c)[:, None]
        q = tf.gather(flat_t, tf.gather(off_t, c)[:, None] + clip_pos)
        inside = clip_pos < n
        q = tf.where(inside, q, tf.zeros_like(q))
        w = inside & (clip_pos >= first[:, None]) & (clip_pos < first[:, None] + window)
        w = tf.cast(w, tf.float32)
        x = {"q": q}
        if conditioned:
            x["cond"] = tf.gather(ids_t, c)
        if positions is not None:
            frames, hop = positions
            x["pos"] = tf.cast(tf.minimum(clip_pos // hop, frames - 1), tf.int32)
        return (x if len(x) > 1 else q), q, w

    data = tf.data.Dataset.from_tensor_slices((clip, s0, a)).batch(batch_size)
    data = data.map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.prefetch(tf.data.AUTOTUNE)
