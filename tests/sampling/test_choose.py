"""Choosing generated clips by likelihood (``candidates``): which candidates are kept, and
that the kept clips are exactly those streams of the seed."""

from __future__ import annotations

import numpy as np
import pytest

import pysynth
from pysynth.cli import main
from pysynth.modelfile import load_model, save_model
from pysynth.sampling.choose import choose_likely, choose_typical, runaway_bound


def test_choose_skips_the_most_likely_tenth_and_drops_the_least_likely_per_class():
    # class 0: NLLs 0..9 on candidates 0,2,...,18; class 1: 10..19 reversed on 1,3,...,19
    nll = np.empty(20)
    nll[0::2] = np.arange(10)
    nll[1::2] = np.arange(19, 9, -1)
    classes = np.arange(20) % 2
    wanted = np.array([0, 1, 0, 1])
    chosen = choose_likely(nll, classes, wanted, skip=0.1)
    # class 0 keeps NLL 1 and 2 (0 skipped): candidates 2 and 4; class 1 keeps 11 and 12:
    # candidates 17 and 15, handed out in candidate order
    assert chosen.tolist() == [2, 15, 4, 17]
    assert (classes[chosen] == wanted).all()


def test_choose_keeps_enough_when_few_candidates_are_left():
    nll = np.array([3.0, 1.0, 2.0])
    assert choose_likely(nll, np.zeros(3), np.zeros(3), skip=0.5).tolist() == [0, 1, 2]


def test_kept_clips_are_the_seeds_streams_ranked_by_their_nll(cond_model_path):
    n, k = 3, 4
    kept = pysynth.sample(cond_model_path, n=n, seconds=0.05, seed=5, candidates=k,
                          cond=[0, 1, 2])
    streams = np.tile([0, 1, 2], k)
    every = pysynth.sample(cond_model_path, n=n * k, seconds=0.05, seed=5, cond=streams)
    nll = pysynth.score(cond_model_path, every, cond=streams, per_clip=True)
    chosen = choose_likely(nll, streams, np.array([0, 1, 2]))
    assert np.array_equal(kept, every[chosen])
    assert (chosen % n == np.arange(n)).all()  # each clip kept its own class


def test_candidates_from_the_command_line(model_path, tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["sample", str(model_path), "-o", str(out), "-n", "2", "--seconds", "0.05",
                 "--candidates", "3", "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["tiny-seed0-000.wav", "tiny-seed0-001.wav"]
    assert "kept 2 of 6 candidates" in capsys.readouterr().err


def test_absurd_candidates_are_refused(model_path):
    with pytest.raises(pysynth.errors.ParameterError, match="candidates"):
        pysynth.sample(model_path, n=2, seconds=0.01, candidates=0)


def test_choose_typical_keeps_the_clips_within_the_bound_in_the_order_generated():
    # class 0 on even candidates: NLLs 7, 1, 6.9, 3, 0.5 -> 1, 3, 0.5 are within 5 bits
    nll = np.array([7.0, 9.0, 1.0, 9.0, 6.9, 2.0, 3.0, 8.0, 0.5, 8.5])
    classes = np.arange(10) % 2
    chosen = choose_typical(nll, classes, np.array([0, 0, 1, 0, 1]), bound=5.0)
    # class 0 keeps candidates 2, 6, 8 (not ranked: 8 is the most likely yet comes last);
    # class 1 has one within the bound (5: 2 bits) and fills with its least unlikely (7: 8)
    assert chosen.tolist() == [2, 6, 5, 8, 7]


def test_runaway_bound_is_the_90th_percentile_of_the_real_clips():
    assert runaway_bound(np.arange(11.0)) == pytest.approx(9.0)
    assert runaway_bound([]) is None
    assert runaway_bound(None) is None
    assert runaway_bound([np.nan, 2.0]) == 2.0


def test_a_model_with_validation_figures_drops_its_runaway_candidates(cond_model_path,
                                                                      tmp_path):
    n, k = 3, 4
    streams = np.tile([0, 1, 2], k)
    every = pysynth.sample(cond_model_path, n=n * k, seconds=0.05, seed=5, cond=streams)
    nll = pysynth.score(cond_model_path, every, cond=streams, per_clip=True)
    # real clips that score like the middle of the candidates: about half are "runaway"
    mf = load_model(cond_model_path)
    real = [float(np.median(nll))] * 10
    model = save_model(tmp_path / "typical.pysynth", mf.program, mf.tensors,
                       {**mf.metadata, "validation_clip_nll": real})
    kept = pysynth.sample(model, n=n, seconds=0.05, seed=5, candidates=k, cond=[0, 1, 2])
    chosen = choose_typical(nll, streams, np.array([0, 1, 2]), bound=float(np.median(nll)))
    assert np.array_equal(kept, every[chosen])
    assert not np.array_equal(chosen, choose_likely(nll, streams, np.array([0, 1, 2])))
