"""The shared training loop with a tiny WaveNet: overfitting, resume, export, CLI, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pysynth.audio import save
from pysynth.dataset import Clip, audio_checksum, write_dataset
from pysynth.errors import ParameterError

SR = 4000
TINY = {
    "levels": 256, "dilations": [1, 2, 4, 8], "residual_channels": 16,
    "dilation_channels": 16, "skip_channels": 32, "output_channels": 32, "window": 128,
    "batch_size": 4, "steps_per_epoch": 30, "validation_steps": 2, "learning_rate": 0.01,
    "sample_every": 2, "sample_count": 2, "sample_seconds": 0.05, "tensorboard": False,
    "conditioning_classes": -1,  # one class per clip label ("high", "low")
}


def make_dataset(root: Path, *, seconds: float = 1.0) -> Path:
    """Four sine clips (two labels, two splits): a signal a WaveNet can learn exactly."""
    t = np.arange(int(SR * seconds)) / SR
    clips = []
    for i, (split, label) in enumerate(
        [("train", "low"), ("train", "high"), ("validation", "low"), ("validation", "high")]
    ):
        freq = 200.0 if label == "low" else 500.0
        y = (0.6 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        path = f"clips/c{i}.wav"
        save(root / path, y, SR)
        clips.append(Clip(id=f"c{i}", path=path, source=f"{label}/s{i}.wav", offset=0.0,
                          duration=seconds, split=split, checksum=audio_checksum(y),
                          label=label))
    write_dataset(root, clips, {"sample_rate": SR})
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("ds") / "dataset")


@pytest.fixture(scope="module")
def run_a(dataset, tmp_path_factory):
    """Two epochs, uninterrupted, with TensorBoard logs."""
    pytest.importorskip("tensorflow")
    from pysynth.training import train

    run = tmp_path_factory.mktemp("runs") / "a"
    result = train(dataset, arch="wavenet", run=run, overrides={**TINY, "tensorboard": True},
                   epochs=2, seed=3, verbose=0)
    return run, result


@pytest.mark.keras
def test_tiny_wavenet_overfits_and_writes_the_run(run_a):
    run, result = run_a
    assert result["epochs"] == 2
    hist = result["history"]
    assert hist[0]["nll_bits"] > hist[-1]["nll_bits"]
    assert hist[-1]["nll_bits"] < 1.0  # far below 8 bits/sample for 256 levels
    # every batch scores the same number of targets, so bits = nats / ln 2 exactly
    assert hist[-1]["val_nll_bits"] == pytest.approx(hist[-1]["val_loss"] / np.log(2), rel=1e-4)
    for name in ("config.json", "state.json", "history.csv"):
        assert (run / name).is_file()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch-001.npz", "epoch-002.npz"]
    assert any((run / "logs").rglob("events.out.tfevents*"))
    wavs = sorted((run / "samples" / "epoch-002").glob("*.wav"))
    assert len(wavs) == 2
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["sample_rate"] == SR  # taken from the dataset
    assert cfg["labels"] == ["high", "low"]
    assert cfg["model"]["conditioning_classes"] == 2
    assert cfg["describe"]["receptive_field_samples"] == 1 + 2 + 4 + 8 + 2  # reported
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss,nll_bits,val_loss,val_nll_bits")
    assert len(rows) == 3


@pytest.mark.keras
def test_resume_equals_uninterrupted(dataset, run_a, tmp_path):
    import keras

    from pysynth.training import read_state, train

    class Interrupt(keras.callbacks.Callback):
        """Stop the run in the middle of epoch 2, as Ctrl-C or a crash would."""

        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations.numpy() == TINY["steps_per_epoch"] + 7:
                raise KeyboardInterrupt

    run_b = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        train(dataset, arch="wavenet", run=run_b, overrides=TINY, epochs=2, seed=3, verbose=0,
              callbacks=[Interrupt()])
    assert read_state(run_b)["epoch"] == 1
    with pytest.raises(ParameterError, match="not empty"):
        train(dataset, arch="wavenet", run=run_b, overrides=TINY, epochs=2, seed=3, verbose=0)
    with pytest.raises(ParameterError, match="residual_channels"):
        train(dataset, arch="wavenet", run=run_b, overrides={**TINY, "residual_channels": 8},
              resume=True, verbose=0)
    result = train(dataset, arch="wavenet", run=run_b, epochs=2, resume=True, verbose=0)
    assert result["epochs"] == 2
    a = np.load(run_a[0] / "checkpoints" / "epoch-002.npz")
    b = np.load(run_b / "checkpoints" / "epoch-002.npz")
    assert sorted(a.files) == sorted(b.files)
    # CPU with op determinism: bit-identical in practice; 1e-6 leaves room for BLAS.
    for k in a.files:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7, err_msg=k)
    hist_a = run_a[1]["history"]
    assert result["history"][1]["loss"] == pytest.approx(hist_a[1]["loss"], rel=1e-5)


@pytest.mark.keras
def test_export_then_sample_without_tensorflow(run_a, dataset, tmp_path):
    from pysynth.modelfile import load_model
    from pysynth.training import export

    model_path = export(run_a[0], tmp_path / "model.pysynth")
    meta = load_model(model_path).metadata
    assert meta["arch"] == "wavenet"
    assert meta["epoch"] in (1, 2)
    assert meta["val_nll_bits"] == run_a[1]["best_val_nll_bits"]
    assert meta["labels"] == ["high", "low"]
    last = export(run_a[0], tmp_path / "last.pysynth", checkpoint="last")
    assert load_model(last).metadata["epoch"] == 2
    with pytest.raises(ParameterError, match="epoch 7"):
        export(run_a[0], tmp_path / "x.pysynth", checkpoint=7)
    code = f"""
