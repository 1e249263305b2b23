"""SampleRNN hyperparameters: the config dataclass, its presets, the exported program and its
tensor table, and the frame facts (upsampling ratios).

No TensorFlow here: configs are made, validated and turned into programs with numpy alone.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pysynth.arch import check_tensors
from pysynth.arch import make_config as _make_config
from pysynth.audio import QUANTIZATIONS
from pysynth.checks import check_bool, check_choice, check_int, check_number, is_int
from pysynth.emphasis import check_preemphasis
from pysynth.errors import ModelFileError, ParameterError
from pysynth.mixture import check_config_output, output_program_keys, output_width
from pysynth.prediction import check_lpc, lpc_program_keys, lpc_tensor_shapes
from pysynth.timescale import check_sizes_rate, scaled_count, scaled_multiple

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
    output, mixtures : {"softmax", "mol16"}, int
        The output distribution: a softmax over the ``levels`` (default), or ``"mol16"``,
        a discretized mixture of ``mixtures`` (default 10) logistics over 65,536 linear
        levels (16-bit; sets ``levels`` and ``quantization``, and the sample-level MLP
        reads its last ``F_0`` samples as numbers, ``sample.weight``;
        :mod:`pysynth.mixture`). Program keys (absent = softmax).
    lpc_order, lpc : int, list of float
        ``P`` > 0 (mol16 only, at most the top frame size): the mixture means are the
        dataset's order-``P`` linear prediction from the previous samples plus the
        network's correction in units of each component's scale (:mod:`pysynth.prediction`),
        so a damped resonance is continued exactly; ``lpc`` holds the coefficients, fitted
        by ``pysynth.train`` on the training clips and kept in the run's config. 0
        (default): off. ``lpc_order`` is a program key.
    preemphasis : float
        In [0, 1), 0 = off: the model learns the audio through the pre-emphasis filter
        ``(x[n] - a x[n-1]) / (1 + a)`` and generation inverts it, so its quantization and
        sampling noise falls off towards high frequencies under the signal
        (:mod:`pysynth.emphasis`; 0.85 as in LPCNet). A program key (absent = 0).
    sample_rate : int
        Sample rate of the training audio and of generated audio.
    seq_len : int
        Length of the subsequences of truncated backpropagation through time; a multiple
        of the top frame size. The RNN state is carried between consecutive subsequences
        of the same clips.
    sizes_rate : int
        The sample rate the sample-counted sizes (``frame_sizes``, ``seq_len``,
        ``position_hop``) are written for; training on a dataset of another rate rescales
        them to cover the same milliseconds (:func:`sizes_for_rate`). 0 (default): take
        them as samples. Every preset sets 16000. Not a program key.
    input_noise : int
        Training only: every input sample (not the target) moves by a random integer in
        ``[-input_noise, input_noise]`` levels (0: off; as WaveNet's, see
        :func:`pysynth.training.noisy_inputs`). Not part of the exported program.
    start_share : float
        Training only: a batch row reads this share of the clips it takes only up to their
        first chunk, then takes the next clip (0, default: every clip to where its sound
        ends). A one-shot's kind is decided in its first milliseconds, and a row that reads
        whole clips spends one chunk in twenty on them. Not part of the exported program.
    conditioning_classes : int
        ``C``: number of classes of the global condition (0 = unconditioned): a learned row
        per class is added to every frame tier's RNN input, so one model makes each kind of
        sound on demand. ``-1`` (default) means "one class per label of the training
        dataset when it has at least two labels, else 0", resolved by ``pysynth.train``; a
        config never fitted to a dataset treats it as 0.
    position_frames : int
        ``P``: rows of the position table (0 = no position input). The top tier's step at
        the frame that starts at sample ``t`` of a clip (counted from its first sample; a
        prime counts as the start) adds the learned row ``min(t // position_hop, P - 1)``
        to its RNN input, so the model knows whether it is in the attack or the tail of a
        one-shot. ``-1`` (default) is resolved by ``pysynth.train``: enough frames to cover
        the longest training clip, at most 256 (0 when one frame covers them); a config
        never fitted to a dataset treats it as 0.
    position_hop : int
        ``H``: samples per position frame, default 256 (16 ms at 16 kHz); any positive
        integer (a top frame straddling two position frames takes the one of its first
        sample).
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
    output: str = "softmax"
    mixtures: int = 10
    lpc_order: int = 0
    lpc: list[float] = field(default_factory=list)
    preemphasis: float = 0.0
    sample_rate: int = 16000
    seq_len: int = 128
    sizes_rate: int = 0
    batch_size: int = 8
    input_noise: int = 0
    start_share: float = 0.0
    conditioning_classes: int = -1
    position_frames: int = -1
    position_hop: int = 256

    # -- derived ------------------------------------------------------------------------
    @property
    def tiers(self) -> int:
        """Number of frame tiers (the sample-level MLP not counted)."""
        return len(self.frame_sizes)

    @property
    def top_frame_size(self) -> int:
        return int(self.frame_sizes[-1])

    @property
    def classes(self) -> int:
        """Conditioning classes of the model (``-1`` not resolved from a dataset: 0)."""
        return max(int(self.conditioning_classes), 0)

    @property
    def positions(self) -> int:
        """Position frames of the model (``-1`` not resolved from a dataset: 0)."""
        return max(int(self.position_frames), 0)

    def ratios(self) -> list[int]:
        """Upsampling ratio ``r_i = F_i / F_{i-1}`` of each frame tier (``r_0 = F_0``)."""
        return frame_ratios(self.frame_sizes)

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
            if not is_int(f) or f < 1:
                raise ParameterError(f"frame_sizes must hold positive integers, got {fs!r}")
        for lo, hi in itertools.pairwise(fs):
            if hi <= lo or hi % lo:
                raise ParameterError(
                    "frame_sizes must be strictly ascending (bottom tier first), each a multiple "
                    f"of the one before, got {fs!r}"
                )
        self.frame_sizes = [int(f) for f in fs]

        def need_int(name: str, lo: int, hi: int | None = None) -> None:
            setattr(self, name, check_int(getattr(self, name), name, lo=lo, hi=hi,
                                          owner="samplernn"))

        need_int("dim", 1)
        check_choice(self.rnn_type, "rnn_type", RNN_TYPES, owner="samplernn")
        need_int("rnn_layers", 1)
        need_int("mlp_layers", 0)
        need_int("embed_dim", 1)
        self.skip_connections = check_bool(self.skip_connections, "skip_connections",
                                           owner="samplernn")
        self.weight_norm = check_bool(self.weight_norm, "weight_norm", owner="samplernn")
        need_int("levels", 2, 65536)
        check_choice(self.quantization, "quantization", QUANTIZATIONS, owner="samplernn")
        check_config_output(self, "samplernn")
        check_lpc(self, "samplernn")
        if self.lpc_order > self.top_frame_size:  # the training chunks carry that much past
            raise ParameterError(
                f"samplernn lpc_order must be at most the top frame size {self.top_frame_size}, "
                f"got {self.lpc_order}")
        self.preemphasis = check_preemphasis(self.preemphasis, owner="samplernn")
        need_int("sample_rate", 1)
        need_int("seq_len", 1)
        need_int("input_noise", 0, 64)
        self.start_share = check_number(self.start_share, "start_share", lo=0.0, hi=1.0,
                                        owner="samplernn")
        if self.seq_len % self.top_frame_size:
            raise ParameterError(
                f"samplernn seq_len must be a multiple of the top frame size "
                f"{self.top_frame_size}, got {self.seq_len!r}"
            )
        need_int("batch_size", 1)
        need_int("conditioning_classes", -1)
        need_int("position_frames", -1)
        need_int("position_hop", 1)
        self.sizes_rate = check_sizes_rate(self.sizes_rate, owner="samplernn")
        return self


def frame_ratios(frame_sizes) -> list[int]:
    """Upsampling ratio ``r_i = F_i / F_{i-1}`` of each frame tier (``r_0 = F_0``)."""
    fs = [int(f) for f in frame_sizes]
    return [fs[0]] + [fs[i] // fs[i - 1] for i in range(1, len(fs))]


#: Named presets (overrides of the defaults). ``small`` learns on two CPU cores in minutes.
PRESETS: dict[str, dict[str, Any]] = {
    # every preset's frame sizes are meant at 16 kHz: sizes_rate carries them to the
    # dataset's rate (sizes_for_rate), so a frame covers the same time at every rate
    "small": {"sizes_rate": 16000},
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
        "sizes_rate": 16000,
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
        "sizes_rate": 16000,
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
        "sizes_rate": 16000,
    },
}


def sizes_for_rate(config: SampleRNNConfig, rate: int) -> dict[str, Any]:
    """The changes that carry ``config``'s sample-counted sizes from ``sizes_rate`` to
    ``rate`` (none when it is 0 or already ``rate``): the bottom frame size scaled and the
    tiers' ratios kept (so every frame covers about the same time), ``seq_len`` scaled to a
    multiple of the new top frame, ``position_hop`` scaled; ``sizes_rate`` becomes ``rate``.

    >>> c = make_config(preset="small")
    >>> [sizes_for_rate(c, r)["frame_sizes"] for r in (22050, 44100, 48000)]
    [[6, 24], [11, 44], [12, 48]]
    """
    if not config.sizes_rate or config.sizes_rate == rate:
        return {}
    ratio = rate / config.sizes_rate
    frames = [scaled_count(config.frame_sizes[0], ratio)]
    for r in frame_ratios(config.frame_sizes)[1:]:
        frames.append(frames[-1] * r)
    return {"frame_sizes": frames, "seq_len": scaled_multiple(config.seq_len, ratio, frames[-1]),
            "position_hop": scaled_count(config.position_hop, ratio), "sizes_rate": int(rate)}


def make_config(
    overrides: dict[str, Any] | SampleRNNConfig | None = None, *, preset: str | None = None
) -> SampleRNNConfig:
    """Return a validated config from a preset name and/or overrides (unknown keys raise)."""
    return _make_config(SampleRNNConfig, overrides, preset=preset, presets=PRESETS,
                        owner="samplernn")


PROGRAM_KEYS = (
    "family", "levels", "quantization", "sample_rate", "frame_sizes", "dim",
    "rnn_type", "rnn_layers", "skip_connections", "mlp_layers",
)

#: program keys a program may lack (absent = 0, off): old model files have none of them,
#: and programs without a condition or position are written without them, as before
OPTIONAL_PROGRAM_KEYS = ("conditioning_classes", "position_frames", "position_hop", "preemphasis",
                         "output", "mixtures", "lpc_order")


def program_from_config(config: SampleRNNConfig) -> dict[str, Any]:
    """The JSON program of a config (docs/architecture.md, "SampleRNN program")."""
    config = make_config(config)
    program = {
        "family": "samplernn",
        "levels": int(config.levels),
        "quantization": str(config.quantization),
        "sample_rate": int(config.sample_rate),
        "frame_sizes": [int(f) for f in config.frame_sizes],
        "dim": int(config.dim),
        "rnn_type": str(config.rnn_type),
        "rnn_layers": int(config.rnn_layers),
        "skip_connections": bool(config.skip_connections),
        "mlp_layers": int(config.mlp_layers),
    }
    if config.classes > 0:
        program["conditioning_classes"] = config.classes
    if config.positions > 0:
        program["position_frames"] = config.positions
        program["position_hop"] = int(config.position_hop)
    if config.preemphasis > 0:
        program["preemphasis"] = float(config.preemphasis)
    program.update(output_program_keys(config))
    program.update(lpc_program_keys(config))
    return program


def tensor_shapes(program: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor a program needs (docs/architecture.md)."""
    q, h = int(program["levels"]), int(program["dim"])
    fs = [int(f) for f in program["frame_sizes"]]
    g = 3 if program["rnn_type"] == "gru" else 4
    ratios = frame_ratios(fs)
    c = int(program.get("conditioning_classes", 0))
    pf = int(program.get("position_frames", 0))
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (f, r) in enumerate(zip(fs, ratios)):
        p = f"tiers.{i}."
        shapes[p + "input.weight"] = (f, h)
        shapes[p + "input.bias"] = (h,)
        if c > 0:
            shapes[p + "cond.table"] = (c, h)
        if i == len(fs) - 1 and pf > 0:
            shapes[p + "pos.table"] = (pf, h)
        for layer in range(int(program["rnn_layers"])):
            pl = f"{p}rnn.{layer}."
            shapes[pl + "kernel"] = (h, g * h)
            shapes[pl + "recurrent_kernel"] = (h, g * h)
            shapes[pl + "bias"] = (2, 3 * h) if g == 3 else (4 * h,)
            shapes[pl + "h0"] = (h,)
            if g == 4:
                shapes[pl + "c0"] = (h,)
        shapes[p + "upsample.weight"] = (h, r * h)
        shapes[p + "upsample.bias"] = (r * h,)
    if program.get("output", "softmax") == "mol16":  # the last F_0 samples as numbers
        shapes["sample.weight"] = (fs[0], h)
    else:
        shapes["sample.table"] = (fs[0], q, h)
    shapes["sample.bias"] = (h,)
    for k in range(int(program["mlp_layers"])):
        shapes[f"sample.hidden.{k}.weight"] = (h, h)
        shapes[f"sample.hidden.{k}.bias"] = (h,)
    shapes["sample.output.weight"] = (h, output_width(program))
    shapes["sample.output.bias"] = (output_width(program),)
    shapes.update(lpc_tensor_shapes(program))
    return shapes


