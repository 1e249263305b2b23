"""How pysynth says a number of things in its messages: "1 file", "3 files", never "1 files"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural unless ``n`` is one.

    The plural is ``noun + "s"`` unless ``plural`` gives it (``count(2, "class", "classes")``).

    >>> count(1, "file"), count(0, "file"), count(3, "class", "classes")
    ('1 file', '0 files', '3 classes')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
