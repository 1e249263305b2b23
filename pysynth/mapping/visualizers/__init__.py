"""Built-in visualizers (2-D reducers), registered in pysynth.registry.visualizers on import.

Each is a class following :class:`pysynth.mapping.Reducer`: ``fit(X)`` sets
``embedding_``; reducers that can place new points also implement ``transform``.
"""

from __future__ import annotations

from ...registry import visualizers
from .base import Reducer
from .pca import PCAReducer
from .som import SOMReducer
from .tsne import TSNEReducer
from .umap import UMAPReducer

for _cls in (PCAReducer, TSNEReducer, UMAPReducer, SOMReducer):
    visualizers.register(_cls.name, _cls)

__all__ = ["PCAReducer", "Reducer", "SOMReducer", "TSNEReducer", "UMAPReducer"]
