"""`pysynth plugins`: list every registered component by kind, with its package."""

from __future__ import annotations

import warnings


def add_parser(sub):
    return sub.add_parser(
        "plugins",
        help="list curators, augmenters, visualizers and architectures, with their origin",
        description="List every registered component by kind with the package it came from, "
        "and any plugin that failed to load with its error.",
    )


def run(args) -> int:
    from ..registry import REGISTRIES

    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failures are listed below instead
        for kind, reg in REGISTRIES.items():
            print(f"{kind}:")
            entries = reg.entries()
            if not entries:
                print("  (none)")
            width = max((len(e.name) for e in entries), default=0)
            for e in entries:
                print(f"  {e.name:<{width}}  {e.origin}")
            failures.extend(reg.failures)
    if failures:
        print("failed to load:")
        for f in failures:
            print(f"  {f.kind}: {f.name} from {f.origin}: {f.error}")
    return 0
