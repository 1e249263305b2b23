"""SampleRNN hyperparameters: the config dataclass, its validation and the named presets.

No TensorFlow here: configs are made, validated and turned into programs with numpy alone.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

from pysynth.arch import check_config_keys
from pysynth.audio import QUANTIZATIONS
from pysynth.errors import ParameterError

RNN_TYPES = ("gru", "lstm")


@dataclass
class SampleRNNConfig:
    """Hyperparameters of a SampleRNN (Mehri et al. 2017) and of its training.

    Parameters
    ----------
    frame_sizes : list of int
        Frame size of each frame tier, bottom tier first, strictly ascending, each a
        multiple of the one before (``[16, 64]``: a 3-level model with two frame tiers over
        the sample-level MLP; ``[16]``: the paper's "2-tier" model).
    dim : int
        Width ``H`` of every RNN, upsampling projection and MLP layer.
    rnn_type : {"gru", "lstm"}
    rnn_layers : int
        Stacked RNN layers in each frame tier.
    mlp_layers : int
        Hidden ``H x H`` layers of the sample-level MLP (after its embedding layer).
    embed_dim : int
        Size of the embedding of quantized samples fed to the sample-level MLP; on export
        the embedding is folded into the MLP's first layer (``sample.table``).
    skip_connections : bool
        Frame tiers output the sum of all their RNN layers' states instead of the last.
    weight_norm : bool
        Train dense/projection kernels with weight normalisation (folded on export).
    levels, quantization : int, {"mu-law", "linear"}
        Quantization of samples (``pysynth.audio.quantize``).
    sample_rate : int
        Sample rate of the training audio and of generated audio.
    seq_len : int
        Length of the subsequences of truncated backpropagation through time; a multiple
        of the top frame size. The RNN state is carried between consecutive subsequences
        of the same clips.
    batch_size : int
        Clips trained side by side: the carried RNN state has this many rows, so the model
        needs it. It is the same key as :class:`pysynth.training.TrainConfig`'s
        ``batch_size`` (``pysynth.train`` gives a ``batch_size`` option to both; the
        defaults agree), and the dataset hook checks that they match.

    The optimizer settings (learning rate, clipping, schedule) are the shared training
    loop's (:class:`pysynth.training.TrainConfig`).
    """

    frame_sizes: list[int] = field(default_factory=lambda: [4, 16])
    dim: int = 64
    rnn_type: str = "gru"
    rnn_layers: int = 1
    mlp_layers: int = 1
    embed_dim: int = 32
    skip_connections: bool = False
    weight_norm: bool = False
    levels: int = 256
    quantization: str = "mu-law"
    sample_rate: int = 16000
    seq_len: int = 128
    batch_size: int = 8

    # -- derived ------------------------------------------------------------------------
    @property
    def tiers(self) -> int:
        """Number of frame tiers (the sample-level MLP not counted)."""
        return len(self.frame_sizes)

    @property
    def top_frame_size(self) -> int:
        return int(self.frame_sizes[-1])

    def ratios(self) -> list[int]:
        """Upsampling ratio ``r_i = F_i / F_{i-1}`` of each frame tier (``r_0 = F_0``)."""
        fs = [int(f) for f in self.frame_sizes]
        return [fs[0]] + [fs[i] // fs[i - 1] for i in range(1, len(fs))]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # -- validation -----------------------------------------------------------------------
    def validate(self) -> SampleRNNConfig:
        """Check every field; raise :class:`ParameterError` naming the first bad one.

        Returns ``self`` so that ``SampleRNNConfig(...).validate()`` chains.
        """
        fs = self.frame_sizes
        if isinstance(fs, (int, str)) or not hasattr(fs, "__len__") or len(fs) == 0:
            raise ParameterError(
                f"frame_sizes must be a non-empty list of positive integers, got {fs!r}"
            )
        for f in fs:
            if not _is_int(f) or f < 1:
                raise ParameterError(f"frame_sizes must hold positive integers, got {fs!r}")
        for lo, hi in itertools.pairwise(fs):
            if hi <= lo or hi % lo:
                raise ParameterError(
                    "frame_sizes must be strictly ascending (bottom tier first), each a multiple "
                    f"of the one before, got {fs!r}"
                )
        self.frame_sizes = [int(f) for f in fs]
        _positive_int("dim", self.dim)
        if self.rnn_type not in RNN_TYPES:
            raise ParameterError(f"rnn_type must be one of {RNN_TYPES}, got {self.rnn_type!r}")
        _positive_int("rnn_layers", self.rnn_layers)
        if not _is_int(self.mlp_layers) or self.mlp_layers < 0:
            raise ParameterError(f"mlp_layers must be an integer >= 0, got {self.mlp_layers!r}")
        _positive_int("embed_dim", self.embed_dim)
        for name in ("skip_connections", "weight_norm"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if not _is_int(self.levels) or not 2 <= self.levels <= 65536:
            raise ParameterError(f"levels must be an integer in [2, 65536], got {self.levels!r}")
        if self.quantization not in QUANTIZATIONS:
            raise ParameterError(
                f"quantization must be one of {QUANTIZATIONS}, got {self.quantization!r}"
            )
        _positive_int("sample_rate", self.sample_rate)
        _positive_int("seq_len", self.seq_len)
        if self.seq_len % self.top_frame_size:
            raise ParameterError(
                f"seq_len must be a multiple of the top frame size {self.top_frame_size}, "
                f"got {self.seq_len!r}"
            )
        _positive_int("batch_size", self.batch_size)
        return self


def _is_int(v: Any) -> bool:
    import numpy as np

    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _positive_int(name: str, v: Any) -> None:
    if not _is_int(v) or v < 1:
        raise ParameterError(f"{name} must be a positive integer, got {v!r}")


#: Named presets (overrides of the defaults). ``small`` learns on two CPU cores in minutes.
PRESETS: dict[str, dict[str, Any]] = {
    "small": {},
    # Mehri et al. 2017, best 2-tier model (github.com/soroushmehr/sampleRNN_ICLR2017 README:
    # frame size 16, 3 GRU layers of 1024, embedding 256, linear 256 levels, weight norm,
    # learned h0, subsequences of 64 frames; its batch size 128 is a TrainConfig option).
    "paper-2tier": {
        "frame_sizes": [16],
        "dim": 1024,
        "rnn_type": "gru",
        "rnn_layers": 3,
        "mlp_layers": 2,
        "embed_dim": 256,
        "skip_connections": False,
        "weight_norm": True,
        "levels": 256,
        "quantization": "linear",
        "seq_len": 1024,
    },
    # Mehri et al. 2017, best 3-tier model: big frame 8, frame 2, 1 GRU layer of 1024 per tier.
    "paper-3tier": {
        "frame_sizes": [2, 8],
        "dim": 1024,
        "rnn_type": "gru",
        "rnn_layers": 1,
        "mlp_layers": 2,
        "embed_dim": 256,
        "skip_connections": False,
        "weight_norm": True,
        "levels": 256,
        "quantization": "linear",
        "seq_len": 512,
    },
    # prism-samplernn's default.config.json: frame sizes 16 and 64, dim 1024, 4 GRU layers,
    # mu-law 256, embedding 256, seq_len 1024 (its batch size 64 is a TrainConfig option).
    "prism": {
        "frame_sizes": [16, 64],
        "dim": 1024,
        "rnn_type": "gru",
        "rnn_layers": 4,
        "mlp_layers": 2,
        "embed_dim": 256,
        "skip_connections": False,
        "weight_norm": True,
        "levels": 256,
        "quantization": "mu-law",
        "seq_len": 1024,
    },
}


def make_config(
    overrides: dict[str, Any] | SampleRNNConfig | None = None, *, preset: str | None = None
) -> SampleRNNConfig:
    """Return a validated config from a preset name and/or overrides (unknown keys raise)."""
    if isinstance(overrides, SampleRNNConfig):
        if preset is not None:
            raise ParameterError("pass either a SampleRNNConfig or a preset, not both")
        return overrides.validate()
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in PRESETS:
            import difflib

            close = difflib.get_close_matches(str(preset), sorted(PRESETS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"unknown samplernn preset {preset!r}{hint}; known: {', '.join(sorted(PRESETS))}"
            )
        values.update(PRESETS[preset])
    values.update(overrides or {})
    check_config_keys(values, {f.name for f in dataclasses.fields(SampleRNNConfig)},
                      owner="samplernn")
    values = {k: (list(v) if k == "frame_sizes" and isinstance(v, tuple) else v)
              for k, v in values.items()}
    return SampleRNNConfig(**values).validate()
