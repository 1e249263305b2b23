"""Sampling and scoring a model with pre-emphasis: the engine works on the emphasized
signal, the front end encodes primes and clips through the filter and de-emphasizes the
output, so a pre-emphasis model equals its plain twin with the filters around it."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from pysynth_samplernn import random_program as samplernn_program
from pysynth_wavenet import random_program as wavenet_program

import pysynth
from pysynth.emphasis import deemphasize, preemphasize
from pysynth.modelfile import save_model
from pysynth.sampling import sample_to_files, stream

A = 0.85


@pytest.fixture(params=["wavenet", "samplernn"])
def twins(request, tmp_path, small_config):
    """(plain model, the same weights with preemphasis 0.85) as files."""
    if request.param == "wavenet":
        program, tensors = wavenet_program(small_config, seed=3)
    else:
        program, tensors = samplernn_program(
            {"frame_sizes": [2, 8], "dim": 8, "levels": 64, "seq_len": 8, "sample_rate": 8000},
            seed=3)
    plain = save_model(tmp_path / "plain.pysynth", program, tensors)
    emph = save_model(tmp_path / "emph.pysynth", {**program, "preemphasis": A}, tensors)
    return plain, emph


def test_output_is_the_plain_twins_output_deemphasized(twins):
    plain, emph = twins
    got = pysynth.sample(emph, n=3, seconds=0.1, seed=4)
    want, _ = deemphasize(pysynth.sample(plain, n=3, seconds=0.1, seed=4), A)
    np.testing.assert_allclose(got, want, atol=1e-5)
    # the filter really acts: the output is not the plain one
    assert not np.allclose(got, pysynth.sample(plain, n=3, seconds=0.1, seed=4), atol=1e-3)


def test_stream_blocks_and_files_join_into_the_whole(twins, tmp_path):
    _, emph = twins
    whole = pysynth.sample(emph, n=2, seconds=0.2, seed=1)
    blocks = np.concatenate(list(stream(emph, n=2, seconds=0.2, seed=1, block_seconds=0.013)),
                            axis=1)
    np.testing.assert_allclose(blocks, whole, atol=1e-6)
    report = sample_to_files(emph, tmp_path / "gen", n=2, seconds=0.2, seed=1)
    files = np.stack([sf.read(p, dtype="float32")[0] for p in report.paths])
    np.testing.assert_allclose(files, np.clip(whole, -1, 1), atol=1.0 / 32767 + 1e-6)


def test_a_prime_is_encoded_through_the_filter_and_continued(twins, sine):
    plain, emph = twins
    x = sine(300.0, sr=8000, seconds=0.03, amp=0.4)
    got = pysynth.sample(emph, n=2, seconds=0.05, seed=2, prime=x)
    # the plain twin primed with the emphasized prime draws the same indices; the output
    # filter then continues from the prime's last sample
    plain_out = pysynth.sample(plain, n=2, seconds=0.05, seed=2, prime=preemphasize(x, A))
    want, _ = deemphasize(plain_out, A, last=float(x[-1]))
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_scores_are_the_plain_twins_scores_of_the_emphasized_clips(twins, sine):
    plain, emph = twins
    clips = np.stack([sine(f, sr=8000, seconds=0.1, amp=0.3) for f in (200.0, 700.0)])
    got = pysynth.score(emph, clips, per_clip=True)
    want = pysynth.score(plain, preemphasize(clips, A), per_clip=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # and they differ from the plain twin's scores of the clips themselves
    assert not np.allclose(got, pysynth.score(plain, clips, per_clip=True), rtol=1e-3)


def test_sample_scored_is_sample_with_the_nll_of_the_generated_indices(twins):
    from pysynth.sampling import score_clips
    from pysynth.sampling.generate import sample_scored

    plain, emph = twins
    for model in (plain, emph):
        audio, nll = sample_scored(model, n=3, seconds=0.05, seed=6)
        np.testing.assert_array_equal(audio, pysynth.sample(model, n=3, seconds=0.05, seed=6))
        # scoring the audio again quantizes it again: the same indices for the plain model;
        # for the pre-emphasis one up to a rare level flip in the filters' float round trip
        again = score_clips(model, audio)[0]
        if model == plain:
            np.testing.assert_array_equal(nll, again)
        else:
            np.testing.assert_allclose(nll, again, rtol=1e-3, atol=1e-3)
