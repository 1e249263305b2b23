"""Training for a time budget: the ``"budget"`` learning-rate schedule (a cosine over the
budget's minutes instead of over epochs) and what ``pysynth train --minutes N`` sets.

A run on a laptop is bounded by minutes, not epochs: how many epochs fit depends on the
machine and its load, so a schedule over epochs would either stop before it decays or
decay before the time is up. The budget schedule sets the rate at the start of every epoch
from the training seconds already spent (summed from the run's history, so a resumed run
continues the schedule where it stopped).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

#: the schedule's last learning rate, as a fraction of the first (as the "cosine" one)
FINAL_FRACTION = 0.01


def budget_rate(initial: float, spent_seconds: float, budget_seconds: float) -> float:
    """The learning rate after ``spent_seconds`` of a ``budget_seconds`` budget.

    >>> budget_rate(1.0, 0, 600), round(budget_rate(1.0, 300, 600), 3), budget_rate(1.0, 900, 600)
    (1.0, 0.505, 0.01)
    """
    done = min(max(spent_seconds / budget_seconds, 0.0), 1.0)
    cosine = 0.5 * (1.0 + math.cos(math.pi * done))
    return float(initial * (FINAL_FRACTION + (1.0 - FINAL_FRACTION) * cosine))


def spent_seconds(state: dict[str, Any]) -> float:
    """Training seconds of the epochs a run has finished (its history's ``seconds``)."""
    return float(sum(row.get("seconds", 0.0) for row in state["history"]))


class BudgetSchedule(keras.callbacks.Callback):
    """Set the learning rate at each epoch start from the time the run has spent."""

    def __init__(self, state: dict[str, Any], initial: float, minutes: float) -> None:
        super().__init__()
        self.state, self.initial, self.budget = state, initial, 60.0 * minutes

    def on_epoch_begin(self, epoch, logs=None):
        rate = budget_rate(self.initial, spent_seconds(self.state), self.budget)
        self.model.optimizer.learning_rate.assign(np.float32(rate))
