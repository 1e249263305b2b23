"""Training throughput of the Keras SampleRNN (target samples per second) for its presets.

Each case times one optimizer step (forward, backward, Adam with clipping, as compiled by
pysynth.train) on one TBPTT chunk of random samples (state carried, as in training), and,
as the baseline measured in the same run, one forward pass on the same chunk. Figures:
samples/s of scored targets and the step/forward time ratio. Run:

    /work/venv/bin/pytest benchmarks/test_train_samplernn.py --benchmark-only -p no:cacheprovider

Sizes stay small (batch 8, 64-sample chunks for the 1024-wide presets) so the file
finishes in a few minutes on two cores; the paper's batch 128 and prism's 64 are not
attempted.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("tensorflow")

CASES = {
    # preset, batch, seq_len
    "small": ("small", 8, 512),
    "paper-2tier": ("paper-2tier", 8, 64),
    "paper-3tier": ("paper-3tier", 8, 64),
    "prism": ("prism", 8, 64),
}


def _setup(preset: str, batch: int, seq_len: int):
    import keras
    from pysynth_samplernn import SampleRNN

    from pysynth.training import TrainConfig
    from pysynth.training.loop import compile_model

    arch = SampleRNN()
    config = arch.make_config({"seq_len": seq_len, "batch_size": batch}, preset=preset)
    keras.utils.set_random_seed(0)
    model = arch.build(config)
    compile_model(model, TrainConfig(batch_size=batch))
    top = config.top_frame_size
    rng = np.random.default_rng(0)
    q = rng.integers(0, config.levels, size=(batch, top + seq_len)).astype(np.int32)
    x = {"q": q, "reset": np.zeros(batch, np.float32)}
    y = q[:, top:]
    model.train_on_batch(x, y)  # build the graph and optimizer once
    model.predict_on_batch(x)
    return model, x, y


@pytest.mark.parametrize("name", list(CASES))
def test_train_step(benchmark, name):
    preset, batch, seq_len = CASES[name]
    model, x, y = _setup(preset, batch, seq_len)
    benchmark.pedantic(model.train_on_batch, args=(x, y), rounds=2, iterations=1,
                       warmup_rounds=1)
    step = benchmark.stats.stats.median
    t0 = time.perf_counter()
    for _ in range(2):
        model.predict_on_batch(x)
    forward = (time.perf_counter() - t0) / 2
    benchmark.extra_info.update({
        "preset": preset, "batch": batch, "seq_len": seq_len,
        "parameters": int(model.count_params()),
        "train_samples_per_s": batch * seq_len / step,
        "forward_seconds": forward, "step_over_forward": step / forward,
    })
    print(f"\n{name}: {batch * seq_len / step:,.0f} target samples/s training; "
          f"step {step * 1e3:.1f} ms = {step / forward:.2f} x forward ({forward * 1e3:.1f} ms)")
