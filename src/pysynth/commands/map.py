"""`pysynth map` (not built yet)."""

from __future__ import annotations

from ..errors import NotBuiltYetError


def add_parser(sub):
    return sub.add_parser("map", help="(not built yet)", description="Not built yet.")


def run(args) -> int:
    raise NotBuiltYetError("'pysynth map' is not built yet in this version")
