"""Built-in augmenters, registered in pysynth.registry.augmenters when this package is imported.

One module per augmenter, all with the contract of :class:`~pysynth.augmentation.Augmenter`
(sample parameters from an explicit Generator, then apply; probability ``p``; the parameters
actually used are returned for the clip's lineage). Composition lives in ``compose``.
"""

from __future__ import annotations

from .background import BackgroundNoise
from .base import Augmenter, check_range, uniform
from .compose import Compose, OneOf, SomeOf
from .gain import Gain
from .noise import Noise
from .pitch import PitchShift
from .shift import TimeShift
from .speed import SpeedShift
from .stretch import TimeStretch

__all__ = [
    "Augmenter",
    "BackgroundNoise",
    "Compose",
    "Gain",
    "Noise",
    "OneOf",
    "PitchShift",
    "SomeOf",
    "SpeedShift",
    "TimeShift",
    "TimeStretch",
    "check_range",
    "uniform",
]
