"""SampleRNN through the shared training loop: TBPTT data, overfitting, export and
numpy-only reload, bad configs. Exact resume is the contract harness's check
(tests/plugins/test_samplernn_contract.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from pysynth_samplernn import make_config
from pysynth_samplernn.data import plan

from pysynth.errors import DatasetError, ParameterError

SR = 4000
TINY = {
    "frame_sizes": [4, 16], "dim": 32, "embed_dim": 16, "seq_len": 128, "batch_size": 2,
    "steps_per_epoch": 30, "validation_steps": 3, "learning_rate": 0.005,
    "sample_every": 2, "sample_count": 2, "sample_seconds": 0.02, "tensorboard": False,
}


# -- the TBPTT data plan (numpy) ----------------------------------------------------------


def test_plan_streams_each_row_through_consecutive_chunks_of_its_clips():
    lengths = [300, 520, 260, 700, 40]  # the last is shorter than seq_len: never used
    clips, starts, resets = plan(lengths, seq_len=128, batch_size=2, steps=12,
                                 rng=np.random.default_rng(0))
    assert clips.shape == starts.shape == resets.shape == (12, 2)
    assert 4 not in clips
    assert (resets[0] == 1).all()
    for k in range(12):
        for r in range(2):
            if resets[k, r]:
                assert starts[k, r] == 0
                # the row's previous clip was read to its last whole chunk
                if k:
                    assert starts[k - 1, r] + 128 == lengths[clips[k - 1, r]] // 128 * 128
            else:  # same clip as the row's chunk before, next subsequence
                assert clips[k, r] == clips[k - 1, r]
                assert starts[k, r] == starts[k - 1, r] + 128
            assert starts[k, r] + 128 <= lengths[clips[k, r]]


def test_plan_reads_a_clip_only_up_to_where_it_sounds():
    lengths = [1024, 1024, 1024]
    sounding = [200, 1024, 0]  # clip 0 ends after 200 samples (2 chunks), clip 2 is silent
    clips, starts, resets = plan(lengths, seq_len=128, batch_size=1, steps=30,
                                 rng=np.random.default_rng(1), sounding=sounding)
    per_clip = {c: starts[clips[:, 0] == c, 0].max() // 128 + 1 for c in range(3)}
    assert per_clip == {0: 2, 1: 8, 2: 1}
    # each clip's chunks follow each other from 0 with a reset at its first
    assert (resets[:, 0] == (starts[:, 0] == 0)).all()


def test_plan_reads_a_share_of_clips_only_to_their_first_chunk():
    lengths = [2048] * 6  # 16 chunks each
    for share, want in ((1.0, 1.0), (0.0, 1 / 16)):
        _, starts, resets = plan(lengths, seq_len=128, batch_size=3, steps=64,
                                 rng=np.random.default_rng(2), start_share=share)
        assert resets.mean() == pytest.approx(want, abs=0.02)  # one reset per clip taken
        assert (starts[resets == 1] == 0).all()
    _, starts, resets = plan(lengths, seq_len=128, batch_size=3, steps=400,
                             rng=np.random.default_rng(2), start_share=0.5)
    # half the clips give 1 chunk, half 16: a clip start every 8.5 chunks
    assert resets.mean() == pytest.approx(1 / 8.5, rel=0.2)


def test_plan_is_keyed_by_its_generator_and_uses_every_clip():
    lengths = [256] * 5
    a = plan(lengths, seq_len=128, batch_size=2, steps=10, rng=np.random.default_rng([1, 0]))
    b = plan(lengths, seq_len=128, batch_size=2, steps=10, rng=np.random.default_rng([1, 0]))
    c = plan(lengths, seq_len=128, batch_size=2, steps=10, rng=np.random.default_rng([1, 1]))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    assert set(a[0].ravel()) == set(range(5))


def test_plan_without_usable_clips():
    with pytest.raises(DatasetError, match="seq_len=128"):
        plan([100, 127], seq_len=128, batch_size=1, steps=1, rng=np.random.default_rng(0))


@pytest.mark.keras
def test_dataset_chunks_hold_the_right_samples():
    pytest.importorskip("tensorflow")
    from pysynth_samplernn.data import dataset

    config = make_config({"frame_sizes": [2, 8], "seq_len": 16, "batch_size": 2})
    clips = [np.arange(40) % 256, (np.arange(48) + 100) % 256, np.arange(16) + 7]
    ds = dataset(None, config, clips=clips, steps=7, seed=3, epochs=(0, 2))
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 14
    ids, starts, resets = plan([40, 48, 16], seq_len=16, batch_size=2, steps=7,
                               rng=np.random.default_rng([3, 1]))
    x, y, w = batches[7 + 3]  # epoch 1, chunk 3
    assert (w == 1).all()
    for row, cid in enumerate(ids[3]):
        pos = starts[3, row] + np.arange(-8, 16)
        want = np.where(pos >= 0, np.asarray(clips[cid])[np.maximum(pos, 0)], -1)
        np.testing.assert_array_equal(x["q"][row], want)
    np.testing.assert_array_equal(y, x["q"][:, 8:])
    np.testing.assert_array_equal(x["reset"], resets[3])
    assert (batches[7][0]["reset"] == 1).all()  # each epoch starts from a reset
    with pytest.raises(ParameterError, match="batch_size"):
        dataset(None, config, clips=clips, batch_size=4, steps=1)


# -- the shared loop ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(tmp_path_factory, sine, dataset_of):
    """Two train and two validation clips of two sines (200 and 500 Hz), 1 s at 4 kHz."""
    clips = [(f"c{i}", sine(freq, sr=SR, seconds=1.0, amp=0.6), split, None)
             for i, (split, freq) in enumerate(
                 [("train", 200.0), ("train", 500.0), ("validation", 200.0), ("validation", 500.0)])]
    return dataset_of(tmp_path_factory.mktemp("ds") / "dataset", clips, sr=SR)


@pytest.fixture(scope="module")
def run_a(data, tmp_path_factory):
    pytest.importorskip("tensorflow")
    from pysynth.training import train

    run = tmp_path_factory.mktemp("runs") / "a"
    result = train(data, arch="samplernn", run=run, overrides=TINY, epochs=2, seed=5, verbose=0)
    return run, result


@pytest.mark.keras
def test_tiny_samplernn_overfits_sines(run_a):
    run, result = run_a
    hist = result["history"]
    assert result["epochs"] == 2
    assert hist[0]["nll_bits"] > hist[-1]["nll_bits"]
    assert hist[-1]["val_nll_bits"] < 1.0  # far below 8 bits/sample for 256 levels
    assert len(list((run / "samples" / "epoch-002").glob("*.wav"))) == 2
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["arch"] == "samplernn"
    assert cfg["model"]["sample_rate"] == SR


@pytest.mark.keras
def test_export_reloads_and_samples_without_tensorflow(run_a, data, tmp_path):
    """The whole-clip reference NLL of a training clip is low: the model trained on carried
    TBPTT chunks computes what the program says over a whole clip."""
    from pysynth.training import export

    run, _ = run_a
    model_path = export(run, tmp_path / "m.pysynth")
    code = f"""
