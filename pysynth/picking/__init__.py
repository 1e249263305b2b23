"""pysynth.pick: keep the few generated clips worth hearing (likelihood, quality measures,
near-copies, diversity), and the audition page where a listener marks them."""

from .api import pick
from .marks import copy_marked, read_marks
from .output import PickResult

__all__ = ["PickResult", "copy_marked", "pick", "read_marks"]
