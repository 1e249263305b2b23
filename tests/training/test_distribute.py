"""Training under tf.distribute: TF_CONFIG checks, MirroredStrategy on two logical CPU
devices and MultiWorkerMirroredStrategy with two worker processes on loopback ports, each
compared with one device training on the same global batches.

TensorFlow fixes its devices and collectives when it starts, so the distributed runs are
separate processes (the scripts below); the tests compare the weights they dump.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pysynth.errors import ParameterError

#: How far replicated training may drift from one device's, in Adam steps (the learning
#: rate): the same batches and update, summed in another order. Adam moves every weight by
#: about the learning rate per step whatever the gradient's size, so float rounding in a
#: gradient component near zero shows as a fraction of a step. Measured after 2 epochs of
#: 4 steps: at most 1e-4 of a step (1e-6 with the learning rate 0.01).
TOLERANCE_STEPS = 1e-3

TINY = {
    "wavenet": {"dilations": [1, 2, 4], "residual_channels": 8, "dilation_channels": 8,
                "skip_channels": 16, "output_channels": 16, "seq_len": 64},
    "samplernn": {"frame_sizes": [4, 16], "dim": 16, "seq_len": 64, "rnn_type": "gru"},
}
TRAIN = {"batch_size": 4, "steps_per_epoch": 3, "learning_rate": 0.01, "sample_every": 0,
         "validate_every": 0, "tensorboard": False, "keep_checkpoints": 10}

#: One training run; dumps the trainable weights after every epoch to DUMPS/NAME-epochE.npz.
#: With "crash_at", the process dies (as a killed machine would) after that optimizer step.
RUN_SCRIPT = textwrap.dedent('''
    import json, os, sys
    args = json.loads(sys.argv[1])
    if args.get("workers"):
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": args["workers"]},
                                              "task": {"type": "worker", "index": args["index"]}})
    import tensorflow as tf
    if args.get("cpus"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args["cpus"])
    import keras
    import numpy as np
    from pysynth.training import train

    class Dump(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            np.savez(os.path.join(args["dumps"], f"{args['name']}-epoch{epoch + 1}.npz"),
                     *[np.asarray(v) for v in self.model.trainable_weights])

    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == args.get("crash_at"):
                os._exit(3)

    class ChiefRate(keras.callbacks.Callback):  # a schedule only the chief runs
        def on_epoch_begin(self, epoch, logs=None):
            self.model.optimizer.learning_rate.assign(0.003 * (epoch + 1))

    extra = [ChiefRate()] if args.get("chief_rate") and args.get("index") == 0 else []
    for strategy, run, name in args["runs"]:
        args["name"] = name
        train(args["dataset"], arch=args["arch"], run=run, overrides=args["overrides"],
              epochs=args["epochs"], seed=5, verbose=0, strategy=strategy,
              resume=args.get("resume", False), callbacks=[Dump(), Crash(), *extra])
''')


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _start(script, args: dict) -> subprocess.Popen:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    return subprocess.Popen([sys.executable, str(script), json.dumps(args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 600) -> None:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-4000:]


def _weights(dumps, name: str, epoch: int) -> list[np.ndarray]:
    with np.load(dumps / f"{name}-epoch{epoch}.npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def _assert_close(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0,
                                   atol=TOLERANCE_STEPS * TRAIN["learning_rate"])


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "run_script.py"
    path.write_text(RUN_SCRIPT)
    return path


def _two_workers(script, tones, tmp_path, *, runs, epochs, dumps, resume=False,
                 crash_at=None, crashing=0, arch="wavenet", train=None,
                 chief_rate=False) -> None:
    """Run both workers of a two-worker cluster; with ``crash_at`` worker ``crashing`` dies
    after that step and the other one, waiting for it in an all-reduce, is stopped too."""
    ports = _free_ports(2)
    common = {"workers": [f"localhost:{p}" for p in ports], "dataset": str(tones),
              "arch": arch, "overrides": {**TINY[arch], **TRAIN, **(train or {})},
              "epochs": epochs, "dumps": str(dumps), "resume": resume,
              "chief_rate": chief_rate}
    procs = [_start(script, {**common, "index": i, "runs": [run],
                             "crash_at": crash_at if i == crashing else None})
             for i, run in enumerate(runs)]
    if crash_at is None:
        for p in procs:
            _finish(p)
        return
    dying, waiting = procs[crashing], procs[1 - crashing]
    dying.wait(timeout=600)
    assert dying.returncode == 3, dying.communicate()[0][-4000:]
    waiting.kill()
    waiting.communicate()


# -- TF_CONFIG and the strategy's name (no TensorFlow) --------------------------------------


@pytest.mark.parametrize(("tf_config", "word"), [
    ("{not json", "not JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', '"task"'),
    ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}', '"worker"'),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     "worker 0..1"),
])
def test_bad_tf_config_is_named(monkeypatch, tf_config, word):
    from pysynth.training.distribute import writes_run

    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ParameterError, match="TF_CONFIG") as err:
        writes_run("multi-worker")
    assert word in str(err.value)


@pytest.mark.parametrize(("cluster", "task", "strategy", "chief"), [
    ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 0}, "multi-worker", True),
    ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 1}, "auto", False),
    ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 1}, "one", True),
    ({"chief": ["c:0"], "worker": ["a:1"]}, {"type": "worker", "index": 0}, "auto", False),
    ({"chief": ["c:0"], "worker": ["a:1"]}, {"type": "chief", "index": 0}, "auto", True),
])
def test_only_the_chief_writes_the_run(monkeypatch, cluster, task, strategy, chief):
    from pysynth.training.distribute import writes_run

    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
    assert writes_run(strategy) is chief


def test_strategy_name_and_missing_tf_config_are_errors(monkeypatch):
    from pysynth.training.distribute import choose_strategy, writes_run

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ParameterError, match="strategy must be one of"):
        writes_run("gpus")
    for check in (writes_run, choose_strategy):  # writes_run: before the run folder is made
        with pytest.raises(ParameterError, match="needs TF_CONFIG"):
            check("multi-worker")


@pytest.mark.keras
def test_batch_must_split_evenly_among_replicas():
    from pysynth.training.distribute import Placement, replica_batches

    with pytest.raises(ParameterError, match="batch_size=4 cannot be split evenly among 3"):
        replica_batches(Placement("mirrored", replicas=3), lambda: None, 4)


# -- the distributed runs --------------------------------------------------------------------


@pytest.mark.keras
@pytest.mark.parametrize("arch", [
    "samplernn",  # the default run checks the carried state, kept per replica
    pytest.param("wavenet", marks=pytest.mark.slow),
])
def test_mirrored_on_two_cpus_equals_one_device(script, tones, tmp_path, arch):
    """2 epochs on two logical CPU devices: the weights after every epoch equal one
    device's (SampleRNN: each replica carries its clips' state across their chunks)."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    runs = [("one", str(tmp_path / "one"), "one"),
            ("mirrored", str(tmp_path / "mirrored"), "mirrored")]
    _finish(_start(script, {"cpus": 2, "dataset": str(tones), "arch": arch,
                            "overrides": {**TINY[arch], **TRAIN}, "epochs": 2,
                            "dumps": str(dumps), "runs": runs}))
    for epoch in (1, 2):
        _assert_close(_weights(dumps, "mirrored", epoch), _weights(dumps, "one", epoch))
    state = json.loads((tmp_path / "mirrored" / "state.json").read_text())
    assert state["checkpoints"] == ["epoch-001.npz", "epoch-002.npz"]


