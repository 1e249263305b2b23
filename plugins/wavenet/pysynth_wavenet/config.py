"""WaveNet hyperparameters: the config dataclass, its presets, the exported program and its
tensor table, and the receptive field.

Everything here is plain Python and numpy (no TensorFlow), so that configs can be
validated, described and turned into engine programs with the core install.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# shared with SampleRNN (same keys, same meaning); re-exported here for this plugin's users
from pysynth.arch import (  # noqa: F401
    MAX_AUTO_POSITION_FRAMES,
    check_tensors,
    position_frame,
    position_frames_for,
)
from pysynth.arch import make_config as _make_config
from pysynth.audio import QUANTIZATIONS
from pysynth.checks import check_choice, check_int, check_number, is_int
from pysynth.emphasis import check_preemphasis
from pysynth.errors import ModelFileError, ParameterError
from pysynth.mixture import check_config_output, output_program_keys, output_width
from pysynth.prediction import check_lpc, lpc_program_keys, lpc_tensor_shapes
from pysynth.timescale import (
    check_sizes_rate,
    power_of_two_below,
    power_of_two_stack,
    scaled_count,
)

#: old config key -> current key (``window`` was renamed ``seq_len``, SampleRNN's name)
ALIASES = {"window": "seq_len"}

#: keys added since runs were first saved -> what those runs trained with (no position input)
ADDED = {"position_frames": 0}


def dilation_stacks(max_dilation: int, stacks: int) -> list[int]:
    """Dilations ``1, 2, 4, ..., max_dilation`` repeated ``stacks`` times.

    Examples
    --------
    >>> dilation_stacks(4, 2)
    [1, 2, 4, 1, 2, 4]
    """
    if not is_int(max_dilation) or max_dilation < 1 or max_dilation & (max_dilation - 1):
        raise ParameterError(f"max_dilation must be a power of two >= 1, got {max_dilation!r}")
    stacks = check_int(stacks, "stacks", lo=1)
    one = [1 << i for i in range(int(max_dilation).bit_length())]
    return one * stacks


@dataclass
class WaveNetConfig:
    """Hyperparameters of a WaveNet (van den Oord et al. 2016), after ibab/tensorflow-wavenet.

    The defaults are the ``"small"`` preset: two stacks of dilations 1..128 (a receptive
    field of 512 samples, 32 ms at 16 kHz), small enough to learn something on two CPU
    cores in minutes. The model computation is specified in docs/architecture.md.

    Attributes
    ----------
    levels : int
        Number of quantization levels ``Q`` (softmax size), default 256.
    quantization : str
        ``"mu-law"`` (default) or ``"linear"``; see :func:`pysynth.audio.quantize`.
    output : str
        ``"softmax"`` (default): a softmax over the ``levels``; ``"mol16"``: a discretized
        mixture of ``mixtures`` logistics over 65,536 linear levels (16-bit; sets
        ``levels`` and ``quantization``; :mod:`pysynth.mixture`). A program key (absent =
        softmax).
    mixtures : int
        Logistic components of a ``mol16`` output (default 10; unused otherwise).
    lpc_order : int
        ``P`` > 0 (mol16 only): the mixture means are the dataset's order-``P`` linear
        prediction from the previous samples plus the network's correction in units of
        each component's scale (:mod:`pysynth.prediction`), so a damped resonance (a
        decaying partial) is continued exactly. 0 (default): off. A program key.
    lpc : list of float
        The ``lpc_order`` predictor coefficients; empty until ``pysynth.train`` fits them
        by least squares on the training clips (:func:`pysynth.prediction.fit_lpc`),
        kept in the run's config so that a resumed run uses the same.
    preemphasis : float
        In [0, 1), 0 = off: the model learns the audio through the pre-emphasis filter
        ``(x[n] - a x[n-1]) / (1 + a)`` and generation inverts it, so its quantization and
        sampling noise falls off towards high frequencies under the signal
        (:mod:`pysynth.emphasis`; 0.85 as in LPCNet). A program key (absent = 0).
    sample_rate : int
        Audio sample rate in Hz. Training sets it from the dataset.
    filter_width : int
        Width ``K`` of the dilated causal convolutions (>= 2), default 2.
    initial_filter_width : int
        Width ``K0`` of the first (input) causal convolution, default 2.
    dilations : list of int
        One dilation per residual layer, e.g. ``dilation_stacks(128, 2)``.
    residual_channels, dilation_channels, skip_channels, output_channels : int
        ``R``, ``D`` (the gated unit has ``2D`` pre-activations), ``S`` and the hidden
        width ``H`` of the output head.
    input_embedding : int
        0 (default) feeds the previous sample one-hot; ``E > 0`` feeds a learned
        ``E``-dimensional embedding. Both are folded into ``input.table`` on export.
    conditioning_classes : int
        ``C``: number of global-condition classes (0 = unconditioned). ``-1`` (default)
        means "one class per label of the training dataset when it has at least two
        labels, else 0" and is resolved by ``pysynth.train``; a config never fitted to a
        dataset treats it as 0.
    position_frames : int
        ``P``: rows of the position tables (0 = no position input). Sample ``t`` of a clip
        (counted from its first sample; a prime counts as the start) is in frame
        ``min(t // position_hop, P - 1)``, and every layer adds its learned row of that
        frame to its gate pre-activations, so the model knows whether it is in the attack
        or the tail of a one-shot, which a receptive field of milliseconds cannot tell.
        ``-1`` (default) is resolved by ``pysynth.train``: enough frames to cover the
        longest training clip, at most :data:`MAX_AUTO_POSITION_FRAMES` (0 when the clips
        are no longer than one frame).
    position_hop : int
        ``H``: samples per position frame, default 256 (16 ms at 16 kHz).
    sizes_rate : int
        The sample rate the sample-counted sizes (``dilations``, ``seq_len``,
        ``position_hop``) are written for; training on a dataset of another rate rescales
        them to cover the same milliseconds (:func:`sizes_for_rate`; the receptive field
        within one layer's span). 0 (default): take them as samples. Every preset sets
        16000, so a preset means the same at 16, 22.05, 44.1 and 48 kHz. Not a program key.
    seq_len : int
        Training sequence length: scored target samples per training example (the
        receptive field of context is added in front of them). Called ``window`` before;
        that key is still read.
    input_noise : int
        Training only: every input sample (not the target) moves by a random integer in
        ``[-input_noise, input_noise]`` levels, so the model learns to continue from a
        slightly wrong past, as it must when it continues its own samples (0: off;
        :func:`pysynth.training.noisy_inputs`). Not part of the exported program.
    start_share : float
        Training only: this share of the training windows begins at a clip's first sample
        (the rest fall anywhere the clip sounds). A one-shot's class is decided in its
        first milliseconds, where the model has only its condition to go on, and random
        windows over 1-s drum clips held a clip start about one time in ten; at 1/3 a
        10-minute WaveNet's hi-hats and cymbals stopped carrying a kick's low body
        (docs/benchmarks.md). 0 (default): windows anywhere. Not part of the exported
        program.
    """

    levels: int = 256
    quantization: str = "mu-law"
    output: str = "softmax"
    mixtures: int = 10
    lpc_order: int = 0
    lpc: list[float] = field(default_factory=list)
    preemphasis: float = 0.0
    sample_rate: int = 16000
    filter_width: int = 2
    initial_filter_width: int = 2
    dilations: list[int] = field(default_factory=lambda: dilation_stacks(128, 2))
    residual_channels: int = 32
    dilation_channels: int = 32
    skip_channels: int = 128
    output_channels: int = 128
    input_embedding: int = 0
    conditioning_classes: int = -1
    sizes_rate: int = 0
    seq_len: int = 2048
    input_noise: int = 0
    start_share: float = 0.0
    position_frames: int = -1
    position_hop: int = 256

    def validate(self) -> WaveNetConfig:
        """Check every value; raise :class:`ParameterError` naming the first bad one."""

        def need_int(name: str, lo: int, hi: int | None = None) -> None:
            setattr(self, name, check_int(getattr(self, name), name, lo=lo, hi=hi, owner="wavenet"))

        need_int("levels", 2, 65536)
        check_choice(self.quantization, "quantization", QUANTIZATIONS, owner="wavenet")
        check_config_output(self, "wavenet")
        check_lpc(self, "wavenet")
        self.preemphasis = check_preemphasis(self.preemphasis, owner="wavenet")
        need_int("sample_rate", 100, 768_000)
        need_int("filter_width", 2)
        need_int("initial_filter_width", 1)
        d = self.dilations
        if (
            not isinstance(d, (list, tuple))
            or not d
            or not all(is_int(x) and x >= 1 for x in d)
        ):
            raise ParameterError(
                f"wavenet dilations must be a non-empty list of integers >= 1, got {d!r}"
            )
        self.dilations = [int(x) for x in d]
        for name in ("residual_channels", "dilation_channels", "skip_channels", "output_channels"):
            need_int(name, 1)
        need_int("input_embedding", 0)
        need_int("conditioning_classes", -1)
        need_int("seq_len", 1)
        need_int("input_noise", 0, 64)
        self.start_share = check_number(self.start_share, "start_share", lo=0.0, hi=1.0,
                                        owner="wavenet")
        need_int("position_frames", -1)
        need_int("position_hop", 1)
        self.sizes_rate = check_sizes_rate(self.sizes_rate, owner="wavenet")
        return self

    # -- derived facts ---------------------------------------------------------------
    @property
    def receptive_field(self) -> int:
        """Previous samples a prediction can see: ``(K-1) * sum(dilations) + K0``."""
        return receptive_field(self.filter_width, self.dilations, self.initial_filter_width)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["dilations"] = [int(x) for x in self.dilations]
        return d


def sizes_for_rate(config: WaveNetConfig, rate: int) -> dict[str, Any]:
    """The changes that carry ``config``'s sample-counted sizes from ``sizes_rate`` to
    ``rate`` (none when it is 0 or already ``rate``): the dilations refilled with powers of
    two up to the old top dilation scaled (:func:`pysynth.timescale.power_of_two_stack`),
    so the receptive field covers the same time within one layer's span, and ``seq_len``
    and ``position_hop`` scaled; ``sizes_rate`` becomes ``rate``.

    >>> c = make_config(preset="small")
    >>> [receptive_field(2, sizes_for_rate(c, r)["dilations"], 2) for r in (22050, 44100, 48000)]
    [705, 1408, 1532]
    """
    if not config.sizes_rate or config.sizes_rate == rate:
        return {}
    ratio = rate / config.sizes_rate
    k = config.filter_width - 1
    span = max(1, round((config.receptive_field - config.initial_filter_width) * ratio / k))
    top = power_of_two_below(max(config.dilations) * ratio)
    return {"dilations": power_of_two_stack(span, top),
            "seq_len": scaled_count(config.seq_len, ratio),
            "position_hop": scaled_count(config.position_hop, ratio), "sizes_rate": int(rate)}


def make_config(
    overrides: dict[str, Any] | WaveNetConfig | None = None, *, preset: str | None = None
) -> WaveNetConfig:
    """Return a validated config from a preset name and/or overrides (unknown keys raise)."""
    return _make_config(WaveNetConfig, overrides, preset=preset, presets=PRESETS,
                        owner="wavenet", aliases=ALIASES)


def receptive_field(filter_width: int, dilations: list[int], initial_filter_width: int) -> int:
    """``(K-1) * sum(dilations) + K0`` previous samples (docs/architecture.md)."""
    return (int(filter_width) - 1) * int(sum(dilations)) + int(initial_filter_width)


PRESETS: dict[str, dict[str, Any]] = {
    # Learns something on two CPU cores in minutes; receptive field 512 samples.
    "small": {
        "filter_width": 2,
        "initial_filter_width": 2,
        "dilations": dilation_stacks(128, 2),
        "residual_channels": 32,
        "dilation_channels": 32,
        "skip_channels": 128,
        "output_channels": 128,
        "levels": 256,
        "sizes_rate": 16000,  # 32 ms of receptive field at every rate
    },
    # ibab/tensorflow-wavenet's published wavenet_params.json, as its code computes it:
    # the file says initial_filter_width 32, but ibab uses that only with scalar input; its
    # one-hot model's first conv has the filter width (2), so that is what we build.
    # ibab's output head is skip -> relu -> 1x1 (S) -> relu -> 1x1 (Q), so H = S = 512.
    "ibab": {
        "filter_width": 2,
        "initial_filter_width": 2,
        "dilations": dilation_stacks(512, 5),
        "residual_channels": 32,
        "dilation_channels": 32,
        "skip_channels": 512,
        "output_channels": 512,
        "levels": 256,
        "quantization": "mu-law",
        "sample_rate": 16000,
        "seq_len": 4096,
        "sizes_rate": 16000,
    },
}


PROGRAM_KEYS = (
    "family", "levels", "quantization", "sample_rate", "initial_filter_width",
    "filter_width", "dilations", "residual_channels", "dilation_channels",
    "skip_channels", "output_channels",
)  # and the optional keys below


#: program keys that a program may lack (0 = off; old model files have none of them)
OPTIONAL_PROGRAM_KEYS = ("conditioning_classes", "position_frames", "position_hop", "preemphasis",
                         "output", "mixtures", "lpc_order")


def program_from_config(config: WaveNetConfig) -> dict[str, Any]:
    """The engine program (docs/architecture.md, "WaveNet program") of a config."""
    config.validate()
    if config.position_frames < 0:
        raise ParameterError(
            "wavenet position_frames=-1 (enough to cover the longest training clip) must be "
            "resolved before export; set it to the number of frames (0 = no position input)"
        )
    program = {
        "family": "wavenet",
        "levels": int(config.levels),
        "quantization": str(config.quantization),
        "sample_rate": int(config.sample_rate),
        "initial_filter_width": int(config.initial_filter_width),
        "filter_width": int(config.filter_width),
        "dilations": [int(d) for d in config.dilations],
        "residual_channels": int(config.residual_channels),
        "dilation_channels": int(config.dilation_channels),
        "skip_channels": int(config.skip_channels),
        "output_channels": int(config.output_channels),
        "conditioning_classes": max(int(config.conditioning_classes), 0),  # -1 unresolved: 0
    }
    if config.position_frames > 0:  # absent keys keep programs without position as they were
        program["position_frames"] = int(config.position_frames)
        program["position_hop"] = int(config.position_hop)
    if config.preemphasis > 0:
        program["preemphasis"] = float(config.preemphasis)
    program.update(output_program_keys(config))
    program.update(lpc_program_keys(config))
    return program


def tensor_shapes(program: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor a WaveNet program needs (docs/architecture.md)."""
    q = int(program["levels"])
    k0 = int(program["initial_filter_width"])
    k = int(program["filter_width"])
    r = int(program["residual_channels"])
    d = int(program["dilation_channels"])
    s = int(program["skip_channels"])
    h = int(program["output_channels"])
    c = int(program.get("conditioning_classes", 0))
    pf = int(program.get("position_frames", 0))
    mol = program.get("output", "softmax") == "mol16"
    # a mol16 model reads its past samples as numbers: no 65,536-row table per tap
    shapes: dict[str, tuple[int, ...]] = {
        "input.weight" if mol else "input.table": (k0, r) if mol else (k0, q, r),
        "input.bias": (r,)}
    for i in range(len(program["dilations"])):
        p = f"layers.{i}."
        shapes[p + "conv.weight"] = (k, r, 2 * d)
        shapes[p + "conv.bias"] = (2 * d,)
        if c > 0:
            shapes[p + "cond.table"] = (c, 2 * d)
        if pf > 0:
            shapes[p + "pos.table"] = (pf, 2 * d)
        shapes[p + "res.weight"] = (d, r)
        shapes[p + "res.bias"] = (r,)
        shapes[p + "skip.weight"] = (d, s)
        shapes[p + "skip.bias"] = (s,)
    shapes.update({
        "out1.weight": (s, h), "out1.bias": (h,),
        "out2.weight": (h, output_width(program)), "out2.bias": (output_width(program),),
    })
    shapes.update(lpc_tensor_shapes(program))
    return shapes


def check_program(program: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
    """Raise :class:`ModelFileError` unless ``program`` and ``tensors`` form a valid export."""
    if program.get("family") != "wavenet":
        raise ModelFileError(f"not a wavenet program (family {program.get('family')!r})")
    missing = [k for k in PROGRAM_KEYS if k not in program]
    if missing:
        raise ModelFileError(f"wavenet program lacks key(s) {missing}")
    try:
        make_config({k: program[k] for k in (*PROGRAM_KEYS[1:], *OPTIONAL_PROGRAM_KEYS)
                     if k in program} | {"position_frames": program.get("position_frames", 0)})
    except ParameterError as exc:
        raise ModelFileError(f"invalid wavenet program: {exc}") from None
    for key in OPTIONAL_PROGRAM_KEYS[:2]:  # -1 ("from the dataset") is a config value only
        if program.get(key, 0) < 0:
            raise ModelFileError(f"invalid wavenet program: {key} must be >= 0, "
                                 f"got {program[key]!r}")
    if program.get("position_frames", 0) > 0 and "position_hop" not in program:
        raise ModelFileError("wavenet program has position_frames but lacks position_hop")
    check_tensors(tensors, tensor_shapes(program), family="wavenet")