def check_program(program: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
    """Raise :class:`ModelFileError` unless ``program`` and ``tensors`` form a valid export."""
    missing = [k for k in PROGRAM_KEYS if k not in program]
    if missing:
        raise ModelFileError(f"samplernn program lacks key(s) {missing}")
    if program["family"] != "samplernn":
        raise ModelFileError(f"program family is {program['family']!r}, not 'samplernn'")
    try:
        values = {k: program[k] for k in PROGRAM_KEYS if k != "family"}
        values |= {k: program[k] for k in OPTIONAL_PROGRAM_KEYS if k in program}
        top = values["frame_sizes"][-1] if isinstance(values["frame_sizes"], list) else 1
        make_config({**values, "seq_len": top if is_int(top) and top > 0 else 1})
    except ParameterError as exc:
        raise ModelFileError(f"invalid samplernn program: {exc}") from None
    for key in OPTIONAL_PROGRAM_KEYS[:2]:  # -1 ("from the dataset") is a config value only
        if program.get(key, 0) < 0:
            raise ModelFileError(
                f"invalid samplernn program: {key} must be >= 0, got {program[key]!r}")
    if program.get("position_frames", 0) > 0 and "position_hop" not in program:
        raise ModelFileError("samplernn program has position_frames but lacks position_hop")
    check_tensors(tensors, tensor_shapes(program), family="samplernn")
