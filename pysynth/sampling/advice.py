"""What a user should know before sampling a model: warnings drawn from its file's metadata."""

from __future__ import annotations

import os

import numpy as np

from ..modelfile import ModelFile
from ..words import count
from .engines import load

__all__ = ["learned_little"]


def learned_little(model: str | os.PathLike | ModelFile) -> str | None:
    """A warning when a model's validation NLL is close to chance, else ``None``.

    Chance is ``log2(levels)`` bits per sample (8 for 256 levels): a model there has
    learned nothing and generates noise. Saying so before sampling answers the commonest
    complaint about neural audio tools ("it only makes noise, and I cannot tell why").
    """
    mf = load(model)
    nll = mf.metadata.get("val_nll_bits")
    if nll is None:
        return None
    chance = float(np.log2(int(mf.program["levels"])))
    if float(nll) < 0.9 * chance:
        return None
    epoch = mf.metadata.get("epoch")
    after = "" if epoch is None else f" after {count(int(epoch), 'epoch')}"
    return (
        f"this model's validation NLL is {float(nll):.2f} bits per sample, close to chance "
        f"({chance:.0f} bits){after}: it has "
        "learned little, so expect noise. Train longer (pysynth train --resume --epochs N), "
        "on more data, or check the dataset with pysynth map."
    )
