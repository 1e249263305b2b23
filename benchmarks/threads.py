"""Two threads against one for the ibab WaveNet and prism SampleRNN engines at B = 1, 8 and 32:
random weights, the two engines alternated, best of 5 rounds each (issue 17: never slower).

    python benchmarks/threads.py
"""

from __future__ import annotations

import json
import time

import numpy as np
from pysynth_samplernn.reference import random_program as sr_random
from pysynth_wavenet import PRESETS
from pysynth_wavenet import random_program as wn_random

from pysynth import _engine

cases = {"ibab": (_engine.WaveNetEngine, *wn_random(PRESETS["ibab"], seed=0)),
         "prism": (_engine.SampleRNNEngine, *sr_random("prism", seed=0))}
for name, (cls, program, tensors) in cases.items():
    engines = {t: cls(json.dumps(program), tensors, t) for t in (1, 2)}
    for b in (1, 8, 32):
        n = {1: 1024, 8: 256, 32: 128}[b] * (4 if name == "ibab" else 1)
        streams = np.arange(b, dtype=np.int32)
        for e in engines.values():
            e.generate(n, streams=streams, seed=0)
        best = {1: 1e9, 2: 1e9}
        for _ in range(5):
            for t, e in engines.items():
                t0 = time.perf_counter()
                e.generate(n, streams=streams, seed=0)
                best[t] = min(best[t], time.perf_counter() - t0)
        r1, r2 = b * n / best[1], b * n / best[2]
        print(f"{name} B={b}: 1 thread {r1:,.0f}, 2 threads {r2:,.0f} samples/s: {r2/r1:.2f}x", flush=True)
