"""Training throughput of the Keras WaveNet (target samples per second), small and ibab.

Each case times one optimizer step (forward, backward, Adam with clipping, as compiled by
pysynth.train) on a batch of random windows, and, as the baseline measured in the same
run, one forward pass (teacher-forced logits) on the same batch. Figures: samples/s of
scored targets and the step/forward time ratio. Run:

    /work/venv/bin/pytest benchmarks/test_train_wavenet.py --benchmark-only -p no:cacheprovider

Sizes stay small so the file finishes in a couple of minutes on two cores.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

CASES = {
    # preset, batch, target window
    "small": ("small", 8, 2048),
    "ibab": ("ibab", 1, 1024),
}


def _setup(preset: str, batch: int, window: int):
    import keras
    from pysynth_wavenet import WaveNet

    from pysynth.training import TrainConfig
    from pysynth.training.loop import compile_model

    arch = WaveNet()
    # no position input: the figures stay comparable with those recorded before it
    config = arch.make_config({"seq_len": window, "position_frames": 0}, preset=preset)
    keras.utils.set_random_seed(0)
    model = arch.build(config)
    compile_model(model, TrainConfig())
    seg = config.receptive_field + window
    rng = np.random.default_rng(0)
    q = rng.integers(0, config.levels, size=(batch, seg)).astype(np.int32)
    w = np.zeros((batch, seg), dtype=np.float32)
    w[:, -window:] = 1.0
    model.train_on_batch(q, q, sample_weight=w)  # build the graph and optimizer once
    model.predict_on_batch(q)
    return model, q, w


@pytest.mark.parametrize("name", sorted(CASES))
def test_train_step(benchmark, name):
    preset, batch, window = CASES[name]
    model, q, w = _setup(preset, batch, window)
    benchmark.pedantic(model.train_on_batch, args=(q, q), kwargs={"sample_weight": w},
                       rounds=3, iterations=1, warmup_rounds=0)
    step = benchmark.stats.stats.median
    import time

    t0 = time.perf_counter()
    for _ in range(3):
        model.predict_on_batch(q)
    forward = (time.perf_counter() - t0) / 3
    benchmark.extra_info.update({
        "preset": preset, "batch": batch, "window": window, "segment": q.shape[1],
        "train_samples_per_s": batch * window / step,
        "forward_seconds": forward, "step_over_forward": step / forward,
    })
    print(f"\n{name}: {batch * window / step:,.0f} target samples/s training; "
          f"step {step * 1e3:.1f} ms = {step / forward:.2f} x forward ({forward * 1e3:.1f} ms)")
