"""Compare the installed CPU engine with another build of it (an earlier commit's): same
samples, and speed measured alternately in the same run, so machine load hits both alike.

Build the other engine first, e.g. for commit 8b46844::

    mkdir /tmp/old && git archive 8b46844 | tar -x -C /tmp/old
    pip wheel --no-deps --no-build-isolation -w /tmp/old-wheel /tmp/old
    cd /tmp/old-wheel && unzip -o pysynth-*.whl 'pysynth/_engine*'

then, with pysynth installed::

    python benchmarks/same_engine_speed_as.py /tmp/old-wheel/pysynth/_engine.cpython-311-x86_64-linux-gnu.so

It prints, for the ibab WaveNet and the prism SampleRNN at B = 1 and 8 (two threads), the
best samples/s of each build in each of ``ROUNDS`` alternating rounds, the median ratio
new / old, and whether both builds generate the same samples. Exits non-zero if the samples
differ.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time

import numpy as np

ROUNDS = 5


def _load_other(path: str):
    # the module's init function is PyInit__engine: any dotted name ending in _engine works
    spec = importlib.util.spec_from_file_location("other_build._engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rate(engine, batch: int, n: int) -> float:
    streams = np.arange(batch, dtype=np.int32)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        engine.generate(n, streams=streams, seed=0)
        best = min(best, time.perf_counter() - t0)
    return batch * n / best


def main(other_path: str) -> int:
    from pysynth_samplernn import random_program as samplernn_program
    from pysynth_wavenet import random_program as wavenet_program

    from pysynth import _engine as new

    old = _load_other(other_path)
    cases = [("wavenet ibab", "WaveNetEngine", wavenet_program("ibab", seed=0), 4096),
             ("samplernn prism", "SampleRNNEngine", samplernn_program("prism", seed=0), 1024)]
    same = True
    for name, cls, (program, tensors), n in cases:
        engines = {tag: getattr(mod, cls)(json.dumps(program), tensors, 2)
                   for tag, mod in (("old", old), ("new", new))}
        for batch in (1, 8):
            streams = np.arange(batch, dtype=np.int32)
            a, b = (engines[t].generate(256, streams=streams, seed=3) for t in ("old", "new"))
            equal = np.array_equal(a, b)
            same &= equal
            rates: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(ROUNDS):
                for tag in ("old", "new"):
                    rates[tag].append(_rate(engines[tag], batch, max(256, n // batch)))
            ratio = statistics.median(x / y for x, y in zip(rates["new"], rates["old"]))
            print(f"{name} B={batch}: old {', '.join(f'{r:,.0f}' for r in rates['old'])}; "
                  f"new {', '.join(f'{r:,.0f}' for r in rates['new'])} samples/s; "
                  f"median new/old {ratio:.3f}; samples {'identical' if equal else 'DIFFER'}",
                  flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
