"""The built-in SampleRNN architecture plugin (registered through the pysynth.architectures entry point)."""

from __future__ import annotations

from pysynth.arch import Architecture


class SampleRNN(Architecture):
    name = "samplernn"
    family = "samplernn"
