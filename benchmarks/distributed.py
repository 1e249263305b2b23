"""Training throughput on one device against two workers (MultiWorkerMirroredStrategy on
loopback ports) and two logical CPU devices (MirroredStrategy), same global batch.

    python benchmarks/distributed.py OUT [--arch wavenet] [--steps 20] [--epochs 3]

Each configuration is a real ``pysynth train`` run (the CLI, in fresh processes). Figures:
target samples per second of the epochs after the first (which traces the graph), from
the chief's history.csv, and the CPU seconds all its processes used (start-up and tracing
included). On one machine the workers share its cores, so this measures the cost of
distribution (the all-reduce, each worker's input pipeline and start-up), not a speed-up;
on a machine shared with other work the wall-clock figure also moves with the scheduler's
share of the cores, which the CPU seconds do not. docs/training.md says what to expect on
real multi-GPU machines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

#: moderate models: big enough that a step is not all overhead, small enough for 2 cores
MODELS = {
    "wavenet": {"dilations": [1, 2, 4, 8, 16, 32, 64, 128], "residual_channels": 32,
                "dilation_channels": 32, "skip_channels": 64, "output_channels": 64,
                "seq_len": 1024, "conditioning_classes": 0, "position_frames": 0},
    "samplernn": {"frame_sizes": [16, 64], "dim": 256, "seq_len": 512,
                  "conditioning_classes": 0, "position_frames": 0},
}


def _ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _train(dataset: Path, run: Path, args, strategy: str, tf_config=None, cpus: int = 0):
    sets = {**MODELS[args.arch], "batch_size": args.batch, "steps_per_epoch": args.steps,
            "validate_every": 0, "sample_every": 0, "tensorboard": False}
    cmd = [sys.executable, "-m", "pysynth", "train", str(dataset), "--arch", args.arch,
           "-o", str(run), "--epochs", str(args.epochs), "--strategy", strategy, "-q"]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={json.dumps(v)}"]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    if cpus:  # split the CPU into logical devices before pysynth imports TensorFlow
        code = ("import sys, tensorflow as tf; c = tf.config.list_physical_devices('CPU')[0]; "
                f"tf.config.set_logical_device_configuration(c, "
                f"[tf.config.LogicalDeviceConfiguration()] * {cpus}); "
                "from pysynth.cli import main; sys.exit(main(sys.argv[1:]))")
        cmd = [sys.executable, "-c", code, *cmd[3:]]
    return subprocess.Popen(cmd, env=env)


def _samples_per_second(run: Path, args) -> float:
    with open(run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    seconds = sum(float(r["seconds"]) for r in rows[1:])
    return (len(rows) - 1) * args.steps * args.batch * MODELS[args.arch]["seq_len"] / seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--arch", default="wavenet", choices=sorted(MODELS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=8)
    args = p.parse_args(argv)
    from pysynth.contract import write_tones_dataset

    dataset = write_tones_dataset(args.out / "dataset", sr=16000, seconds=2.0)
    ports = _ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    configurations = {
        "one device": lambda: [_train(dataset, args.out / "one", args, "one")],
        "mirrored, 2 logical CPUs": lambda: [
            _train(dataset, args.out / "mirrored", args, "mirrored", cpus=2)],
        "2 workers": lambda: [
            _train(dataset, args.out / ("two" if i == 0 else f"two-{i}"), args,
                   "multi-worker", {"cluster": cluster, "task": {"type": "worker", "index": i}})
            for i in range(2)],
    }
    results = {}
    for name, start in configurations.items():
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if any(p.wait() for p in start()):
            return 1
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
        run = args.out / {"one device": "one", "2 workers": "two"}.get(name, "mirrored")
        results[name] = (_samples_per_second(run, args), cpu)
    base = results["one device"][0]
    for name, (rate, cpu) in results.items():
        print(f"{args.arch} {name}: {rate:,.0f} target samples/s ({rate / base:.2f}x), "
              f"{cpu:.0f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