@pytest.mark.keras
@pytest.mark.parametrize("arch", [
    "samplernn",  # its carried state and its embedding's sparse gradient, across workers
    pytest.param("wavenet", marks=pytest.mark.slow),
])
def test_two_workers_hold_one_devices_weights(script, tones, tmp_path, arch):
    """Two worker processes: identical weights after every epoch, equal to one process
    training on the same global batches; worker 1 writes nothing."""
    from pysynth.training import train

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    chief_run, other_run = tmp_path / "run", tmp_path / "worker1-run"
    _two_workers(script, tones, tmp_path, epochs=2, dumps=dumps, arch=arch,
                 runs=[("multi-worker", str(chief_run), "w0"),
                       ("multi-worker", str(other_run), "w1")])
    import keras

    one = []

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            one.append([np.asarray(v) for v in self.model.trainable_weights])

    train(tones, arch=arch, run=tmp_path / "one", overrides={**TINY[arch], **TRAIN},
          epochs=2, seed=5, verbose=0, strategy="one", callbacks=[Keep()])
    for epoch in (1, 2):
        w0, w1 = _weights(dumps, "w0", epoch), _weights(dumps, "w1", epoch)
        assert all(np.array_equal(a, b) for a, b in zip(w0, w1))
        _assert_close(w0, one[epoch - 1])
    assert not other_run.exists()
    assert sorted(p.name for p in (chief_run / "checkpoints").iterdir()) == [
        "epoch-001.npz", "epoch-002.npz"]
    ours = json.loads((chief_run / "state.json").read_text())["history"]
    theirs = json.loads((tmp_path / "one" / "state.json").read_text())["history"]
    assert [r["nll_bits"] for r in ours] == pytest.approx([r["nll_bits"] for r in theirs],
                                                          rel=1e-4)


