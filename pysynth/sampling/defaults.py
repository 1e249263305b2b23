"""The sampling rule pysynth recommends: what `pysynth sample`, the demo and training's
periodic samples use (``pysynth.sample`` itself defaults to the untruncated model, T = 1).

Chosen by measurement (docs/benchmarks.md, "Sampling rule"): on drum one-shots after 10
minutes of training, 48 clips x 3 seeds, SampleRNN's noise scale is 0.73 at T = 1, 0.58 at
T = 0.95 (the previous default) and 0.45 at T = 1 with min-p 0.02, whose class score is the
best of the rules tried (0.69 of the real clips'); min-p 0.05 or T = 0.9 start silencing
clips. WaveNet after 10 minutes fails differently (its clips stop too early, whatever the
rule): 1.14 at T = 0.95 and 1.20 with min-p 0.02, with a better class score (0.40 vs 0.37).
"""

from __future__ import annotations

#: softmax temperature: 1 keeps the model's own distribution; min-p does the truncating
TEMPERATURE = 1.0
#: draw only among levels at least this fraction as likely as the most likely one
MIN_P = 0.02

__all__ = ["MIN_P", "TEMPERATURE"]
