"""The built-in WaveNet architecture plugin (registered through the pysynth.architectures entry point)."""

from __future__ import annotations

from pysynth.arch import Architecture


class WaveNet(Architecture):
    name = "wavenet"
    family = "wavenet"
