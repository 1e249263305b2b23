"""Noise: white, pink or brown noise mixed in at a signal-to-noise ratio drawn from a range."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...checks import check_choice
from ...errors import ParameterError
from ...registry import augmenters
from .base import Augmenter, check_range, uniform

COLORS = ("white", "pink", "brown")

#: Noise seeds stay below 2**53 so every JSON reader keeps them exact.
_SEED_LIMIT = 2**53


def colored_noise(n: int, color: str, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of unit-RMS noise whose power spectrum falls as ``1 / f ** beta``.

    ``beta`` is 0 for white, 1 for pink (-3 dB per octave) and 2 for brown (-6 dB per
    octave). Shaped in the frequency domain from white Gaussian noise, DC removed.
    """
    check_choice(color, "color", COLORS)
    white = rng.standard_normal(n)
    if color == "white" or n < 2:
        noise = white
    else:
        beta = 1.0 if color == "pink" else 2.0
        spec = np.fft.rfft(white)
        f = np.fft.rfftfreq(n)
        scale = np.zeros_like(f)
        scale[1:] = f[1:] ** (-beta / 2.0)
        noise = np.fft.irfft(spec * scale, n=n)
    rms = float(np.sqrt(np.mean(noise**2))) if n else 0.0
    return (noise / rms if rms > 0 else noise).astype(np.float32)


def mix_at_snr(y: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Return ``y + g * noise`` with ``g`` set so that ``10 log10(P_y / P_{g noise}) = snr_db``.

    Powers are means of squares over the whole clip. A silent clip or silent noise is
    returned unchanged (no ratio can be defined).
    """
    p_y = float(np.mean(np.square(y, dtype=np.float64))) if len(y) else 0.0
    p_n = float(np.mean(np.square(noise, dtype=np.float64))) if len(noise) else 0.0
    if p_y == 0.0 or p_n == 0.0:
        return np.asarray(y, dtype=np.float32).copy()
    g = np.sqrt(p_y / (p_n * 10.0 ** (snr_db / 10.0)))
    return (y.astype(np.float64) + g * noise.astype(np.float64)).astype(np.float32)


def check_snr(snr_db: Any, owner: str) -> tuple[float, float]:
    """Validate an SNR range in dB (within [-20, 120])."""
    return check_range("snr_db", snr_db, low=-20.0, high=120.0, owner=owner)


@augmenters.register("noise")
class Noise(Augmenter):
    """Add white, pink or brown noise at an SNR (dB) drawn from a range.

    Parameters
    ----------
    snr_db : (float, float) or float
        Range of the signal-to-noise ratio in dB, within [-20, 120]; the signal's power
        is measured over the whole clip.
    color : str or list of str
        ``"white"``, ``"pink"``, ``"brown"``, or a list to pick from at random.
    p : float
        Probability of applying.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(np.arange(8000) * 0.05).astype(np.float32)
    >>> z, rec = Noise(snr_db=20.0, color="pink")(y, 8000, rng=np.random.default_rng(0))
    >>> round(float(10 * np.log10(np.mean(y**2) / np.mean((z - y)**2))), 1)
    20.0
    """

    name = "noise"

    def __init__(
        self, snr_db: Any = (20.0, 40.0), *, color: str | list[str] = "white", p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        self.snr_db = check_snr(snr_db, self.name)
        colors = [color] if isinstance(color, str) else color
        if (
            not isinstance(colors, (list, tuple))
            or not colors
            or any(c not in COLORS for c in colors)
        ):
            raise ParameterError(f"noise color must be one of {', '.join(map(repr, COLORS))} "
                                 f"or a list of them, got {color!r}")
        self.color = color if isinstance(color, str) else list(color)

    def sample(self, y: np.ndarray, sr: int, rng: np.random.Generator) -> dict[str, Any]:
        colors = [self.color] if isinstance(self.color, str) else list(self.color)
        color = colors[int(rng.integers(len(colors)))]
        return {
            "snr_db": uniform(rng, self.snr_db),
            "color": color,
            # the noise itself comes from its own seed so apply() stays a pure function
            "noise_seed": int(rng.integers(_SEED_LIMIT)),
        }

    def apply(self, y: np.ndarray, sr: int, params: dict[str, Any]) -> np.ndarray:
        noise = colored_noise(len(y), params["color"], np.random.default_rng(params["noise_seed"]))
        return mix_at_snr(y, noise, params["snr_db"])
