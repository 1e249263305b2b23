"""Background noise: a stretch of a recording from a folder, mixed in at an SNR range."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ...audio import load
from ...errors import ParameterError
from ...files import AUDIO_EXTENSIONS, audio_files
from ...registry import augmenters
from .base import Augmenter, uniform
from .noise import check_snr, mix_at_snr

#: Decoded noise files kept in memory per augmenter (they are reused clip after clip).
_CACHE_FILES = 32


@augmenters.register("background_noise")
class BackgroundNoise(Augmenter):
    """Mix in a random stretch of a random file from ``folder`` at an SNR drawn from a range.

    Parameters
    ----------
    folder : path-like
        Folder searched recursively for audio files (sorted, so the choice is
        reproducible; hidden files are skipped, see :func:`pysynth.files.audio_files`); in a
        recipe file a relative folder is relative to the recipe.
    snr_db : (float, float) or float
        Range of the signal-to-noise ratio in dB, within [-20, 120].
    p : float
        Probability of applying.

    Raises
    ------
    ParameterError
        If ``folder`` does not exist or holds no audio file.

    Notes
    -----
    A noise file shorter than the clip is looped. Files are resampled to the clip's rate
    and mixed down to mono. The lineage records the file (relative to ``folder``), the
    start offset in samples and the SNR, which is enough to redo the mix exactly.
    """

    name = "background_noise"
    path_params = ("folder",)

    def __init__(
        self, folder: str | os.PathLike, *, snr_db: Any = (10.0, 30.0), p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        self.snr_db = check_snr(snr_db, self.name)
        root = Path(folder)
        if not root.is_dir():
            raise ParameterError(
                f"{self.name} folder must be an existing folder of noise files, "
                f"got {str(folder)!r}"
            )
        files = [f.relative_to(root).as_posix() for f in audio_files(root)]
        if not files:
            raise ParameterError(
                f"{self.name} folder must hold audio files ({', '.join(AUDIO_EXTENSIONS)}), "
                f"got {str(folder)!r} with none"
            )
        self.folder = str(folder)
        self._files = files
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def _noise(self, file: str, sr: int) -> np.ndarray:
        key = (file, sr)
        if key not in self._cache:
            if len(self._cache) >= _CACHE_FILES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key], _ = load(Path(self.folder) / file, sr=sr, mono=True)
        return self._cache[key]

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        file = self._files[int(rng.integers(len(self._files)))]
        noise = self._noise(file, sr)
        span = max(len(noise) - len(y), 0)
        return {
            "file": file,
            "offset_samples": int(rng.integers(span + 1)),
            "snr_db": uniform(rng, self.snr_db),
        }

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        noise = self._noise(params["file"], sr)
        if len(noise) == 0:
            return y.copy()
        start = int(params["offset_samples"])
        idx = (start + np.arange(len(y))) % len(noise)  # loops a file shorter than the clip
        return mix_at_snr(y, noise[idx], params["snr_db"])
