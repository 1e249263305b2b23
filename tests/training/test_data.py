"""The data helpers plugins build their dataset hooks from: deterministic, correctly
weighted training windows."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.keras
def test_windows_are_deterministic_and_weighted_right():
    from pysynth.training import window_dataset

    seqs = [np.arange(100, dtype=np.int32), np.arange(1000, 1030, dtype=np.int32)]
    ids = np.array([0, 1], dtype=np.int32)

    def batches(seed, epochs):
        ds = window_dataset(seqs, ids, context=8, window=16, batch_size=4, steps=3,
                            seed=seed, epochs=epochs, conditioned=True)
        return [(x["q"].numpy(), x["cond"].numpy(), y.numpy(), w.numpy()) for x, y, w in ds]

    one = batches(0, (0, 2))
    assert len(one) == 6
    again = batches(0, (1, 2))  # a resumed run at epoch 1 sees epoch 1's windows
    assert len(again) == 3
    for x, y in zip(one[3:], again):
        np.testing.assert_array_equal(x[0], y[0])
    assert not np.array_equal(one[0][0], batches(1, (0, 1))[0][0])
    for q, cond, target, w in one:
        np.testing.assert_array_equal(q, target)
        assert q.shape == (4, 24)
        for row, c, wr in zip(q, cond, w):
            assert wr.sum() == 16  # exactly `window` scored targets
            scored = np.flatnonzero(wr)
            if row[0] in (0, 1000):  # the segment starts at the clip start: true context
                continue
            assert scored[0] == 8  # else the first scored target has its full context
            assert (row[1:] - row[:-1] == 1).all()  # one contiguous piece of one clip
            assert c == (0 if row[0] < 1000 else 1)


def test_quantized_clips_map_labels_to_class_ids(tones):
    from pysynth.dataset import Dataset
    from pysynth.errors import DatasetError
    from pysynth.training import quantized_clips

    ds = Dataset.open(tones)
    seqs, ids = quantized_clips(ds, "train", levels=256, quantization="mu-law",
                                labels=["high", "low"])
    assert [s.dtype for s in seqs] == [np.int32, np.int32]
    assert all(s.min() >= 0 and s.max() < 256 for s in seqs)
    assert sorted(ids.tolist()) == [0, 1]  # one "high" clip, one "low" clip
    _, unlabelled = quantized_clips(ds, "train", levels=256, quantization="mu-law")
    assert unlabelled.tolist() == [0, 0]
    with pytest.raises(DatasetError, match="not one of the run's labels"):
        quantized_clips(ds, "train", levels=256, quantization="mu-law", labels=["low"])


@pytest.mark.keras
def test_windows_carry_each_samples_position_frame_in_its_clip():
    from pysynth.training import window_dataset

    # the samples are their own positions (clip 1 offset by 1000), so the frames are known
    seqs = [np.arange(100, dtype=np.int32), np.arange(1000, 1030, dtype=np.int32)]
    ids = np.array([0, 1], dtype=np.int32)
    ds = window_dataset(seqs, ids, context=8, window=16, batch_size=4, steps=5, seed=2,
                        positions=(6, 7))
    starts = set()
    for x, _, w in ds:
        assert sorted(x) == ["pos", "q"]  # not conditioned: no cond input
        q, pos = x["q"].numpy(), x["pos"].numpy()
        assert pos.dtype == np.int32
        assert pos.shape == q.shape
        inside = w.numpy() > 0
        clip_pos = np.where(q >= 1000, q - 1000, q)
        np.testing.assert_array_equal(pos[inside], np.minimum(clip_pos[inside] // 7, 5))
        starts.update(clip_pos[:, 0].tolist())
    assert len(starts) > 5
    assert max(starts) > 42  # windows from inside clips, past the last frame (42 = 6 * 7)
    plain = next(iter(window_dataset(seqs, ids, context=8, window=16, batch_size=4, steps=1,
                                     seed=2)))[0]
    assert not isinstance(plain, dict)  # the default is unchanged: q alone


def test_input_noise_moves_inputs_within_the_amount_and_leaves_targets_clean():
    from pysynth.training.data import window_dataset

    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 256, size=3000).astype(np.int32) for _ in range(4)]
    kw = {"context": 16, "window": 64, "batch_size": 4, "steps": 6, "seed": 3, "epochs": (0, 2)}
    clean = list(window_dataset(seqs, np.zeros(4), **kw).as_numpy_iterator())
    noisy = list(window_dataset(seqs, np.zeros(4), input_noise=2, **kw).as_numpy_iterator())
    again = list(window_dataset(seqs, np.zeros(4), input_noise=2, **kw).as_numpy_iterator())
    moved = 0
    for (x0, y0, w0), (x1, y1, w1), (x2, _, _) in zip(clean, noisy, again):
        assert np.array_equal(y0, y1)
        assert np.array_equal(w0, w1)
        assert np.array_equal(x0, y0)
        assert np.abs(x1 - y1).max() <= 2
        assert x1.min() >= 0
        assert x1.max() <= 255
        assert np.array_equal(x1, x2)  # the same noise for the same seed and batch
        moved += int((x1 != y1).sum())
    assert moved > 0.5 * sum(y.size for _, y, _ in clean)  # 4 of 5 draws move a sample


def test_samplernn_input_noise_keeps_the_before_the_clip_marker():
    from pysynth_samplernn.config import SampleRNNConfig
    from pysynth_samplernn.data import dataset

    rng = np.random.default_rng(1)
    clips = [rng.integers(0, 256, size=700).astype(np.int32) for _ in range(4)]
    cfg = SampleRNNConfig(frame_sizes=[4, 16], seq_len=64, batch_size=2, input_noise=3,
                          conditioning_classes=0, position_frames=0).validate()
    for x, y, _ in dataset(None, cfg, steps=5, seed=0, clips=clips).as_numpy_iterator():
        q = x["q"]
        assert np.abs(q[:, 16:] - y).max() <= 3
        assert q[:, 16:].min() >= 0
        if x["reset"][0]:  # a group's first chunk: the frame before the clip stays marked
            assert (q[:, :16] == -1).all()
        else:
            assert q.min() >= 0


def test_sounding_lengths_stop_after_the_last_sound_plus_the_silence_kept():
    from pysynth.training.data import sounding_lengths

    mid = 128
    clips = [np.r_[np.full(10, 40), np.full(90, mid)],  # sound then silence
             np.full(50, 7),  # no closing silence: whole
             np.full(30, mid)]  # all silence
    assert sounding_lengths(clips, 256, keep=20).tolist() == [30, 50, 20]
    assert sounding_lengths(clips, 256, keep=1000).tolist() == [100, 50, 30]


@pytest.mark.keras
def test_windows_are_drawn_where_the_clips_sound():
    from pysynth.training import window_dataset

    # sample i of the clip holds i + 1; it sounds (as its caller says) for its first 80
    seq = np.arange(1, 401, dtype=np.int32)
    ds = window_dataset([seq], np.zeros(1, np.int32), context=8, window=16, batch_size=8,
                        steps=20, seed=0, sounding=np.array([80]))
    last = [int(row[wr > 0].max()) for x, _, w in ds for row, wr in zip(x.numpy(), w.numpy())]
    assert 70 < max(last) <= 80  # windows reach the end of the sound, none goes past it
    assert min(last) >= 16


@pytest.mark.keras
def test_a_share_of_windows_starts_at_the_clip_start():
    from pysynth.training import window_dataset

    seqs = [np.arange(1, 2001, dtype=np.int32), np.arange(5001, 7001, dtype=np.int32)]

    def firsts(share):
        ds = window_dataset(seqs, np.zeros(2, np.int32), context=8, window=16, batch_size=50,
                            steps=8, seed=0, start_share=share)
        return np.array([row[0] for x, _, _ in ds for row in x.numpy()])

    at_start = np.isin(firsts(1 / 3), [1, 5001]).mean()
    assert 0.25 < at_start < 0.42  # 400 windows, a third of them drawn to start at sample 0
    assert np.isin(firsts(0.0), [1, 5001]).mean() < 0.05  # random windows rarely do
    assert np.isin(firsts(1.0), [1, 5001]).all()


@pytest.mark.keras
def test_wavenet_start_share_reaches_its_training_windows(tones):
    from pysynth_wavenet import make_config
    from pysynth_wavenet.data import dataset

    from pysynth.dataset import Dataset
    from pysynth.errors import ParameterError

    ds = Dataset.open(tones)
    base = {"dilations": [1, 2, 4], "seq_len": 64, "sample_rate": ds.sample_rate,
            "conditioning_classes": 0, "position_frames": 0}

    def first_scored(share):  # is each window's first sample a scored target (a clip start)?
        cfg = make_config({**base, "start_share": share})
        data = dataset(ds, cfg, split="train", batch_size=8, steps=4, seed=0)
        return np.concatenate([w.numpy()[:, 0] for _, _, w in data])

    assert (first_scored(1.0) == 1).all()
    assert first_scored(0.0).mean() < 0.2
    with pytest.raises(ParameterError, match="start_share"):
        make_config({**base, "start_share": 1.5})