@pytest.mark.keras
@pytest.mark.slow
@pytest.mark.parametrize("crashing", [0, 1], ids=["chief", "other"])
def test_stopped_worker_resumes_to_the_uninterrupted_weights(script, tones, tmp_path,
                                                             crashing):
    """A worker dies in the middle of epoch 2 (the other one is stopped with it, as a
    cluster scheduler does); both resume from the run folder they share and end with the
    weights of an uninterrupted two-worker run."""
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    for d in (whole, broken):
        (d / "dumps").mkdir(parents=True)
    _two_workers(script, tones, tmp_path, epochs=3, dumps=whole / "dumps",
                 runs=[("multi-worker", str(whole / "run"), f"w{i}") for i in range(2)])
    runs = [("multi-worker", str(broken / "run"), f"w{i}") for i in range(2)]
    _two_workers(script, tones, tmp_path, epochs=3, dumps=broken / "dumps", runs=runs,
                 crash_at=TRAIN["steps_per_epoch"] + 2, crashing=crashing)
    state = json.loads((broken / "run" / "state.json").read_text())
    assert state["epoch"] == 1
    _two_workers(script, tones, tmp_path, epochs=3, dumps=broken / "dumps", runs=runs,
                 resume=True)
    for name in ("w0", "w1"):  # the same computation as uninterrupted: equal up to BLAS
        for got, want in zip(_weights(broken / "dumps", name, 3),
                             _weights(whole / "dumps", "w0", 3)):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    with np.load(whole / "run" / "checkpoints" / "epoch-003.npz") as a, \
            np.load(broken / "run" / "checkpoints" / "epoch-003.npz") as b:
        for k in a.files:
            if k.startswith("optimizer/"):
                np.testing.assert_allclose(b[k], a[k], rtol=1e-5, atol=1e-7)


@pytest.mark.keras
@pytest.mark.slow
def test_every_worker_follows_the_chiefs_decisions(script, tones, tmp_path):
    """Only the chief runs the run's callbacks: its time budget (here spent in the first
    epoch) stops both workers after the same epoch, and a learning rate its callbacks set
    reaches the other worker (the weights stay identical)."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    runs = [("multi-worker", str(tmp_path / "run"), f"w{i}") for i in range(2)]
    _two_workers(script, tones, tmp_path, epochs=3, dumps=dumps, runs=runs,
                 train={"max_minutes": 1e-4}, chief_rate=True)
    assert json.loads((tmp_path / "run" / "state.json").read_text())["epoch"] == 1
    assert sorted(p.name for p in dumps.iterdir()) == ["w0-epoch1.npz", "w1-epoch1.npz"]
    assert all(np.array_equal(a, b) for a, b in zip(_weights(dumps, "w0", 1),
                                                     _weights(dumps, "w1", 1)))
