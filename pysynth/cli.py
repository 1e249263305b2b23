"""The ``pysynth`` command line: one subcommand per module in :mod:`pysynth.commands`.

Each subcommand module defines ``add_parser(subparsers)`` and ``run(args) -> int``, and
calls only the public Python API. Errors caused by input print as one line on stderr
with a non-zero exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from . import __version__
from .errors import PysynthError

COMMANDS = ("curate", "augment", "map", "train", "export", "sample", "score", "evaluate", "pick",
            "plugins", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pysynth",
        description="Neural audio synthesis in the waveform domain: curate, augment, map, "
        "train, export, sample.",
    )
    parser.add_argument("--version", action="version", version=f"pysynth {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"pysynth.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run, _tensorflow=getattr(module, "USES_TENSORFLOW", False))
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show full tracebacks on errors")
    return parser


def _one_line_warnings(command: str) -> None:
    """Show warnings as ``pysynth CMD: warning: ...`` lines, without Python source lines."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"pysynth {command}: warning: {message}", file=file or sys.stderr)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    shown = warnings.showwarning
    if not getattr(args, "debug", False):
        _one_line_warnings(args.command)
    try:
        if args._tensorflow and not getattr(args, "debug", False):
            from .quiet import import_tensorflow_quietly

            import_tensorflow_quietly()
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        hint = ""
        if args.command == "train":
            hint = ("; the run keeps every completed epoch: continue it with "
                    "`pysynth train ... --resume`")
        print(f"pysynth {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    except PysynthError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"pysynth {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, MemoryError) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"pysynth {args.command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
