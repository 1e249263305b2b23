"""Compare two builds of the CPU engine by process CPU time: same samples, and samples per
CPU-second of one thread, measured in alternating processes (one per build and round).

On a machine shared with other jobs, wall-clock rates of a single thread move 2x with the
load, while its CPU time moves little; so this is how docs/bench/engine.md compares the
AVX-512 and AVX2 microkernels. Build the other engine, e.g. the AVX2 one::

    pip wheel --no-deps --no-build-isolation -C cmake.define.PYSYNTH_FORCE_AVX2=ON \\
        -C build-dir=/tmp/avx2-build -w /tmp/avx2-wheel .
    cd /tmp/avx2-wheel && unzip -o pysynth-*.whl 'pysynth/_engine*'

(its own build-dir, so that the option does not stay in the editable build's CMake cache),
then::

    python benchmarks/engine_builds_cpu_time.py /tmp/avx2-wheel/pysynth/_engine.cpython-*.so

It prints, per case (model, streams B), the median over ``ROUNDS`` rounds of each build's
samples per CPU-second (best of 3 per round) and of the ratio installed / other, and exits
non-zero if the builds generate different samples. The two builds cannot share one process
(pybind11 registers each class once per process).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import numpy as np

ROUNDS = 5
CASES = [("prism", 1), ("prism", 8), ("prism", 32), ("ibab", 1), ("ibab", 32)]


def _measure(engine_path: str) -> dict:
    """One build's rates (samples per CPU-second, one thread) and a digest of its samples."""
    if engine_path:
        import importlib.util

        spec = importlib.util.spec_from_file_location("pysynth._engine", engine_path)
        eng = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(eng)
    else:
        from pysynth import _engine as eng
    from pysynth_samplernn import random_program as samplernn_program
    from pysynth_wavenet import random_program as wavenet_program

    programs = {"prism": (samplernn_program("prism", seed=0), "SampleRNNEngine"),
                "ibab": (wavenet_program("ibab", seed=0), "WaveNetEngine")}
    out = {}
    for name, batch in CASES:
        (program, tensors), cls = programs[name]
        engine = getattr(eng, cls)(json.dumps(program), tensors, 1)
        n = max(64, 512 // batch) if name == "prism" else max(128, 2048 // batch)
        streams = np.arange(batch, dtype=np.int32)
        digest = int(engine.generate(64, streams=streams, seed=1).astype(np.int64).sum())
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            engine.generate(n, streams=streams, seed=0)
            best = min(best, time.process_time() - t0)
        out[f"{name} B={batch}"] = (batch * n / best, digest)
    return out


def main(other_path: str) -> int:
    runs = {"installed": [], "other": []}
    for _ in range(ROUNDS):
        for key, path in (("other", other_path), ("installed", "")):
            result = subprocess.run([sys.executable, __file__, "--measure", path],
                                    capture_output=True, text=True, check=True)
            runs[key].append(json.loads(result.stdout))
    same = True
    for case in runs["installed"][0]:
        new = [r[case][0] for r in runs["installed"]]
        old = [r[case][0] for r in runs["other"]]
        ok = runs["installed"][0][case][1] == runs["other"][0][case][1]
        same &= ok
        ratio = statistics.median(a / b for a, b in zip(new, old))
        print(f"{case}: other {statistics.median(old):,.0f}, installed "
              f"{statistics.median(new):,.0f} samples per CPU-second; median ratio "
              f"{ratio:.3f}; {'same' if ok else 'DIFFERENT'} samples")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(sys.argv[2])))
    elif len(sys.argv) == 2:
        sys.exit(main(sys.argv[1]))
    else:
        sys.exit(__doc__)
