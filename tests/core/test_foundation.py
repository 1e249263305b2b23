"""Package basics: quick import without TensorFlow, the compiled module, the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pysynth
from pysynth import cli


def run_py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_import_does_not_import_tensorflow_or_keras():
    r = run_py(
        "import sys, pysynth, pysynth.audio, pysynth.registry, pysynth.modelfile, pysynth.arch\n"
        "bad = [m for m in ('tensorflow', 'keras', 'librosa', 'sklearn') if m in sys.modules]\n"
        "print(bad)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_listing_architectures_does_not_import_tensorflow():
    r = run_py(
        "import sys\nfrom pysynth.registry import architectures\n"
        "print(sorted(architectures.names()), 'tensorflow' in sys.modules)"
    )
    assert r.returncode == 0, r.stderr
    assert "'samplernn', 'wavenet'" in r.stdout
    assert r.stdout.strip().endswith("False")


def test_compiled_engine_is_importable():
    from pysynth import _engine

    assert _engine.self_test(10) == 45
    assert _engine.__version__ == pysynth.__version__


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert pysynth.__version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    assert "usage: pysynth" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_errors_are_one_line_on_stderr_without_traceback():
    r = subprocess.run(
        [sys.executable, "-m", "pysynth", "sample", "/nonexistent/model.pysynth", "-o", "/tmp/x"],
        capture_output=True, text=True, check=False,
    )
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert r.stderr.strip()


def test_plugins_command_lists_components(capsys):
    assert cli.main(["plugins"]) == 0
    out = capsys.readouterr().out
    for kind in ("curators:", "augmenters:", "visualizers:", "architectures:"):
        assert kind in out
    assert "wavenet" in out
    assert "samplernn" in out


def test_warnings_print_as_one_line_without_source(capsys):
    import warnings

    original = warnings.showwarning
    try:
        cli._one_line_warnings("train")
        warnings.warn("no validation clips", UserWarning, stacklevel=1)
    finally:
        warnings.showwarning = original
    err = capsys.readouterr().err
    assert err == "pysynth train: warning: no validation clips\n"


def test_a_missing_compiled_engine_is_a_clear_error(monkeypatch):
    # what `python -m pysynth` in a clone of the repository meets: the source folder first on
    # sys.path, and no compiled module in it
    from pysynth.errors import PysynthError
    from pysynth.sampling.engines import compiled_engine

    monkeypatch.setitem(sys.modules, "pysynth._engine", None)
    monkeypatch.delattr(pysynth, "_engine", raising=False)
    with pytest.raises(PysynthError, match=r"compiled engine is missing.*not an installation"):
        compiled_engine()
