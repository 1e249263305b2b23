"""pysynth.evaluate: how close generated clips come to real ones (noise index, Fréchet
distance on a 0-1 noise scale, class scores, silent and clipped shares, novelty, near-copies)."""

from .api import evaluate
from .report import QualityReport

__all__ = ["QualityReport", "evaluate"]