import sys
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
import numpy as np
from pysynth.modelfile import load_model
from pysynth.registry import architectures
from pysynth.training import reference_sample
from pysynth.audio import load, quantize
m = load_model({str(last)!r})
ref = architectures.get(m.program["family"])().reference(m.program, m.tensors)
q = reference_sample(ref, n=2, length=300, seed=1, temperature=1.0, cond=np.array([0, 1]))
assert q.shape == (2, 300) and q.min() >= 0 and q.max() < 256
y, _ = load({str(dataset / "clips" / "c0.wav")!r})
x = quantize(y[:400], 256, "mu-law")
lg = ref.logits(x[None], cond=np.array([1])).astype(np.float64)[0]  # c0 is "low"
lp = lg - lg.max(1, keepdims=True)
lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
print(-lp[np.arange(400), x][50:].mean() / np.log(2))
"""
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) < 2.0  # the exported model still knows the training clip


def test_bad_configs_raise_before_training(dataset, tmp_path):
    from pysynth.training import train

    cases = [
        ({"levls": 256}, "did you mean 'levels'"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr_schedule": "linear"}, "lr_schedule"),
        ({"dilations": [1, -2]}, "dilations"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"conditioning_classes": 1}, "2 labels"),
    ]
    for overrides, word in cases:
        with pytest.raises(ParameterError, match=word):
            train(dataset, arch="wavenet", run=tmp_path / "r", overrides=overrides, verbose=0)
    with pytest.raises(ParameterError, match="preset"):
        train(dataset, arch="wavenet", run=tmp_path / "r", preset="huge", verbose=0)
    with pytest.raises(ParameterError, match="not a run folder"):
        train(dataset, arch="wavenet", run=tmp_path / "nothing", resume=True, verbose=0)
    assert not (tmp_path / "r").exists()


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


@pytest.mark.keras
def test_cli_train_and_export(dataset, tmp_path, capsys):
    from pysynth.cli import main
    from pysynth.modelfile import load_model
    from pysynth.training import read_state

    run = tmp_path / "cli-run"
    sets = []
    config = {**TINY, "steps_per_epoch": 5, "sample_every": 0, "lr_schedule": "exponential",
              "lr_decay": 0.5, "max_minutes": 1e-6}
    for k, v in config.items():
        sets += ["--set", f"{k}={json.dumps(v)}"]
    assert main(["train", str(dataset), "--arch", "wavenet", "-o", str(run), "--epochs", "3",
                 "-q", *sets]) == 0
    assert read_state(run)["epoch"] == 1  # out of time after the first epoch
    assert main(["train", str(dataset), "-o", str(run), "--resume", "--epochs", "2", "-q"]) == 0
    lrs = [row["learning_rate"] for row in read_state(run)["history"]]
    assert lrs == pytest.approx([0.005, 0.0025])  # halved after each epoch of 5 steps
    assert main(["export", str(run), "-o", str(tmp_path / "m.pysynth")]) == 0
    assert load_model(tmp_path / "m.pysynth").program["dilations"] == [1, 2, 4, 8]
    assert main(["train", str(dataset), "-o", str(run), "--set", "nope=1"]) == 1
    assert "nope" in capsys.readouterr().err


def test_early_stopping_rule():
    from pysynth.training import should_stop

    assert not should_stop(5, 4, patience=0)  # 0 disables it
    assert not should_stop(5, 4, patience=2)
    assert should_stop(6, 4, patience=2)
    assert not should_stop(3, None, patience=1)  # nothing scored yet


def test_resume_knows_its_architecture_and_refuses_another(dataset, tmp_path):
    from pysynth.training import train

    run = tmp_path / "run-arch"
    config = {**TINY, "steps_per_epoch": 2, "validation_steps": 1, "sample_every": 0}
    train(dataset, arch="wavenet", run=run, overrides=config, epochs=1, verbose=0)
    with pytest.raises(ParameterError, match="trained with --arch wavenet, not samplernn"):
        train(dataset, arch="samplernn", run=run, resume=True, epochs=2, verbose=0)
    result = train(dataset, run=run, resume=True, epochs=2, verbose=0)  # arch from the run
    assert result["epochs"] == 2


def test_history_columns_keep_their_order_whatever_the_row_key_order(tmp_path):
    from pysynth.training import _write_history

    fresh = {"epoch": 1, "loss": 2.0, "nll_bits": 2.9, "learning_rate": 0.01, "seconds": 1.0}
    resumed = dict(sorted({**fresh, "epoch": 2}.items()))  # as read back from state.json
    _write_history(tmp_path / "h.csv", [fresh, resumed])
    header = (tmp_path / "h.csv").read_text().splitlines()[0]
    assert header == "epoch,loss,nll_bits,learning_rate,seconds"
