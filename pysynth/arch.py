"""The architecture contract: what a model plugin provides to pysynth.

An architecture is registered in :data:`pysynth.registry.architectures` (entry-point
group ``pysynth.architectures``) as an instance or class derived from
:class:`Architecture`. Importing a plugin must not import TensorFlow: only ``build``,
``dataset``, ``export`` and ``teacher_forced_logits`` may, so that reading model files
and sampling work with the core install.

The model family's exact computation is written down in docs/architecture.md; the
plugin's numpy :class:`ReferenceModel` is its executable form and the oracle that the
Keras model, the compiled engine and the CUDA kernel are all tested against.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

import numpy as np

from .errors import ModelFileError, ParameterError


def check_config_keys(keys, known, *, owner: str) -> None:
    """Raise :class:`ParameterError` if ``keys`` holds a name not in ``known``.

    The message lists each unknown key with the closest known one ("did you mean ...?"),
    then every known key, so that a typo in a config file is a one-line fix. Shared by
    :meth:`Architecture.make_config`, ``pysynth.train``'s config routing and plugins'
    own ``make_config`` functions, so that all of them word it the same way.
    """
    unknown = sorted(set(keys) - set(known))
    if not unknown:
        return
    import difflib

    known = sorted(known)
    hints = []
    for k in unknown:
        close = difflib.get_close_matches(k, known, n=1)
        hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise ParameterError(
        f"unknown {owner} config {'key' if len(hints) == 1 else 'keys'}: {', '.join(hints)}; "
        f"known: {', '.join(known)}"
    )


def current_names(values: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """``values`` with old key names (``aliases``: old -> current, an architecture's
    ``config_aliases``) renamed; a value given under its current name wins."""
    values = dict(values)
    for old, new in aliases.items():
        if old in values:
            value = values.pop(old)
            values.setdefault(new, value)
    return values


def make_config(config_class: type, overrides=None, *, preset: str | None = None,
                presets: dict[str, dict[str, Any]], owner: str,
                aliases: dict[str, str] | None = None):
    """A validated ``config_class`` from a preset name and overrides: what every plugin's
    ``make_config`` and :meth:`Architecture.make_config` do.

    An instance of ``config_class`` is validated and returned as it is. ``aliases`` maps
    old key names to current ones, so that run folders and config files written before a
    rename still load; an override under its current name wins over its old one. Unknown
    keys and presets raise :class:`ParameterError` naming the closest known one.
    """
    if isinstance(overrides, config_class):
        if preset is not None:
            raise ParameterError(f"pass either a {config_class.__name__} or a preset, not both")
        return _validated(overrides)
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in presets:
            import difflib

            close = difflib.get_close_matches(str(preset), sorted(presets), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"unknown {owner} preset {preset!r}{hint}; known: {', '.join(sorted(presets))}"
            )
        values.update(presets[preset])
    values.update(current_names(overrides or {}, aliases or {}))
    check_config_keys(values, {f.name for f in dataclasses.fields(config_class)}, owner=owner)
    return _validated(config_class(**values))


def _validated(config):
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()
    return config


def check_tensors(tensors: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]], *,
                  family: str) -> None:
    """Raise :class:`ModelFileError` unless ``tensors`` holds every tensor of ``shapes`` at
    its declared shape, with finite values (a plugin's ``check_program`` calls this)."""
    for name, shape in shapes.items():
        if name not in tensors:
            raise ModelFileError(f"{family} model is missing tensor {name!r}")
        a = np.asarray(tensors[name])
        if tuple(a.shape) != tuple(shape):
            raise ModelFileError(
                f"{family} tensor {name!r} has shape {tuple(a.shape)}, expected {tuple(shape)}"
            )
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ModelFileError(f"{family} tensor {name!r} contains NaN or infinite values")


#: the most position frames ``position_frames=-1`` resolves to (4 s at the default hop and
#: 16 kHz): a one-shot's shape is set in its first seconds, and every frame is a learned row
MAX_AUTO_POSITION_FRAMES = 256


def classes_for_labels(labels) -> int:
    """What ``conditioning_classes=-1`` resolves to for a dataset's labels: one class per
    label when there are at least two, else 0 (one class would only be a constant bias)."""
    n = len(labels)
    return n if n >= 2 else 0


def position_frames_for(longest_clip: int, hop: int) -> int:
    """What ``position_frames=-1`` resolves to for clips of at most ``longest_clip`` samples:
    enough frames of ``hop`` samples to cover them, at most :data:`MAX_AUTO_POSITION_FRAMES`;
    0 (off) when one frame covers them all, since a single frame says nothing.

    Examples
    --------
    >>> [position_frames_for(n, 256) for n in (16000, 10**6, 200)]
    [63, 256, 0]
    """
    frames = -(-int(longest_clip) // int(hop))
    return min(frames, MAX_AUTO_POSITION_FRAMES) if frames >= 2 else 0


def position_frame(t, frames: int, hop: int):
    """The position frame of sample ``t`` of a clip (an int or an int array; ``t`` counted
    from the clip's first sample, a prime included): ``min(t // hop, frames - 1)``."""
    return np.minimum(np.asarray(t) // int(hop), int(frames) - 1)


def check_cond(cond, batch: int, classes: int) -> np.ndarray | None:
    """``cond`` as ``batch`` int64 class ids in ``[0, classes)`` (one id is broadcast), or
    None for an unconditioned model (``classes == 0``); raise :class:`ParameterError`
    naming the problem otherwise. Reference models check their ``cond`` with this."""
    if classes == 0:
        if cond is not None:
            raise ParameterError("cond was given but this model is not conditioned")
        return None
    if cond is None:
        raise ParameterError(
            f"this model is conditioned on {classes} classes; pass cond (class ids)")
    c = np.asarray(cond)
    if c.ndim == 0:
        c = np.full(batch, c)
    if c.shape != (batch,) or c.dtype.kind not in "iu":
        raise ParameterError(f"cond must be {batch} integer class ids, got {cond!r}")
    if c.min() < 0 or c.max() >= classes:
        raise ParameterError(f"cond class ids must be in [0, {classes}), got {cond!r}")
    return c.astype(np.int64)


class ReferenceModel:
    """A slow, simple, obviously-right numpy implementation of one exported model.

    Conventions shared by every family (and by the engine):

    * a sequence is int indices ``q[0..T)`` in ``[0, levels)``;
    * ``logits[t]`` is the unnormalised log-distribution of ``q[t]`` given ``q[0..t)``
      (with ``output = "mol16"``, the ``3K`` mixture parameters of that distribution:
      :mod:`pysynth.mixture`);
      positions before 0 are "nothing" (they contribute zero input), so ``logits[0]``
      is the model's distribution of a first sample;
    * ``cond`` is an optional int array ``(B,)`` of global-condition class ids.
    """

    levels: int

    def __init__(self, program: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        self.program = program
        self.tensors = tensors
        self.levels = int(program["levels"])
        from .mixture import output_of, output_width

        #: the output distribution (``"softmax"`` or ``"mol16"``) and its mixture components
        self.output, self.mixtures = output_of(program)
        #: numbers per sample of :meth:`logits`: ``levels``, or ``3 * mixtures`` for mol16
        self.width = output_width(program)
        from .prediction import lpc_of

        #: the linear predictor of a mol16 model with ``lpc_order`` > 0 (float64), else None
        self.lpc = (np.asarray(tensors["lpc.weight"], dtype=np.float64)
                    if lpc_of(program) else None)

    # -- the linear predictor (pysynth.prediction), shared by every family ----------------
    def recent_predicted(self, params: np.ndarray, recent: np.ndarray) -> np.ndarray:
        """One step's ``params (B, W)`` with the predictor applied to the previous levels
        ``recent (B, >= P)`` (most recent first, -1 = before the clip), as float32."""
        if self.lpc is None:
            return np.asarray(params, dtype=np.float32)
        from .audio import level_values
        from .prediction import apply_lpc

        hist = level_values(np.asarray(recent)[:, :self.lpc.size], self.levels)
        return apply_lpc(params, self.lpc, hist).astype(np.float32)

    def sequence_predicted(self, params: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Teacher-forced ``params (B, T, W)`` of sequences ``q (B, T)`` with the predictor
        applied (unchanged without one), as float32."""
        if self.lpc is None:
            return np.asarray(params, dtype=np.float32)
        from .prediction import apply_lpc, history_values

        hist = history_values(q, self.lpc.size, self.levels)
        return apply_lpc(params, self.lpc, hist).astype(np.float32)

    def start(self, batch: int, cond: np.ndarray | None = None) -> Any:
        """Return the state of ``batch`` streams before their first sample."""
        raise NotImplementedError

    def step(self, state: Any, q_prev: np.ndarray | None) -> np.ndarray:
        """Advance one sample: feed ``q[t-1]`` (``None`` at t=0), return logits ``(B, levels)``
        for ``q[t]``. Mutates ``state``."""
        raise NotImplementedError

    def logits(self, q: np.ndarray, cond: np.ndarray | None = None) -> np.ndarray:
        """Teacher-forced logits ``(B, T, levels)`` for sequences ``q`` of shape ``(B, T)``.

        The default runs :meth:`step` over the sequence; families may override it with a
        vectorised version, which must agree.
        """
        q = np.asarray(q)
        if q.ndim == 1:
            q = q[None]
        b, t = q.shape
        state = self.start(b, cond)
        out = np.empty((b, t, self.width), dtype=np.float32)
        prev = None
        for i in range(t):
            out[:, i] = self.step(state, prev)
            prev = q[:, i]
        return out


class Architecture:
    """Base class for architecture plugins. Subclasses set the class attributes and
    implement the methods; see plugins/wavenet for a complete example."""

    #: registry name, e.g. "wavenet"
    name: ClassVar[str] = ""
    #: the program family this architecture exports (the engine knows "wavenet", "samplernn")
    family: ClassVar[str] = ""
    #: the hyperparameter dataclass
    config_class: ClassVar[type]
    #: named presets: name -> dict of config overrides
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: old config key -> current key, read from run folders and config files of before a rename
    config_aliases: ClassVar[dict[str, str]] = {}
    #: config key added later -> the value that runs saved before it existed trained with
    #: (when it differs from the new default), so that old runs resume and export as they were
    config_added: ClassVar[dict[str, Any]] = {}

    # -- configuration (no TensorFlow) -------------------------------------------------
    def make_config(self, overrides: dict[str, Any] | None = None, preset: str | None = None):
        """Build a validated config from a preset and overrides; unknown keys raise (see
        :func:`make_config`)."""
        return make_config(self.config_class, overrides, preset=preset, presets=self.presets,
                           owner=self.name, aliases=self.config_aliases)

    def saved_config(self, values: dict[str, Any]) -> dict[str, Any]:
        """A run's saved model keys as the current config reads them: old names renamed
        (:attr:`config_aliases`), keys added since filled in (:attr:`config_added`)."""
        return {**self.config_added, **current_names(values, self.config_aliases)}

    def for_budget(self, minutes: float) -> dict[str, Any]:
        """Config and training keys for a run of ``minutes`` on a 2-core laptop CPU: what
        ``pysynth train --minutes N`` trains with (the user's own keys win). The default
        is none: the architecture's defaults."""
        return {}

    def config_to_json(self, config) -> str:
        return json.dumps(dataclasses.asdict(config), indent=2, sort_keys=True)

    def describe(self, config) -> dict[str, Any]:
        """Facts worth printing about a config (receptive field, parameter count...)."""
        return {}

    def output(self, config) -> str:
        """The output distribution of a config's model, ``"softmax"`` or ``"mol16"``
        (:mod:`pysynth.mixture`): which loss training minimises. Default: the softmax."""
        return "softmax"

    def conditioning_classes(self, config) -> int:
        """How many global-condition classes the model takes (0: unconditioned; -1: one per
        dataset label, resolved by :meth:`prepare`). The shared training loop asks this
        rather than reading a family's config field."""
        return 0

    # -- the exported program (no TensorFlow) ------------------------------------------
    def program(self, config) -> dict[str, Any]:
        """The program (plain JSON) that a model of this config exports."""
        raise NotImplementedError

    def tensor_shapes(self, program: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        """The name and shape of every tensor a model file of ``program`` holds (the
        family's tensor table, docs/architecture.md)."""
        raise NotImplementedError

    def exported_parameters(self, config) -> int:
        """How many numbers a model file of this config holds (for :meth:`describe`)."""
        return int(sum(int(np.prod(s)) for s in self.tensor_shapes(self.program(config)).values()))

    def random_program(self, config, *, seed: int = 0) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(program, tensors)`` with random weights of the declared shapes: what the
        contract harness (:mod:`pysynth.contract`) tests the reference and the engine on."""
        raise NotImplementedError

    # -- Keras side (may import TensorFlow) ---------------------------------------------
    def build(self, config):
        """Return the teacher-forced training ``keras.Model`` (outputs logits)."""
        raise NotImplementedError

    def prepare(self, config, dataset):
        """Fit the config to a dataset before training (e.g. its sample rate, its number of
        label classes); the default returns it unchanged. See docs/training.md."""
        return config

    def dataset(self, ds, config, *, split, batch_size, steps, seed, epochs=(0, 1),
                labels=None):
        """Batches ``(inputs, targets, sample_weight)`` as a ``tf.data.Dataset``: ``steps``
        per epoch in ``range(*epochs)`` for ``split="train"`` (epoch ``e``'s batches depend
        on ``(seed, e)`` alone), ``steps`` fixed batches when ``epochs`` is None
        (validation). See docs/training.md."""
        raise NotImplementedError

    def teacher_forced_logits(self, model, config, q: np.ndarray, cond=None) -> np.ndarray:
        """Run the Keras model over whole sequences ``q (B, T)``: logits ``(B, T, levels)``
        with the conventions of :class:`ReferenceModel`."""
        raise NotImplementedError

    def export(self, model, config) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(program, tensors)`` for the model file (see docs/architecture.md)."""
        raise NotImplementedError

    # -- numpy side (no TensorFlow) -----------------------------------------------------
    def reference(self, program: dict[str, Any], tensors: dict[str, np.ndarray]) -> ReferenceModel:
        """Return the numpy reference model for an exported program."""
        raise NotImplementedError


def get_architecture(arch) -> Architecture:
    """The architecture instance for a registry name, a class or an instance (passed
    through): registries and config files may hold any of the three."""
    if isinstance(arch, str):
        from .registry import architectures

        arch = architectures.get(arch)
    if isinstance(arch, type):
        arch = arch()
    return arch
