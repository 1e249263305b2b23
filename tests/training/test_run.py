"""The shared training loop with a tiny WaveNet: the run folder it writes, exact resume, the
early-stopping rule."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pysynth.errors import ParameterError

SR = 16000  # the tones fixture's sample rate


@pytest.mark.keras
def test_tiny_wavenet_overfits_and_writes_the_run(wavenet_run):
    run, result = wavenet_run
    assert result["epochs"] == 2
    hist = result["history"]
    assert hist[0]["nll_bits"] > hist[-1]["nll_bits"]
    assert hist[-1]["nll_bits"] < 1.0  # far below 8 bits/sample for 256 levels
    assert hist[-1]["val_nll_bits"] == pytest.approx(hist[-1]["val_loss"] / np.log(2), rel=1e-9)
    for name in ("config.json", "state.json", "history.csv"):
        assert (run / name).is_file()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch-001.npz", "epoch-002.npz"]
    assert any((run / "logs").rglob("events.out.tfevents*"))
    wavs = sorted((run / "samples" / "epoch-002").glob("*.wav"))
    assert [p.name for p in wavs] == ["sample-00.wav", "sample-01.wav"]
    assert not (run / "samples" / "epoch-001").exists()  # sample_every 2
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["sample_rate"] == SR  # taken from the dataset
    assert cfg["labels"] == ["high", "low"]
    assert cfg["model"]["conditioning_classes"] == 2
    assert cfg["describe"]["receptive_field_samples"] == 1 + 2 + 4 + 8 + 2  # reported
    assert cfg["validation"] == {"clips": ["c2", "c3"]}  # every validation clip, whole
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 2
    assert state["history"] == hist
    assert state["checkpoints"] == ["epoch-001.npz", "epoch-002.npz"]
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss,nll_bits,val_loss,val_nll_bits")
    assert len(rows) == 3


@pytest.mark.keras
def test_resume_equals_uninterrupted(tones, wavenet_run, tiny, tmp_path):
    import keras

    from pysynth.training import read_state, train

    class Interrupt(keras.callbacks.Callback):
        """Stop the run in the middle of epoch 2, as Ctrl-C or a crash would."""

        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations.numpy() == tiny["steps_per_epoch"] + 7:
                raise KeyboardInterrupt

    run_b = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        train(tones, arch="wavenet", run=run_b, overrides=tiny, epochs=2, seed=3, verbose=0,
              callbacks=[Interrupt()])
    assert read_state(run_b)["epoch"] == 1
    with pytest.raises(ParameterError, match="not empty"):
        train(tones, arch="wavenet", run=run_b, overrides=tiny, epochs=2, seed=3, verbose=0)
    with pytest.raises(ParameterError, match="residual_channels"):
        train(tones, arch="wavenet", run=run_b, overrides={**tiny, "residual_channels": 8},
              resume=True, verbose=0)
    result = train(tones, arch="wavenet", run=run_b, epochs=2, resume=True, verbose=0)
    assert result["epochs"] == 2
    a = np.load(wavenet_run[0] / "checkpoints" / "epoch-002.npz")
    b = np.load(run_b / "checkpoints" / "epoch-002.npz")
    assert sorted(a.files) == sorted(b.files)
    # CPU with op determinism: bit-identical in practice; 1e-6 leaves room for BLAS.
    for k in a.files:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7, err_msg=k)
    hist_a = wavenet_run[1]["history"]
    assert result["history"][1]["loss"] == pytest.approx(hist_a[1]["loss"], rel=1e-5)
    # the same weights score the same validation clips the same
    assert result["history"][1]["val_nll_bits"] == pytest.approx(hist_a[1]["val_nll_bits"],
                                                                 rel=1e-5)


def test_resume_knows_its_architecture_and_refuses_another(tones, tiny, tmp_path):
    from pysynth.training import train

    run = tmp_path / "run-arch"
    config = {**tiny, "steps_per_epoch": 2, "sample_every": 0}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=1, verbose=0)
    with pytest.raises(ParameterError, match="trained with --arch wavenet, not samplernn"):
        train(tones, arch="samplernn", run=run, resume=True, epochs=2, verbose=0)
    result = train(tones, run=run, resume=True, epochs=2, verbose=0)  # arch from the run
    assert result["epochs"] == 2


def test_a_run_from_before_a_key_rename_resumes(tones, tiny, tmp_path):
    """WaveNet's ``window`` became ``seq_len`` (``config_aliases``): a run folder whose
    config.json still says ``window`` resumes, with or without config options."""
    from pysynth.training import train

    run = tmp_path / "run-old"
    config = {**tiny, "steps_per_epoch": 2, "sample_every": 0}
    train(tones, arch="wavenet", run=run, overrides=config, epochs=1, verbose=0)
    saved = json.loads((run / "config.json").read_text())
    saved["model"]["window"] = saved["model"].pop("seq_len")
    (run / "config.json").write_text(json.dumps(saved))
    assert train(tones, run=run, resume=True, epochs=2, verbose=0)["epochs"] == 2
    assert train(tones, run=run, overrides=config, resume=True, epochs=3,
                 verbose=0)["epochs"] == 3
    assert json.loads((run / "config.json").read_text())["model"]["seq_len"] == 128


def test_early_stopping_rule():
    pytest.importorskip("keras")
    from pysynth.training.callbacks import should_stop

    assert not should_stop(5, 4, patience=0)  # 0 disables it
    assert not should_stop(5, 4, patience=2)
    assert should_stop(6, 4, patience=2)
    assert not should_stop(3, None, patience=1)  # nothing scored yet


@pytest.mark.keras
def test_early_stop_and_pruning_keep_the_best_checkpoint(dataset_of, sine, tiny, tmp_path):
    """A run that stops early says so in state.json, keeps the last ``keep_checkpoints``
    plus the best, and a resume does not train it further."""
    from pysynth.training import read_state, train

    # a model that learns a sine gets worse at the noise it is validated on
    noise = 0.6 * np.random.default_rng(0).uniform(-1, 1, SR // 2).astype(np.float32)
    root = dataset_of(tmp_path / "sine-noise", [("a", sine(200, amp=0.6), "train", "x"),
                                                 ("b", noise, "validation", "x")])
    run = tmp_path / "run-stop"
    config = {**tiny, "steps_per_epoch": 2, "sample_every": 0, "conditioning_classes": 0,
              "patience": 2, "keep_checkpoints": 1}
    result = train(root, arch="wavenet", run=run, overrides=config, epochs=6, verbose=0)
    state = read_state(run)
    val = [row["val_nll_bits"] for row in state["history"]]
    assert val[1] == min(val)  # the best is epoch 2
    assert result["stopped_early"]
    assert state["stopped_early"]
    assert (state["epoch"], state["best_epoch"]) == (4, 2)
    assert state["checkpoints"] == ["epoch-002.npz", "epoch-004.npz"]  # 1 and 3 deleted
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == state["checkpoints"]
    assert (run / "history.csv").read_text().count("\n") == 5  # header and 4 epochs
    again = train(root, run=run, resume=True, epochs=6, verbose=0)
    assert again["epochs"] == 4


def test_history_columns_keep_their_order_whatever_the_row_key_order(tmp_path):
    from pysynth.training.run import write_history

    fresh = {"epoch": 1, "loss": 2.0, "nll_bits": 2.9, "learning_rate": 0.01, "seconds": 1.0}
    resumed = dict(sorted({**fresh, "epoch": 2}.items()))  # as read back from state.json
    write_history(tmp_path / "h.csv", [fresh, resumed])
    header = (tmp_path / "h.csv").read_text().splitlines()[0]
    assert header == "epoch,loss,nll_bits,learning_rate,seconds"
