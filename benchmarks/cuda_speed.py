"""CUDA sampling speed against the CPU engine on the same machine, and their agreement.

For each family with a CUDA kernel, random-weight programs of its presets (WaveNet: small,
ibab; SampleRNN: prism, and prism with LSTM tiers; and small and prism with a 10-component
mol16 head and a 16-tap linear predictor, "+lpc16"): samples per second per stream-batch
(B streams x n samples / wall seconds) on the GPU and on the CPU engine (all cores of the
machine it runs on), after a warm-up; then the share of samples on which the GPU and CPU
engines agree for the same seed (they can differ only where float rounding moves a sample
across a level boundary, after which the streams diverge). Each measurement runs about
--seconds of wall time (n is sized from the warm-up), so slow cases cannot eat the run.

    python benchmarks/cuda_speed.py [--out results.json] [--family samplernn] [--preset small]

Needs a GPU; exits with a message otherwise. Imports neither TensorFlow nor soundfile (the
GPU machine has neither). Used by a session's device run (benchmarks/cuda_device_check.sh,
docs/cuda.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def rate(engine, batch: int, n_max: int, seconds: float) -> float:
    """Samples per second of `batch` streams, timed over about `seconds` (at most n_max
    samples per stream), after a warm-up that also sizes n."""
    streams = np.arange(batch, dtype=np.int32)
    t0 = time.perf_counter()
    engine.generate(64, streams=streams, seed=1)  # warm-up: allocation, first launch
    per_sample = (time.perf_counter() - t0) / 64
    n = int(min(n_max, max(64, seconds / max(per_sample, 1e-9))))
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
    """(family, preset name, program, tensors, CPU class, GPU class, batches, CPU batches)."""
    from pysynth_wavenet import PRESETS as WN_PRESETS
    from pysynth_wavenet import random_program as wn_random

    from pysynth import _engine, _engine_cuda

    # the 16-bit head with the dataset's linear predictor (random stable coefficients), whose
    # speed issue 14 asks beside the 8-bit preset's in the same run
    lpc16 = {"output": "mol16", "mixtures": 10, "lpc_order": 16}
    configs = {"small": WN_PRESETS["small"], "ibab": WN_PRESETS["ibab"],
               "small+lpc16": {**WN_PRESETS["small"], **lpc16}}
    out = [("wavenet", name, *wn_random(cfg, seed=0), _engine.WaveNetEngine,
            _engine_cuda.WaveNetEngine, (1, 32, 256) if "+" in name else (1, 32, 256, 1024),
            (1, 32))
           for name, cfg in configs.items()]
    if hasattr(_engine_cuda, "SampleRNNEngine"):
        from pysynth_samplernn import PRESETS as SR_PRESETS
        from pysynth_samplernn import random_program as sr_random

        configs = {"prism": SR_PRESETS["prism"],
                   "prism-lstm": {**SR_PRESETS["prism"], "rnn_type": "lstm"},
                   "prism+lpc16": {**SR_PRESETS["prism"], **lpc16}}
        out += [("samplernn", name, *sr_random(cfg, seed=0), _engine.SampleRNNEngine,
                 _engine_cuda.SampleRNNEngine, (1, 8, 32, 256), (1, 32, 256))
                for name, cfg in configs.items()]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("-n", type=int, default=4000, help="most samples per stream timed")
    ap.add_argument("--seconds", type=float, default=2.0, help="wall time per measurement")
    ap.add_argument("--family", choices=("wavenet", "samplernn"), help="only this family")
    ap.add_argument("--preset", help="only this preset (e.g. small, prism+lpc16)")
    args = ap.parse_args()
    from pysynth import _engine_cuda

    if not _engine_cuda.device_available():
        print("no CUDA device", file=sys.stderr)
        return 1
    rows = []
    print("family     preset       B     GPU samples/s   CPU samples/s   GPU/CPU", flush=True)
    for family, preset, program, tensors, cpu_cls, gpu_cls, batches, cpu_batches in families():
        if (args.family and family != args.family) or (args.preset and preset != args.preset):
            continue
        cpu = cpu_cls(json.dumps(program), tensors, 0)
        gpu = gpu_cls(json.dumps(program), tensors, device=0)
        streams = np.arange(8, dtype=np.int32)
        same = agreement(gpu.generate(2000, streams=streams, seed=5),
                         cpu.generate(2000, streams=streams, seed=5))
        # SampleRNN: the automatic blocks per stream beside one persistent block per stream
        # (and, at B = 1, a sweep of the blocks), to check and tune blocks_for.
        one_block = (gpu_cls(json.dumps(program), tensors, device=0, blocks_per_stream=1)
                     if hasattr(gpu, "blocks_for") else None)
        if one_block is not None and "+" not in preset:  # a head does not change the layouts
            for blocks in (4, 8, 32, 64):
                wide = gpu_cls(json.dumps(program), tensors, device=0, blocks_per_stream=blocks)
                print(f"{family:10} {preset:11}    1 {rate(wide, 1, args.n, args.seconds):15,.0f}"
                      f"   ({blocks} blocks per stream)", flush=True)
                del wide
        for batch in batches:
            row = {"family": family, "preset": preset, "B": batch,
                   "gpu_samples_per_s": rate(gpu, batch, args.n, args.seconds)}
            if one_block is not None:
                row["gpu_blocks_per_stream"] = gpu.blocks_for(batch)
                if row["gpu_blocks_per_stream"] > 1:
                    row["gpu_one_block_samples_per_s"] = rate(one_block, batch, args.n,
                                                              args.seconds)
            if batch in cpu_batches:
                row["cpu_samples_per_s"] = rate(cpu, batch, args.n, args.seconds)
            row["gpu_cpu_agreement_8x2000"] = same
            rows.append(row)
            cpu_rate = row.get("cpu_samples_per_s")
            ratio = f"{row['gpu_samples_per_s'] / cpu_rate:8.2f}" if cpu_rate else ""
            cpu_txt = f"{cpu_rate:15,.0f}" if cpu_rate else " " * 15
            blocks = ""
            if "gpu_blocks_per_stream" in row:
                blocks = f"   {row['gpu_blocks_per_stream']} blocks/stream"
            if "gpu_one_block_samples_per_s" in row:
                blocks += f" (1 block: {row['gpu_one_block_samples_per_s']:,.0f})"
            print(f"{family:10} {preset:11} {batch:4} {row['gpu_samples_per_s']:15,.0f} "
                  f"{cpu_txt} {ratio}   agree {same:.3f}{blocks}", flush=True)
    print(f"cpu threads: {os.cpu_count()}", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
