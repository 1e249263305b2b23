"""SampleRNN training data: consecutive subsequences of clips for truncated BPTT.

The shared loop (:func:`pysynth.training.train`) counts an epoch as ``steps`` batches. Each
of the ``batch_size`` rows of a batch is a stream of clips: for epoch ``e`` a numpy
Generator keyed by ``(seed, e)`` deals the clips, in permutations, to the rows as they need
one, and a row reads its clip chunk by chunk: chunk ``k`` holds the ``F_top`` samples
before it (``-1`` before the clip start) and its ``seq_len`` samples, with ``reset = 1``
on the clip's first chunk. The model (see :mod:`.model`) carries each row's RNN state from
one chunk to the next and restarts that row from the learned initial state on its
``reset``. A row reads a clip up to the chunk that holds ``SILENCE_KEPT_MS`` of the
digital silence after its last sound (:func:`pysynth.training.data.sounding_lengths`), then
takes the next clip: a one-shot padded with silence to the clip length costs only its
sound. With ``start_share`` > 0 a row reads that share of its clips only to their first
chunk, so that more of training is spent on attacks. A conditioned model gets each row's
clip class (``cond``), a model with position input each row's chunk start in its clip
(``start``).

Every epoch starts every row on a new clip, with a reset, and depends on ``(seed, e)``
alone, so a run resumed at an epoch boundary sees exactly the data, and state, of an
uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pysynth.audio import quantize
from pysynth.checks import check_int
from pysynth.errors import DatasetError, ParameterError
from pysynth.training.data import SILENCE_KEPT_MS, epoch_rows, noisy_inputs, sounding_lengths

from .config import SampleRNNConfig, make_config


def quantize_clips(audio: Sequence[np.ndarray], config: SampleRNNConfig) -> list[np.ndarray]:
    """Quantize float clips with the config's levels and kind (int32 indices)."""
    return [quantize(np.asarray(y, dtype=np.float32), config.levels, config.quantization)
            for y in audio]


def usable_lengths(lengths: Sequence[int], seq_len: int) -> np.ndarray:
    """Indices of the clips at least ``seq_len`` long; raise if there is none."""
    lengths = np.asarray(lengths, dtype=np.int64)
    ok = np.flatnonzero(lengths >= seq_len)
    if ok.size == 0:
        raise DatasetError(
            f"no clip has at least seq_len={seq_len} samples (longest: "
            f"{int(lengths.max()) if lengths.size else 0}); lower seq_len"
        )
    return ok


