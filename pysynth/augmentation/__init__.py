"""Augmentation: grow a dataset with reproducible, recorded augmentations (``pysynth.augment``).

The output is a new dataset folder in the same layout: the original clips (hard-linked or
copied) plus ``copies`` augmented versions of each training clip, each with its lineage in
the manifest (source clip, the augmenters that ran and the parameters they drew). The
randomness of one augmented clip comes only from ``(seed, clip id, copy index)``, so the
same call twice writes bit-identical files, and one clip's result does not depend on the
others.

Modules: :mod:`.api` (``augment``), :mod:`.recipe` (the default mix, recipe files,
building augmenters), :mod:`.clip` (one clip's random stream and safe result),
:mod:`.copies` (writing the copies over worker processes), :mod:`.output` (the output
folder), and :mod:`.augmenters` (the built-in augmenters and their base class).
"""

from __future__ import annotations

from .api import augment
from .augmenters.base import Augmenter, check_range, uniform
from .clip import PEAK_LIMIT, augment_audio, clip_rng
from .recipe import DEFAULT_RECIPE, AugmenterLike, build_augmenter, load_recipe

__all__ = [
    "DEFAULT_RECIPE",
    "PEAK_LIMIT",
    "Augmenter",
    "AugmenterLike",
    "augment",
    "augment_audio",
    "build_augmenter",
    "check_range",
    "clip_rng",
    "load_recipe",
    "uniform",
]
