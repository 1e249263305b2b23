"""The Registry type: registration, lookups, close-match errors, broken plugins."""

from __future__ import annotations

import warnings
from importlib import metadata

import pytest

from pysynth.errors import UnknownNameError
from pysynth.registry import PluginLoadWarning, Registry


def make_registry(kind="widgets"):
    reg = Registry(kind, group=f"pysynth.test.{kind}")
    reg.register("gain", object())
    reg.register("noise", object())
    reg.register("pitch_shift", object())
    return reg


def test_register_and_get():
    reg = Registry("widgets", group="pysynth.test.none")
    obj = object()
    assert reg.register("thing", obj) is obj
    assert reg.get("thing") is obj
    assert reg["thing"] is obj
    assert "thing" in reg
    assert reg.names() == ["thing"]
    assert reg.entry("thing").origin == "pysynth (built-in)"


def test_register_as_decorator_uses_name_attribute():
    reg = Registry("widgets", group="pysynth.test.none")

    @reg.register()
    class Reverb:
        name = "reverb"

    assert reg.get("reverb") is Reverb


def test_duplicate_name_raises():
    reg = make_registry()
    with pytest.raises(ValueError, match="already registered"):
        reg.register("gain", object())


@pytest.mark.parametrize(
    ("query", "suggestion"), [("gian", "gain"), ("noize", "noise"), ("pitch-shift", "pitch_shift")]
)
def test_unknown_name_lists_known_and_suggests_closest(query, suggestion):
    reg = make_registry()
    with pytest.raises(UnknownNameError) as info:
        reg.get(query)
    msg = str(info.value)
    assert f"did you mean {suggestion!r}" in msg
    for name in ("gain", "noise", "pitch_shift"):
        assert name in msg


def test_unknown_name_without_close_match():
    reg = make_registry()
    with pytest.raises(UnknownNameError) as info:
        reg.get("zzzzzz")
    assert "did you mean" not in str(info.value)
    assert "gain" in str(info.value)


class FakeEntryPoint:
    def __init__(self, name, loader, dist="thirdparty-pkg"):
        self.name = name
        self._loader = loader
        self.dist = type("Dist", (), {"name": dist})()

    def load(self):
        return self._loader()


def test_entry_points_loaded_and_broken_plugin_reported(monkeypatch):
    good = object()

    def broken():
        raise ImportError("No module named 'missing_dependency'")

    eps = [FakeEntryPoint("good", lambda: good), FakeEntryPoint("broken", broken, "bad-pkg")]

    def fake_entry_points(group):
        assert group == "pysynth.test.widgets"
        return eps

    monkeypatch.setattr(metadata, "entry_points", fake_entry_points)
    reg = make_registry()
    with pytest.warns(PluginLoadWarning, match=r"'broken' from bad-pkg failed to load"):
        names = reg.names()
    assert "good" in names
    assert "broken" not in names
    assert reg.entry("good").origin == "thirdparty-pkg"
    assert reg.get("gain") is not None  # built-ins keep working
    [failure] = reg.failures
    assert failure.name == "broken"
    assert "missing_dependency" in failure.error
    with pytest.raises(UnknownNameError, match="failed to load"):
        reg.get("broken")


def test_entry_point_name_clash_is_ignored_with_warning(monkeypatch):
    eps = [FakeEntryPoint("gain", object)]

    def fake_entry_points(group):
        return eps

    monkeypatch.setattr(metadata, "entry_points", fake_entry_points)
    reg = make_registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.names()
    assert any("already registered" in str(w.message) for w in caught)
    assert reg.entry("gain").origin == "pysynth (built-in)"


def test_builtin_architectures_come_from_entry_points():
    from pysynth.registry import architectures

    assert {"wavenet", "samplernn"} <= set(architectures.names())
    assert architectures.entry("wavenet").origin == "pysynth"
