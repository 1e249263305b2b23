"""The validation clips a run scores, and their NLL under the model in training, computed
exactly as ``pysynth score`` computes it (docs/training.md, "Validation").

No TensorFlow here: the model is exported in memory and scored by :func:`pysynth.score`
(the compiled engine, or the plugin's reference model for other families).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DatasetError
from ..words import count

__all__ = ["ValidationClips", "choose_clips", "load_validation", "validation_nll"]

#: Seeds the order in which each label's clips enter the subset. A constant, not the run's
#: seed, so that runs on the same dataset are compared on the same clips.
SUBSET_SEED = 0x5EED


@dataclass
class ValidationClips:
    """The clips a run validates on: their ids (in manifest order), audio and class ids."""

    ids: list[str]
    audio: list[np.ndarray]
    class_ids: np.ndarray | None  # int32 per clip for a conditioned model, else None
    available: int  # validation clips in the dataset

    @property
    def samples(self) -> int:
        return sum(map(len, self.audio))

    def describe(self, sample_rate: int, every: int) -> str:
        """One line for the start of training: how much is scored, how often."""
        when = "every epoch" if every == 1 else f"every {every} epochs and after the last"
        return (f"validation: {len(self.ids)} of {count(self.available, 'clip')} "
                f"({self.samples / sample_rate:.1f} s of audio), whole clips, {when}")


def choose_clips(clips: Sequence, seconds: float) -> list:
    """Which validation clips to score: all of them when they last ``seconds`` or less (or
    ``seconds`` is 0), else a fixed subset of about ``seconds`` spread over the labels.

    The labels take turns (in sorted order), each giving its next clip in a fixed random
    order (:data:`SUBSET_SEED`), until the next clip would pass ``seconds``; at least one
    clip is taken. The result keeps the manifest order. Depends on the clips alone, so a
    resumed run, and any run on the same dataset, scores the same clips.
    """
    clips = [c for c in clips if c.duration > 0]
    if not seconds or sum(c.duration for c in clips) <= seconds:
        return clips
    by_label: dict[str, list] = {}
    for c in clips:
        by_label.setdefault(c.label or "", []).append(c)
    rng = np.random.default_rng(SUBSET_SEED)
    queues = [[group[i] for i in rng.permutation(len(group))]
              for _, group in sorted(by_label.items())]
    turns = [queue[rank] for rank in range(max(map(len, queues)))
             for queue in queues if rank < len(queue)]
    chosen, total = [], 0.0
    for clip in turns:
        if chosen and total + clip.duration > seconds:
            break
        chosen.append(clip)
        total += clip.duration
    position = {c.id: i for i, c in enumerate(clips)}
    return sorted(chosen, key=lambda c: position[c.id])


def load_validation(ds, *, seconds: float, labels: list[str], conditioned: bool,
                    ids: list[str] | None = None) -> ValidationClips | None:
    """Load the validation clips a run scores (None when the split has none).

    ``ids``: the clips a run chose before (its config.json), used instead of choosing, so
    that a resumed run scores the same clips. A conditioned model's clips get the class
    id of their label in ``labels`` (the run's label list).
    """
    available = ds.clips("validation")
    if not available:
        return None
    if ids is None:
        clips = choose_clips(available, seconds)
    else:
        by_id = {c.id: c for c in available}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise DatasetError(
                f"{ds.root}: the run validates on clips the dataset's validation split no "
                f"longer holds ({', '.join(map(repr, missing[:3]))}"
                f"{', ...' if len(missing) > 3 else ''}); train a new run on this dataset"
            )
        clips = [by_id[i] for i in ids]
    class_ids = None
    if conditioned:
        for c in clips:
            if (c.label or "") not in labels:
                raise DatasetError(f"validation clip {c.id!r} has label {c.label!r}, not one "
                                   f"of the run's labels {labels}")
        class_ids = np.array([labels.index(c.label or "") for c in clips], dtype=np.int32)
    return ValidationClips(ids=[c.id for c in clips], audio=[ds.load(c) for c in clips],
                           class_ids=class_ids, available=len(available))


def validation_nll(arch, model, config, clips: ValidationClips) -> float:
    """Bits per sample of the validation clips under ``model``: exported in memory and
    scored with :func:`pysynth.score`, so the figure is what ``pysynth score`` reports for
    the exported model file on the same clips."""
    from ..modelfile import ModelFile
    from ..sampling import score

    program, tensors = arch.export(model, config)
    return score(ModelFile(program=program, tensors=tensors, metadata={}), clips.audio,
                 cond=clips.class_ids)
