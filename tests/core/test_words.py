"""pysynth.words.count: the one way pysynth messages say how many of a thing."""

from __future__ import annotations

import pytest

from pysynth.words import count


@pytest.mark.parametrize(("n", "noun", "plural", "said"), [
    (0, "file", None, "0 files"), (1, "file", None, "1 file"), (2, "clip", None, "2 clips"),
    (1, "class", "classes", "1 class"), (3, "class", "classes", "3 classes"),
    (1, "generated clip", None, "1 generated clip"),
])
def test_count_says_one_thing_or_many(n, noun, plural, said):
    assert count(n, noun, plural) == said


def test_messages_say_1_clip_not_1_clips(tmp_path, sine, dataset_of):
    from pysynth.dataset import Dataset

    root = dataset_of(tmp_path / "ds", [("a", sine(seconds=0.1), "train", "")])
    assert "1 clip," in repr(Dataset.open(root))
