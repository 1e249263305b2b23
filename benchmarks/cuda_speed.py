"""CUDA sampling speed against the CPU engine on the same machine, and their agreement.

For each family with a CUDA kernel, random-weight programs of its presets: samples per
second per stream-batch (B streams x n samples / wall seconds) on the GPU and on the CPU
engine (all cores of the machine it runs on), after a warm-up; then the share of samples
on which the GPU and CPU engines agree for the same seed (they can differ only where
float rounding moves a sample across a level boundary, after which the streams diverge).

    python benchmarks/cuda_speed.py [--out results.json]

Needs a GPU; exits with a message otherwise. Used by a session's device run (docs/cuda.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def rate(engine, batch: int, n: int) -> float:
    streams = np.arange(batch, dtype=np.int32)
    engine.generate(32, streams=streams, seed=1)  # warm-up: allocation, first launch
    t0 = time.perf_counter()
    engine.generate(n, streams=streams, seed=2)
    return batch * n / (time.perf_counter() - t0)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of streams' samples equal up to each stream's first disagreement."""
    same = []
    for x, y in zip(a, b):
        diff = np.flatnonzero(x != y)
        same.append((diff[0] if diff.size else x.size) / x.size)
    return float(np.mean(same))


def families():
    from pysynth_wavenet import PRESETS as WN_PRESETS
    from pysynth_wavenet import random_program as wn_random

    from pysynth import _engine, _engine_cuda

    out = [("wavenet", name, wn_random, _engine.WaveNetEngine, _engine_cuda.WaveNetEngine)
           for name in ("small", "ibab") if name in WN_PRESETS]
    if hasattr(_engine_cuda, "SampleRNNEngine"):
        from pysynth_samplernn import PRESETS as SR_PRESETS
        from pysynth_samplernn import random_program as sr_random

        out += [("samplernn", name, sr_random, _engine.SampleRNNEngine,
                 _engine_cuda.SampleRNNEngine) for name in ("small", "prism")
                if name in SR_PRESETS]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("-n", type=int, default=4000)
    args = ap.parse_args()
    from pysynth import _engine_cuda

    if not _engine_cuda.device_available():
        print("no CUDA device", file=sys.stderr)
        return 1
    rows = []
    for family, preset, make, cpu_cls, gpu_cls in families():
        from importlib import import_module

        presets = import_module(f"pysynth_{family}").PRESETS
        program, tensors = make(presets[preset], seed=0)
        cpu = cpu_cls(json.dumps(program), tensors, 0)
        gpu = gpu_cls(json.dumps(program), tensors, device=0)
        streams = np.arange(8, dtype=np.int32)
        same = agreement(gpu.generate(2000, streams=streams, seed=5),
                         cpu.generate(2000, streams=streams, seed=5))
        for batch in (1, 32, 256, 1024):
            row = {"family": family, "preset": preset, "B": batch,
                   "gpu_samples_per_s": rate(gpu, batch, args.n)}
            if batch <= 32:
                row["cpu_samples_per_s"] = rate(cpu, batch, max(args.n // 4, 500))
            row["gpu_cpu_agreement_8x2000"] = same
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"cpu threads: {os.cpu_count()}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
