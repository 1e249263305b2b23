"""Export of a run to a model file, read back without TensorFlow; the train and export
commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pysynth.errors import ParameterError


def _state(best, last, validated=True):
    key = "val_nll_bits" if validated else "nll_bits"
    return {"epoch": last, "best_epoch": best, "best_val_nll_bits": 2.2,
            "history": [{"epoch": e, key: 2.2} for e in range(1, last + 1)]}


@pytest.mark.parametrize("schedule", ["budget", "cosine"])
def test_a_run_down_schedule_exports_its_last_epoch_by_default(schedule):
    """A run whose learning rate ran down to its end (`pysynth train --minutes`, cosine)
    exports its last epoch even where an earlier one had the lowest validation NLL: that
    one was taken at a high rate (30 minutes on drums: SampleRNN's epoch 99 of 407 had the
    lowest NLL and scored 0.54 on the noise scale, the last 0.29; WaveNet's epoch 81 of 107
    0.64, the last 0.41)."""
    from pysynth.training.export import chosen_epoch

    train = {"lr_schedule": schedule}
    epoch, why = chosen_epoch(_state(99, 407), train)
    assert epoch == 407
    assert schedule in why
    assert chosen_epoch(_state(99, 407), train, "best") == (99, "the lowest validation NLL")
    assert chosen_epoch(_state(99, 407), train, "last")[0] == 407
    assert chosen_epoch(_state(99, 407), train, 200)[0] == 200


def test_other_schedules_export_the_lowest_nll_by_default():
    from pysynth.training.export import chosen_epoch

    for train in ({"lr_schedule": "constant"}, {"lr_schedule": "exponential"}, {}):
        assert chosen_epoch(_state(3, 7), train) == (3, "the lowest validation NLL")
    assert chosen_epoch(_state(3, 7, validated=False), {}) == (3, "the lowest training NLL")
    assert chosen_epoch(_state(None, 7), {}) == (7, "the last epoch (no epoch was scored)")
    with pytest.raises(ParameterError, match="'auto', 'best', 'last'"):
        chosen_epoch(_state(3, 7), {}, "first")


@pytest.mark.keras
def test_export_then_sample_without_tensorflow(wavenet_run, tones, tmp_path):
    from pysynth.modelfile import load_model
    from pysynth.training import export

    run, result = wavenet_run
    model_path = export(run, tmp_path / "model.pysynth")
    meta = load_model(model_path).metadata
    assert meta["arch"] == "wavenet"
    assert meta["epoch"] == result["best_epoch"]
    assert meta["val_nll_bits"] == result["best_val_nll_bits"]
    assert meta["labels"] == ["high", "low"]
    # what pysynth sample --candidates reads: each validation clip's NLL as pysynth.score
    from pysynth.dataset import Dataset
    from pysynth.sampling import score

    ds = Dataset.open(tones)
    val = ds.clips("validation")
    want = score(model_path, [ds.load(c) for c in val],
                 cond=[meta["labels"].index(c.label) for c in val], per_clip=True)
    assert meta["validation_clip_nll"] == pytest.approx(want, abs=1e-4)
    # the level pysynth sample brings its clips to: the validation clips' median peak
    import numpy as np

    peaks = [20 * np.log10(np.abs(ds.load(c)).max()) for c in val]
    assert meta["peak_db"] == pytest.approx(np.median(peaks), abs=0.01)
    last = export(run, tmp_path / "last.pysynth", checkpoint="last")
    assert load_model(last).metadata["epoch"] == 2
    with pytest.raises(ParameterError, match="epoch 7"):
        export(run, tmp_path / "x.pysynth", checkpoint=7)
    with pytest.raises(ParameterError, match="'auto', 'best', 'last' or an epoch"):
        export(run, tmp_path / "x.pysynth", checkpoint="first")
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
y, _ = load({str(tones / "clips" / "c0.wav")!r})
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


@pytest.mark.keras
def test_export_of_a_run_whose_dataset_is_gone_warns_and_still_writes(wavenet_run, tmp_path):
    import shutil

    from pysynth.modelfile import load_model
    from pysynth.training import export

    run = tmp_path / "moved"
    shutil.copytree(wavenet_run[0], run)
    cfg = json.loads((run / "config.json").read_text())
    cfg["dataset"] = str(tmp_path / "no-such-dataset")
    (run / "config.json").write_text(json.dumps(cfg))
    with pytest.warns(UserWarning, match="validation clips score"):
        path = export(run, tmp_path / "m.pysynth")
    assert load_model(path).metadata["validation_clip_nll"] == []
    assert load_model(path).metadata["peak_db"] is None


@pytest.mark.keras
def test_cli_train_and_export(tones, tiny, tmp_path, capsys):
    from pysynth.cli import main
    from pysynth.modelfile import load_model
    from pysynth.training import read_state

    run = tmp_path / "cli-run"
    sets = []
    config = {**tiny, "steps_per_epoch": 5, "sample_every": 0, "lr_schedule": "exponential",
              "lr_decay": 0.5, "max_minutes": 1e-6}
    for k, v in config.items():
        sets += ["--set", f"{k}={json.dumps(v)}"]
    assert main(["train", str(tones), "--arch", "wavenet", "-o", str(run), "--epochs", "3",
                 "-q", *sets]) == 0
    assert read_state(run)["epoch"] == 1  # out of time after the first epoch
    assert main(["train", str(tones), "-o", str(run), "--resume", "--epochs", "2", "-q"]) == 0
    lrs = [row["learning_rate"] for row in read_state(run)["history"]]
    assert lrs == pytest.approx([0.005, 0.0025])  # halved after each epoch of 5 steps
    best = read_state(run)["best_epoch"]
    # an exponential schedule does not run down: the lowest validation NLL, and both say so
    assert f"`pysynth export` takes epoch {best}: the lowest validation NLL" in (
        capsys.readouterr().err)
    assert main(["export", str(run), "-o", str(tmp_path / "m.pysynth")]) == 0
    assert f"epoch {best}: the lowest validation NLL" in capsys.readouterr().out
    assert load_model(tmp_path / "m.pysynth").metadata["epoch"] == best
    assert load_model(tmp_path / "m.pysynth").program["dilations"] == [1, 2, 4, 8]
    assert main(["train", str(tones), "-o", str(run), "--set", "nope=1"]) == 1
    assert "nope" in capsys.readouterr().err