def plan(
    lengths: Sequence[int], *, seq_len: int, batch_size: int, steps: int,
    rng: np.random.Generator, sounding: Sequence[int] | None = None, start_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which clips and where, for ``steps`` consecutive chunks.

    ``sounding`` (per clip; default: ``lengths``) is how much of each clip to read: a row
    reads ``ceil(sounding / seq_len)`` chunks of it (at least 1, at most as many whole
    chunks as the clip has), or, for a share ``start_share`` of the clips it takes (drawn
    per clip), only the first chunk.

    Returns
    -------
    clips : int64 array (steps, batch_size)
        Clip indices (into ``lengths``) of each chunk's rows.
    starts : int64 array (steps, batch_size)
        Position in its clip of each row's first target sample (a multiple of seq_len).
    resets : float32 array (steps, batch_size)
        1 where a row starts a new clip.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    usable = usable_lengths(lengths, seq_len)
    read = lengths if sounding is None else np.minimum(np.asarray(sounding, np.int64), lengths)
    n_chunks = np.clip(-(-read // seq_len), 1, lengths // seq_len)
    clips = np.empty((steps, batch_size), dtype=np.int64)
    starts = np.zeros((steps, batch_size), dtype=np.int64)
    resets = np.zeros((steps, batch_size), dtype=np.float32)
    deck: list[int] = []
    current = np.zeros(batch_size, dtype=np.int64)
    left = np.zeros(batch_size, dtype=np.int64)  # chunks the row has still to read
    done = np.zeros(batch_size, dtype=np.int64)  # chunks the row has read of its clip
    for k in range(steps):
        for r in range(batch_size):
            if left[r] == 0:
                if not deck:
                    deck.extend(int(i) for i in rng.permutation(usable))
                current[r] = deck.pop(0)
                left[r] = n_chunks[current[r]]
                if start_share > 0 and rng.random() < start_share:
                    left[r] = 1
                done[r] = 0
                resets[k, r] = 1.0
            clips[k, r] = current[r]
            starts[k, r] = done[r] * seq_len
            left[r] -= 1
            done[r] += 1
    return clips, starts, resets


def load_clips(ds, config: SampleRNNConfig, split: str,
               labels: list[str] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Quantized audio of the clips of one split of a :class:`pysynth.dataset.Dataset`, and
    each clip's class id (its label's index in ``labels``; 0 without ``labels``)."""
    from pysynth.training import quantized_clips

    if ds.sample_rate != config.sample_rate:
        raise ParameterError(
            f"sample_rate={config.sample_rate} does not match the dataset's {ds.sample_rate} Hz"
        )
    seqs, ids = quantized_clips(ds, split, levels=config.levels,
                                quantization=config.quantization, labels=labels,
                                preemphasis=config.preemphasis)
    if not seqs:
        raise DatasetError(f"{ds.root}: no clips in split {split!r}")
    return seqs, ids


def dataset(
    ds,
    config: SampleRNNConfig,
    *,
    split: str = "train",
    batch_size: int | None = None,
    steps: int = 100,
    seed: int = 0,
    epochs: tuple[int, int] | None = (0, 1),
    labels: list[str] | None = None,
    clips: Sequence[np.ndarray] | None = None,
    clip_classes: Sequence[int] | None = None,
):
    """The architecture's ``dataset`` hook: a ``tf.data.Dataset`` of TBPTT chunks.

    Yields ``({"q": (B, F_top + seq_len) int32, "reset": (B,) float32}, targets (B, seq_len)
    int32, sample_weight (B, seq_len) float32 ones)``; ``steps`` chunks for each epoch
    ``e0 <= e < e1`` of ``epochs`` in turn (see the module docstring), or with
    ``epochs=None`` ``steps`` fixed chunks (validation).

    Parameters
    ----------
    ds : pysynth.dataset.Dataset or None
        The curated dataset (None when ``clips`` is given).
    config : SampleRNNConfig
    split : str
        Which clips.
    batch_size : int, optional
        The training loop's batch size; must equal ``config.batch_size`` (the model keeps
        one row of RNN state per clip of the batch).
    steps, seed, epochs
        As for every architecture's hook (docs/training.md).
    labels : list of str, optional
        The run's class names: clip ``c`` gets class ``labels.index(c.label)`` (read only
        when the model is conditioned).
    clips : list of int arrays, optional
        Already-quantized clips instead of ``ds`` (tests, benchmarks).
    clip_classes : sequence of int, optional
        The class id of each of ``clips`` (a conditioned model with ``clips``).
    """
    import tensorflow as tf

    config = make_config(config)
    b = config.batch_size if batch_size is None else batch_size
    if b != config.batch_size:
        raise ParameterError(
            f"batch_size={b} differs from the samplernn config's batch_size="
            f"{config.batch_size}; set batch_size once (it configures both)"
        )
    steps = check_int(steps, "steps", lo=1, owner="samplernn")
    conditioned = config.classes > 0
    if clips is None:
        clips, clip_classes = load_clips(ds, config, split, labels if conditioned else None)
    seqs = [np.asarray(c, dtype=np.int32) for c in clips]
    if conditioned:
        if clip_classes is None or len(clip_classes) != len(seqs):
            raise ParameterError("a conditioned samplernn needs one class id per clip")
        classes = np.asarray(clip_classes, dtype=np.int32)
        if classes.min() < 0 or classes.max() >= config.classes:
            raise DatasetError(f"clip class ids must be in [0, {config.classes}), "
                               f"got {classes.min()}..{classes.max()}")
    lengths = np.array([len(c) for c in seqs], dtype=np.int64)
    usable_lengths(lengths, config.seq_len)  # refuse now: epochs are planned later, as read
    s, top = config.seq_len, config.top_frame_size
    keep = round(SILENCE_KEPT_MS * config.sample_rate / 1000)
    sounding = sounding_lengths(seqs, config.levels, keep)

    def epoch_plan(e: int | None):
        rng = (np.random.default_rng([seed, 0x5EED, 1]) if e is None
               else np.random.default_rng([seed, e]))
        clips_, starts_, resets_ = plan(lengths, seq_len=s, batch_size=b, steps=steps, rng=rng,
                                        sounding=sounding,
                                        start_share=config.start_share if split == "train" else 0.0)
        chunk = (e or 0) * steps + np.arange(len(starts_))  # seeds of the input noise
        return clips_, starts_, resets_, chunk

    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat_t = tf.constant(np.concatenate(seqs), dtype=tf.int32)
    off_t = tf.constant(offsets, dtype=tf.int64)
    pos = tf.range(-top, s, dtype=tf.int64)  # window positions relative to the chunk start
    class_t = tf.constant(classes) if conditioned else None

    noise = config.input_noise if split == "train" else 0

    def make(c, start, reset, chunk):
        p = start[:, None] + pos[None, :]  # (B, top + s) positions in the clips
        q = tf.gather(flat_t, tf.gather(off_t, c)[:, None] + tf.maximum(p, 0))
        q = tf.where(p >= 0, q, -tf.ones_like(q))
        x = {"q": noisy_inputs(q, config.levels, noise, seed, chunk), "reset": reset}
        if conditioned:
            x["cond"] = tf.gather(class_t, c)
        if config.positions:
            x["start"] = tf.cast(start, tf.int32)
        return x, q[:, top:], tf.ones([b, s], tf.float32)  # every target is scored

    spec = (tf.TensorSpec([None, b], tf.int64), tf.TensorSpec([None, b], tf.int64),
            tf.TensorSpec([None, b], tf.float32), tf.TensorSpec([None], tf.int64))
    data = epoch_rows(epoch_plan, epochs, spec)  # epochs planned as they are read
    data = data.map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.prefetch(tf.data.AUTOTUNE)
