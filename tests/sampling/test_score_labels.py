"""pysynth.score and `pysynth score` with a conditioned model and no cond: each clip of a
dataset folder is scored with its own label's class, named by the model file's labels."""

from __future__ import annotations

import numpy as np
import pytest
from pysynth_wavenet import random_program

import pysynth
from pysynth.errors import ParameterError
from pysynth.modelfile import save_model

SR = 8000  # small_config's sample rate
LABELS = ["bell", "kick", "organ"]  # class ids 0, 1, 2


@pytest.fixture(scope="module")
def labelled(small_config, dataset_of, sine, tmp_path_factory):
    """``(model, dataset)``: a random WaveNet conditioned on 3 classes whose file names
    them, and a dataset of clips labelled kick, organ, kick, bell (one 'snare' elsewhere)."""
    root = tmp_path_factory.mktemp("labels")
    program, tensors = random_program({**small_config, "conditioning_classes": 3}, seed=2)
    model = save_model(root / "cond.pysynth", program, tensors, {"labels": LABELS})
    clips = [(f"c{i}", sine(f, sr=SR, seconds=0.05), "validation", label)
             for i, (f, label) in enumerate([(300, "kick"), (500, "organ"), (700, "kick"),
                                             (900, "bell")])]
    return model, dataset_of(root / "dataset", clips, sr=SR)


def test_dataset_clips_are_scored_with_their_labels_classes(labelled):
    model, dataset = labelled
    by_label = pysynth.score(model, dataset, per_clip=True)
    explicit = pysynth.score(model, dataset, cond=[1, 2, 1, 0], per_clip=True)
    np.testing.assert_array_equal(by_label, explicit)
    # the classes matter: another assignment scores differently
    assert not np.allclose(by_label, pysynth.score(model, dataset, cond=0, per_clip=True))
    assert pysynth.score(model, [dataset, dataset]) == pytest.approx(
        pysynth.score(model, dataset), rel=1e-12)


def test_a_label_the_model_does_not_know_is_named(labelled, dataset_of, sine, tmp_path):
    model, _ = labelled
    other = dataset_of(tmp_path / "other", [("s0", sine(sr=SR, seconds=0.05), "train",
                                             "snare")], sr=SR)
    with pytest.raises(ParameterError, match="clip 's0' has label 'snare', which is not one "
                                             "of the model's labels"):
        pysynth.score(model, other)
    assert np.isfinite(pysynth.score(model, other, cond=1))  # cond decides


def test_clips_from_no_dataset_still_need_cond(labelled, sine):
    model, dataset = labelled
    with pytest.raises(ParameterError, match=r"conditioned on 3 classes: pass cond.*"
                                             r"comes from no dataset folder and its name"):
        pysynth.score(model, [dataset, sine(sr=SR, seconds=0.05)])


def test_generated_clips_are_scored_with_the_class_their_names_carry(labelled, tmp_path,
                                                                    capsys):
    # pysynth sample names a conditioned model's clips after their class; scoring the folder
    # needs no cond (seen: `pysynth sample` then `pysynth score` failed on exactly this)
    from pysynth.sampling import sample_to_files

    model, _ = labelled
    report = sample_to_files(model, tmp_path / "gen", n=4, seconds=0.05, cond=[2, 0, 1, 2])
    assert [p.stem.rsplit("-", 1)[-1] for p in report.paths] == ["organ", "bell", "kick", "organ"]
    by_name = pysynth.score(model, tmp_path / "gen", per_clip=True)
    np.testing.assert_array_equal(
        by_name, pysynth.score(model, tmp_path / "gen", cond=[2, 0, 1, 2], per_clip=True))
    assert not np.allclose(by_name, pysynth.score(model, tmp_path / "gen", cond=0,
                                                  per_clip=True))
    assert pysynth.cli.main(["score", str(model), str(tmp_path / "gen"), "-q"]) == 0
    assert "4 clips" in capsys.readouterr().out


def test_a_model_file_without_labels_needs_cond(cond_model_path, labelled):
    _, dataset = labelled
    with pytest.raises(ParameterError, match="names no labels for its classes: pass cond"):
        pysynth.score(cond_model_path, dataset)


def test_cli_scores_a_dataset_with_its_labels(labelled, capsys):
    from pysynth.cli import main

    model, dataset = labelled
    assert main(["score", str(model), str(dataset), "-v"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{pysynth.score(model, dataset):.4f} bits/sample over 4 clips"
    assert out[0].endswith("c0.wav")
