"""Named registries of pluggable components, filled from built-ins and entry points.

Four registries exist (curators, augmenters, visualizers, architectures). Each maps a
name to an object. Third-party packages add entries with Python entry points in the
groups ``pysynth.<kind>``; a plugin that fails to import is recorded and warned about,
never fatal to the others.
"""

from __future__ import annotations

import difflib
import importlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .errors import UnknownNameError


@dataclass(frozen=True)
class Entry:
    """One registered component: its name, the object, and where it came from."""

    name: str
    obj: Any
    origin: str  # "pysynth (built-in)" or the distribution name of the plugin


@dataclass(frozen=True)
class PluginFailure:
    """A plugin entry point that raised when loaded."""

    kind: str
    name: str
    origin: str
    error: str


class PluginLoadWarning(UserWarning):
    """Warned when a plugin fails to load; the other components keep working."""


class Registry:
    """A read-only mapping from names to components of one kind.

    Built-ins are registered with :meth:`register` (usually as a decorator next to the
    definition); entry points in the group ``pysynth.<kind>`` are loaded lazily on first
    lookup. Lookups of unknown names raise :class:`~pysynth.errors.UnknownNameError`
    listing what is known and the closest match.
    """

    def __init__(
        self, kind: str, *, group: str | None = None, builtins: tuple[str, ...] = ()
    ) -> None:
        self.kind = kind
        self.group = group or f"pysynth.{kind}"
        # Modules that register the built-in components when imported; imported on first
        # lookup so that ``import pysynth`` stays quick (they pull in librosa, sklearn...).
        self._builtin_modules = builtins
        self._entries: dict[str, Entry] = {}
        self._failures: list[PluginFailure] = []
        self._loaded_entry_points = False

    # -- filling -----------------------------------------------------------------
    def register(
        self, name: str | None = None, obj: Any = None, *, origin: str = "pysynth (built-in)"
    ) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator.

        Registering a name twice raises ``ValueError`` unless the object is the same.
        """
        if obj is None:

            def decorator(o: Any) -> Any:
                self.register(name or getattr(o, "name", None) or o.__name__, o, origin=origin)
                return o

            return decorator
        key = name or getattr(obj, "name", None) or obj.__name__
        existing = self._entries.get(key)
        if existing is not None and existing.obj is not obj:
            raise ValueError(
                f"{self.kind} {key!r} is already registered (from {existing.origin}); "
                f"cannot register it again from {origin}"
            )
        self._entries[key] = Entry(key, obj, origin)
        return obj

    def load_entry_points(self, *, force: bool = False) -> None:
        """Import every entry point in this registry's group (once, unless ``force``)."""
        if self._loaded_entry_points and not force:
            return
        self._loaded_entry_points = True
        for module in self._builtin_modules:
            importlib.import_module(module)
        if force:
            self._failures = [f for f in self._failures if f.kind != self.kind]
        for ep in metadata.entry_points(group=self.group):
            origin = ep.dist.name if ep.dist is not None else "unknown package"
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                failure = PluginFailure(self.kind, ep.name, origin, f"{type(exc).__name__}: {exc}")
                self._failures.append(failure)
                warnings.warn(
                    f"pysynth: {self.kind[:-1] if self.kind.endswith('s') else self.kind} "
                    f"plugin {ep.name!r} from {origin} failed to load ({failure.error}); "
                    "it is skipped",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                continue
            existing = self._entries.get(ep.name)
            if existing is not None and existing.obj is obj:
                continue
            if existing is not None:
                failure = PluginFailure(
                    self.kind, ep.name, origin,
                    f"name already registered by {existing.origin}",
                )
                self._failures.append(failure)
                warnings.warn(
                    f"pysynth: plugin {ep.name!r} from {origin} is ignored: "
                    f"the name is already registered by {existing.origin}",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                continue
            self._entries[ep.name] = Entry(ep.name, obj, origin)

    # -- lookup ------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """Return the component registered as ``name``."""
        return self.entry(name).obj

    def entry(self, name: str) -> Entry:
        """Return the :class:`Entry` registered as ``name`` (with its origin)."""
        self.load_entry_points()
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self._miss_message(name)) from None

    def _miss_message(self, name: str) -> str:
        known = sorted(self._entries)
        msg = f"unknown {self.kind[:-1] if self.kind.endswith('s') else self.kind} {name!r}"
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
        if close:
            msg += f"; did you mean {close[0]!r}?"
        msg += f" Known: {', '.join(known) if known else '(none)'}."
        failed = [f.name for f in self._failures]
        if name in failed:
            msg += f" A plugin named {name!r} is installed but failed to load: see `pysynth plugins`."
        else:
            msg += (
                f" Third-party {self.kind} are added by installing a package that declares"
                f" the entry-point group {self.group!r}."
            )
        return msg

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        self.load_entry_points()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        self.load_entry_points()
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        self.load_entry_points()
        return len(self._entries)

    def names(self) -> list[str]:
        """Sorted names of every registered component."""
        return list(self)

    def entries(self) -> list[Entry]:
        """Every registered :class:`Entry`, sorted by name."""
        self.load_entry_points()
        return [self._entries[k] for k in sorted(self._entries)]

    @property
    def failures(self) -> list[PluginFailure]:
        """Plugins that failed to load, with their errors."""
        self.load_entry_points()
        return list(self._failures)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} registered)"


curators = Registry("curators", builtins=("pysynth.curation.curators",))
augmenters = Registry("augmenters", builtins=("pysynth.augmentation.augmenters",))
visualizers = Registry("visualizers", builtins=("pysynth.mapping.visualizers",))
architectures = Registry("architectures")

REGISTRIES: dict[str, Registry] = {
    "curators": curators,
    "augmenters": augmenters,
    "visualizers": visualizers,
    "architectures": architectures,
}
