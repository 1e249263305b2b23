"""Threads never slow one stream down: with fewer streams than threads, an engine shares a
group's products with a crew only while that measures faster (threadpool.h CrewChooser),
and split_fraction says how much of the last call it did. Either way the samples are the
same bit for bit (the arithmetic of every element is unchanged)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pysynth_samplernn.reference import random_program as samplernn_program
from pysynth_wavenet.reference import random_program as wavenet_program

from pysynth import _engine

WIDE = {"frame_sizes": [4], "dim": 512, "rnn_type": "gru", "rnn_layers": 1, "mlp_layers": 1,
        "levels": 64, "seq_len": 8}
NARROW = dict(WIDE, dim=64)


def test_small_products_are_never_split():
    program, tensors = samplernn_program(NARROW, seed=0)
    two = _engine.SampleRNNEngine(json.dumps(program), tensors, 2)
    two.generate(100, streams=np.array([0], dtype=np.int32), seed=0)
    assert two.split_fraction == 0.0


def test_the_choice_changes_speed_only():
    # Several slices of one stream: the crew runs the first (a probe), the engine alone the
    # second, then whichever was faster, so both ways run inside one call.
    program, tensors = samplernn_program(WIDE, seed=0)
    one, two = (_engine.SampleRNNEngine(json.dumps(program), tensors, k) for k in (1, 2))
    n = 3000  # more than two slices of ~1,250 steps at dim 512
    s = np.array([5], dtype=np.int32)
    np.testing.assert_array_equal(two.generate(n, streams=s, seed=2),
                                  one.generate(n, streams=s, seed=2))
    assert 0.0 < two.split_fraction < 1.0
    assert one.split_fraction == 0.0
    two.generate(n, streams=np.arange(2, dtype=np.int32), seed=2)  # a group per thread
    assert two.split_fraction == 0.0


def test_wavenet_head_choice_changes_speed_only():
    program, tensors = wavenet_program("ibab", seed=0)
    one, two = (_engine.WaveNetEngine(json.dumps(program), tensors, k) for k in (1, 2))
    s = np.array([1], dtype=np.int32)
    n = 2000  # a few slices of ~680 steps
    np.testing.assert_array_equal(two.generate(n, streams=s, seed=3),
                                  one.generate(n, streams=s, seed=3))
    assert 0.0 < two.split_fraction < 1.0


def test_split_forced_either_way_and_checked():
    program, tensors = samplernn_program(WIDE, seed=0)
    s = np.array([5], dtype=np.int32)
    want = _engine.SampleRNNEngine(json.dumps(program), tensors, 1).generate(300, streams=s, seed=2)
    for split, fraction in (("always", 1.0), ("never", 0.0)):
        eng = _engine.SampleRNNEngine(json.dumps(program), tensors, 2, split=split)
        np.testing.assert_array_equal(eng.generate(300, streams=s, seed=2), want)
        assert eng.split_fraction == fraction
    with pytest.raises(ValueError, match="split"):
        _engine.SampleRNNEngine(json.dumps(program), tensors, 2, split="sometimes")


def test_the_choice_is_remembered_between_calls():
    # The first call probes both ways (two slices); later short calls (one slice each) run
    # the way found faster, re-timing the other only now and then: so over several calls
    # both ways still run, and no call of one slice is split in part.
    program, tensors = samplernn_program(WIDE, seed=0)
    two = _engine.SampleRNNEngine(json.dumps(program), tensors, 2)
    s = np.array([5], dtype=np.int32)
    two.generate(2500, streams=s, seed=2)
    seen = set()
    for _ in range(12):
        two.generate(64, streams=s, seed=2)
        seen.add(two.split_fraction)
    assert seen <= {0.0, 1.0}
