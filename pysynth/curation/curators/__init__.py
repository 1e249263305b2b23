"""Built-in curators, registered in pysynth.registry.curators when this package is imported.

One module per curator; :mod:`.base` holds the contract every curator follows.
"""

from . import cut, decode, dedupe, normalize, reject, split, split_silence, trim
from .base import ClipRecord, Curator, Rejected, Segment

__all__ = [
    "ClipRecord", "Curator", "Rejected", "Segment",
    "cut", "decode", "dedupe", "normalize", "reject", "split", "split_silence", "trim",
]
