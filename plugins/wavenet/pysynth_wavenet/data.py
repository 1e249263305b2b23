"""WaveNet's training data: random windows of quantized clips with receptive-field context.

Imported lazily (tf.data). The windows come from :func:`pysynth.training.window_dataset`:
each example holds ``receptive_field + seq_len`` samples and weights the last ``seq_len``
targets, so every scored prediction sees its full context (or the true clip start). Windows
are drawn where the clips sound: a clip's closing digital silence is read only for
``SILENCE_KEPT_MS`` or a receptive field, whichever is longer
(:func:`pysynth.training.data.sounding_lengths`).
"""

from __future__ import annotations

from pysynth.training import quantized_clips, window_dataset
from pysynth.training.data import SILENCE_KEPT_MS, sounding_lengths

from .config import WaveNetConfig


def dataset(
    ds,
    config: WaveNetConfig,
    *,
    split: str,
    batch_size: int,
    steps: int,
    seed: int,
    epochs: tuple[int, int] | None = (0, 1),
    labels: list[str] | None = None,
):
    """The architecture's ``dataset`` hook (see docs/training.md).

    Returns a ``tf.data.Dataset`` of ``(inputs, targets, weights)`` batches: ``steps``
    batches per epoch in ``range(*epochs)`` (``epochs=None``: ``steps`` fixed validation
    batches). ``labels`` maps class ids to clip labels when the model is conditioned.
    With ``position_frames > 0`` the inputs hold each sample's position frame in its clip.
    """
    conditioned = config.conditioning_classes > 0
    seqs, ids = quantized_clips(
        ds, split, levels=config.levels, quantization=config.quantization,
        labels=labels if conditioned else None, preemphasis=config.preemphasis,
    )
    keep = max(round(SILENCE_KEPT_MS * config.sample_rate / 1000), config.receptive_field)
    return window_dataset(
        seqs, ids, context=config.receptive_field, window=config.seq_len,
        batch_size=batch_size, steps=steps, seed=seed, epochs=epochs, conditioned=conditioned,
        positions=((config.position_frames, config.position_hop)
                   if config.position_frames > 0 else None),
        input_noise=config.input_noise if split == "train" else 0, levels=config.levels,
        sounding=sounding_lengths(seqs, config.levels, keep),
        start_share=config.start_share if split == "train" else 0.0,
    )