import sys
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
import numpy as np
from pysynth.audio import quantize
from pysynth.dataset import Dataset
from pysynth.modelfile import load_model
from pysynth.training import reference_sample
from pysynth_samplernn import SampleRNN
m = load_model({str(model_path)!r})
ref = SampleRNN().reference(m.program, m.tensors)
ds = Dataset.open({str(data)!r})
q = quantize(ds.load(ds.clips("train")[0]), 256, "mu-law")[None]
lg = ref.logits(q).astype(np.float64)
lp = lg - lg.max(-1, keepdims=True)
lp -= np.log(np.exp(lp).sum(-1, keepdims=True))
nll = -np.take_along_axis(lp, q[..., None], -1).mean() / np.log(2)
s = reference_sample(ref, n=2, length=300, seed=0, temperature=0.0)
print(nll, s.shape, int(s.min()), int(s.max()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    nll, *rest = out.stdout.split(maxsplit=1)
    assert float(nll) < 1.0
    assert rest[0].startswith("(2, 300)")


@pytest.mark.parametrize(
    ("overrides", "error", "word"),
    [
        ({"frame_sizes": [16, 24]}, ParameterError, "frame_sizes"),
        ({"seq_len": 100}, ParameterError, "seq_len"),
        ({"rnn_type": "vanilla"}, ParameterError, "rnn_type"),
        ({"frame_size": 16}, ParameterError, "did you mean 'frame_sizes'"),
    ],
)
def test_bad_configs_fail_before_training(data, tmp_path, overrides, error, word):
    from pysynth.training import train

    with pytest.raises(error, match=word):
        train(data, arch="samplernn", run=tmp_path / "r", overrides=overrides, verbose=0)
    assert not (tmp_path / "r" / "checkpoints").exists()


@pytest.mark.keras
def test_clips_shorter_than_seq_len(data, tmp_path):
    pytest.importorskip("tensorflow")
    from pysynth.training import train

    with pytest.raises(DatasetError, match="seq_len"):
        train(data, arch="samplernn", run=tmp_path / "r",
              overrides={**TINY, "seq_len": 8192}, verbose=0)


# -- conditioning and position from the dataset -------------------------------------------


@pytest.mark.parametrize("family", ["samplernn", "wavenet"])
def test_default_conditioning_is_one_class_per_label_from_two_labels(family, tmp_path, sine,
                                                                    dataset_of):
    """conditioning_classes=-1 (the default) gives one class per label, but no condition for
    a dataset of one label (a single class would only be a constant bias)."""
    from pysynth.arch import get_architecture
    from pysynth.dataset import Dataset

    arch = get_architecture(family)
    y = sine(200.0, sr=SR, seconds=1.0)
    one = Dataset.open(dataset_of(tmp_path / "one", [("a", y, "train", "kick"),
                                                     ("b", y, "train", "kick")], sr=SR))
    two = Dataset.open(dataset_of(tmp_path / "two", [("a", y, "train", "kick"),
                                                     ("b", y, "train", "tom")], sr=SR))
    assert arch.make_config({}).conditioning_classes == -1
    assert arch.prepare(arch.make_config({}), one).conditioning_classes == 0
    assert arch.prepare(arch.make_config({}), two).conditioning_classes == 2
    assert arch.program(arch.prepare(arch.make_config({}), one)).get("conditioning_classes",
                                                                      0) == 0
    if family == "samplernn":  # 1 s at 4 kHz in frames of 256 samples
        assert arch.prepare(arch.make_config({}), one).position_frames == 16
        assert arch.prepare(arch.make_config({"position_hop": 4000}), one).position_frames == 0


@pytest.fixture(scope="module")
def pitches(tmp_path_factory, sine, dataset_of):
    """Two labels, two pitches: "low" clips are 200 Hz sines, "high" ones 600 Hz (0.25 s at
    4 kHz, phases differ so that no clip is a copy of another). Short clips, because the class
    matters at a clip's onset (later its history tells the pitch) and TBPTT meets one onset
    per group of chunks."""
    clips = []
    for i in range(8):
        label, freq = ("low", 200.0) if i % 2 == 0 else ("high", 600.0)
        y = np.roll(sine(freq, sr=SR, seconds=0.25, amp=0.6), 3 * i)
        clips.append((f"c{i}", y, "validation" if i >= 6 else "train", label))
    return dataset_of(tmp_path_factory.mktemp("pitch") / "dataset", clips, sr=SR)


@pytest.mark.slow
def test_conditioned_samplernn_learns_each_class_pitch(pitches, tmp_path):
    """Trained by default on two labels, the model makes each class's sound on demand: the
    clips generated for "low" have their power at 200 Hz, those for "high" at 600 Hz."""
    pytest.importorskip("tensorflow")
    from pysynth.sampling import sample
    from pysynth.training import export, train

    opts = {**TINY, "sample_every": 0, "steps_per_epoch": 100, "learning_rate": 0.01}
    train(pitches, arch="samplernn", run=tmp_path / "run", overrides=opts, epochs=12, seed=1,
          verbose=0)
    model = export(tmp_path / "run", tmp_path / "m.pysynth")
    for label, want, other in [("low", 200, 600), ("high", 600, 200)]:
        audio = sample(model, n=4, seconds=0.25, cond=label, seed=2, temperature=0.8)
        power = np.abs(np.fft.rfft(audio[:, SR // 20:], axis=1)) ** 2  # past the onset
        freqs = np.fft.rfftfreq(audio.shape[1] - SR // 20, 1.0 / SR)
        at_want = power[:, np.abs(freqs - want) < 30].sum(1)
        at_other = power[:, np.abs(freqs - other) < 30].sum(1)
        assert np.all(at_want > 4 * at_other), (label, at_want, at_other)
