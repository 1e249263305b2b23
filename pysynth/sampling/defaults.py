"""The sampling rule pysynth recommends: what `pysynth sample`, `pysynth pick`, the demo and
training's periodic samples use (``pysynth.sample`` itself defaults to the untruncated
model, T = 1).

Chosen by measurement per model family (docs/benchmarks.md, "Sampling rule" and "Silence,
sounding windows and WaveNet's rule"), on drum one-shots after 10 minutes of training, 48
clips x 3 seeds:

* **SampleRNN: min-p 0.02.** Its noise scale is 0.73 at T = 1, 0.58 at T = 0.95 and 0.45
  at T = 1 with min-p 0.02, whose class score is the best of the rules tried (0.69 of the
  real clips'); min-p 0.05 or T = 0.9 start silencing clips. A briefly trained SampleRNN
  runs away into broadband noise from one unlikely draw, which min-p removes.
* **WaveNet: no truncation.** Its clips are too clean and dark rather than noisy (noise
  index 0.03-0.1, the data's 1), and every truncation made that worse: on three trainings
  with pre-emphasis, T = 1 scored 0.60, 0.78 and 0.67 against 0.63, 0.85 and 0.75 with
  min-p 0.02. The one-stack WaveNet of the ``--minutes`` pick leans noisy instead (noise
  index about 2); on its three trainings min-p 0.01 lowers the noise scale a little
  (0.435 -> 0.412 on average) and the class score more (0.79 -> 0.72 of the real clips'),
  so its rule stays untruncated (docs/benchmarks.md, "Eighth session").

A family without a measured rule (a third-party architecture) gets SampleRNN's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: softmax temperature: 1 keeps the model's own distribution; min-p does the truncating
TEMPERATURE = 1.0
#: draw only among levels at least this fraction as likely as the most likely one
MIN_P = 0.02
#: the measured min-p of each model family (others: MIN_P)
MIN_P_BY_FAMILY: Mapping[str, float] = {"samplernn": MIN_P, "wavenet": 0.0}

__all__ = ["MIN_P", "MIN_P_BY_FAMILY", "TEMPERATURE", "min_p_for"]


def min_p_for(program: Mapping[str, Any], given: float | None = None) -> float:
    """``given`` when it is set (a user's ``--min-p``), else the recommended min-p for a
    model, from its program's ``family``.

    >>> min_p_for({"family": "wavenet"}), min_p_for({"family": "samplernn"})
    (0.0, 0.02)
    >>> min_p_for({"family": "wavenet"}, 0.1)
    0.1
    """
    if given is not None:
        return given
    return float(MIN_P_BY_FAMILY.get(str(program.get("family", "")), MIN_P))
