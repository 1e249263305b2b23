"""pysynth.sample, pysynth.score and stream: the front end of the sampling engine.

A model file's program names its family. The wavenet and samplernn families run in the
compiled engine (:mod:`pysynth._engine`, or :mod:`pysynth._engine_cuda` on a GPU); any
other family runs through its architecture plugin's numpy :class:`~pysynth.arch.ReferenceModel`
with the same sampling rule and the same random numbers, so a third-party architecture
samples through this API too, only slower. The engine deals only in level indices; this
package quantizes primes and turns indices into audio with :func:`pysynth.audio.level_table`.
Nothing here imports TensorFlow.

Modules: ``engines`` (what runs a model: CPU or CUDA engine, or the plugin's reference),
``reference`` (the numpy sampling rule and NLL), ``plan`` (checked arguments of one
generation), ``generate`` (sample, sample_to_files), ``streaming`` (stream), ``scoring``
(score), ``advice`` (warnings before sampling). No module is named after a function it
exports: importing it would replace that function on this package.
"""

from __future__ import annotations

from .advice import learned_little
from .engines import DEVICES, load, make_engine, reference_model
from .generate import SampleReport, sample, sample_to_files
from .reference import reference_sample, sample_index
from .scoring import clip_paths, score, score_clips
from .streaming import stream

__all__ = [
    "DEVICES",
    "SampleReport",
    "clip_paths",
    "learned_little",
    "load",
    "make_engine",
    "reference_model",
    "reference_sample",
    "sample",
    "sample_index",
    "sample_to_files",
    "score",
    "score_clips",
    "stream",
]
