"""What `pysynth train` shows a user: progress on stderr, results alone on stdout, none of
TensorFlow's own start-up log lines, and a resume with nothing to do says so."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

# What TensorFlow's C++ side prints (oneDNN notice, cpu_feature_guard, absl, node_def_util)
TF_NOISE = re.compile(r"absl::InitializeLog|oneDNN|cpu_feature_guard|^[IWEF]\d{4} ", re.M)


def _train(capsys, tones, run, tiny, *extra):
    from pysynth.cli import main

    sets = []
    for k, v in {**tiny, "steps_per_epoch": 3, "sample_every": 0}.items():
        sets += ["--set", f"{k}={json.dumps(v)}"]
    code = main(["train", str(tones), "--arch", "wavenet", "-o", str(run), *sets, *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


@pytest.mark.keras
def test_train_shows_epochs_on_stderr_and_results_on_stdout(tones, tiny, tmp_path, capsys):
    pytest.importorskip("tensorflow")
    run = tmp_path / "run"
    out, err = _train(capsys, tones, run, tiny, "--epochs", "2", "--json")
    assert json.loads(out)["epochs"] == 2  # stdout is the result and nothing else
    lines = re.findall(r"^pysynth train: epoch (\d)/2: train ([\d.]+), validation ([\d.]+) "
                       r"bits/sample, ([\d.]+) s$", err, re.M)
    assert [int(e) for e, *_ in lines] == [1, 2], err
    history = json.loads((run / "state.json").read_text())["history"]
    for (_, nll, val, _), row in zip(lines, history):
        assert float(nll) == pytest.approx(row["nll_bits"], abs=5e-4)
        assert float(val) == pytest.approx(row["val_nll_bits"], abs=5e-4)

    # --resume with --epochs at the run's epoch trains nothing and says why, on stderr
    out, err = _train(capsys, tones, run, tiny, "--resume", "--epochs", "2")
    assert re.search(r"pysynth train: warning: .*nothing to train: it has trained 2 epochs, "
                     r"and 2 were asked for", err), err
    assert "epoch 3" not in err
    assert out.startswith("trained 2 epochs into")


@pytest.mark.keras
def test_a_time_budget_shows_the_time_left(tones, tiny, tmp_path, capsys):
    pytest.importorskip("tensorflow")
    out, err = _train(capsys, tones, tmp_path / "run", tiny, "--epochs", "2",
                      "--set", "max_minutes=100", "--set", "validate_every=0")
    left = [float(m) for m in re.findall(r"^pysynth train: epoch \d: train [\d.]+ bits/sample, "
                                         r"[\d.]+ s, ([\d.]+) min of the budget left$", err, re.M)]
    assert len(left) == 2, err
    assert 99 < left[-1] <= left[0] <= 100
    assert "trained 2 epochs into" in out


@pytest.mark.keras
def test_train_hides_tensorflows_own_log_lines(tones, tiny, tmp_path):
    # a fresh process, as a user runs it: TensorFlow prints its start-up lines at import and
    # tf.data ones while training; stderr holds pysynth's lines and nothing of TensorFlow's
    pytest.importorskip("tensorflow")
    sets = []
    for k, v in {**tiny, "steps_per_epoch": 2, "sample_every": 0, "validate_every": 0}.items():
        sets += ["--set", f"{k}={json.dumps(v)}"]
    done = subprocess.run([sys.executable, "-m", "pysynth", "train", str(tones), "-o",
                           str(tmp_path / "run"), "--epochs", "1", *sets],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert not TF_NOISE.search(done.stderr), done.stderr
    assert all(line.startswith("pysynth train: ") for line in done.stderr.splitlines()), \
        done.stderr
