"""Speed of the compiled WaveNet engine (ibab preset), as ratios measured in the same run.

* throughput at B = 1, 8, 32, 128 streams (and of the default "small" preset at B = 1,
  32): samples/s, real-time factor at 16 kHz (seconds of audio per wall second, all
  streams together), achieved GFLOP/s and efficiency = engine GFLOP/s / numpy sgemm
  GFLOP/s (target >= 0.5 at B = 32);
* the 16-bit mixture output (issue 14; small and ibab presets, ``output = "mol16"``, 10
  components) against the 8-bit softmax, timed alternately on the same machine: the 30-wide
  head and its sampling against the 256-wide head and its softmax (target >= 0.7x at B = 1
  and 32);
* against naive Keras generation (the plugin's Keras model run over the whole receptive
  field for every sample; target >= 100x);
* the position input (issue 13; small preset, 63 frames of 256 samples, the clips of a
  1-second dataset) against none, timed alternately on the same machine: the cost of one
  row addition per layer and sample;
* against a cached-state TensorFlow generator (fast-wavenet ring buffers in one
  tf.function, benchmarks/tf_cached_wavenet.py; target >= 10x), which also checks that it
  produces the engine's samples from the same uniforms.

Run (about 2-3 minutes on two cores):

    python -m pytest benchmarks/test_engine_wavenet.py --benchmark-only \\
        -p no:cacheprovider -o addopts= --benchmark-columns=median,rounds

FLOPs per sample are the engine's ``flops_per_sample`` (2 x multiply-adds of every
product, see docs/bench/engine.md); the TF baselines do the same arithmetic (the naive one
RF times over).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import add_predictor, compare_outputs, compare_with_tf_cached, engine_rate

from pysynth import _engine

PRESET = "ibab"
RATE = 16000


def _random_engine(preset: str):
    from pysynth_wavenet import PRESETS, random_program

    program, tensors = random_program(PRESETS[preset], seed=0)
    engine = _engine.WaveNetEngine(json.dumps(program), tensors, 0)
    return program, tensors, engine


@pytest.fixture(scope="module")
def ibab():
    return _random_engine(PRESET)


@pytest.fixture(scope="module")
def small():
    return _random_engine("small")


def _engine_rate(engine, batch: int, n: int) -> float:
    return engine_rate(engine, batch, n, warmup=32)


@pytest.mark.parametrize(("preset", "batch"),
                         [("ibab", 1), ("ibab", 8), ("ibab", 32), ("ibab", 128),
                          ("small", 1), ("small", 32)])
def test_engine_throughput(benchmark, request, measure_sgemm, bench_report, preset, batch):
    _, _, engine = request.getfixturevalue(preset)
    n = max(128, 8192 // batch)
    streams = np.arange(batch, dtype=np.int32)
    engine.generate(32, streams=streams, seed=0)
    # The machine is shared: measure the sgemm yardstick right before and after, and
    # compare against the better of the two (the conservative choice).
    sgemm_before = measure_sgemm(repeats=3)
    benchmark.pedantic(engine.generate, args=(n,), kwargs={"streams": streams, "seed": 0},
                       rounds=3, iterations=1)
    sgemm_now = max(sgemm_before, measure_sgemm(repeats=3), 1e-9)
    rate = batch * n / benchmark.stats.stats.min
    gflops = rate * engine.flops_per_sample / 1e9
    eff = gflops / sgemm_now
    benchmark.extra_info.update(samples_per_s=rate, rtf_16k=rate / RATE, gflops=gflops,
                                sgemm_gflops=sgemm_now, efficiency=eff,
                                threads=engine.num_threads)
    bench_report.append(
        f"engine {preset:5s} B={batch:<3d}: {rate:8.0f} samples/s, real-time factor "
        f"{rate / RATE:5.2f} at 16 kHz, {gflops:5.1f} GFLOP/s, efficiency {eff:.2f} of sgemm "
        f"{sgemm_now:.1f} GFLOP/s ({engine.num_threads} threads)"
    )


@pytest.mark.parametrize("batch", [1, 32])
def test_position_input_cost(benchmark, bench_report, batch):
    from pysynth_wavenet import PRESETS, random_program

    # the same weights, with and without the position tables: only the position term differs
    program, tensors = random_program({**PRESETS["small"], "position_frames": 63}, seed=0)
    plain = ({k: v for k, v in program.items() if not k.startswith("position_")},
             {k: v for k, v in tensors.items() if ".pos." not in k})
    engines = {63: _engine.WaveNetEngine(json.dumps(program), tensors, 0),
               0: _engine.WaveNetEngine(json.dumps(plain[0]), plain[1], 0)}
    n = max(256, 8192 // batch)
    rates = {0: [], 63: []}
    for _ in range(8):  # alternate, so that load on the shared machine hits both alike
        for frames, engine in engines.items():
            rates[frames].append(engine_rate(engine, batch, n, repeats=1))
    benchmark.pedantic(engines[63].generate, args=(n,),
                       kwargs={"streams": np.arange(batch, dtype=np.int32), "seed": 0},
                       rounds=1, iterations=1)
    without, with_pos = max(rates[0]), max(rates[63])
    benchmark.extra_info.update(samples_per_s=with_pos, without_position=without,
                                ratio=with_pos / without)
    bench_report.append(
        f"engine small B={batch:<3d} position 63x256 vs none: {with_pos:8.0f} vs {without:8.0f} "
        f"samples/s ({with_pos / without:.3f}x)"
    )


def mol16_twin(program: dict, tensors: dict, mixtures: int = 10, seed: int = 1,
               lpc_order: int = 0):
    """The program with a mol16 head of ``mixtures`` components in place of its softmax:
    random ``input.weight`` and ``out2`` of the new shapes, every other tensor the same
    (and with ``lpc_order``, a random stable ``lpc.weight``)."""
    rng = np.random.default_rng(seed)
    prog = {**program, "levels": 65536, "quantization": "linear", "output": "mol16",
            "mixtures": mixtures}
    ten = {k: v for k, v in tensors.items() if k != "input.table"}
    k0, r = tensors["input.table"].shape[0], tensors["input.table"].shape[2]
    h = tensors["out2.weight"].shape[0]
    ten["input.weight"] = (rng.standard_normal((k0, r)) / np.sqrt(k0)).astype(np.float32)
    ten["out2.weight"] = (rng.standard_normal((h, 3 * mixtures)) / np.sqrt(h)).astype(np.float32)
    ten["out2.bias"] = np.zeros(3 * mixtures, np.float32)
    if lpc_order:  # the dataset's linear predictor in the means
        add_predictor(prog, ten, lpc_order, rng)
    return prog, ten


@pytest.mark.parametrize(("preset", "batch"), [("small", 1), ("small", 32), ("ibab", 1),
                                               ("ibab", 32)])
def test_mol16_output_speed(benchmark, bench_report, preset, batch):
    from pysynth_wavenet import PRESETS, random_program

    program, tensors = random_program({**PRESETS[preset], "position_frames": 0}, seed=0)
    prog16, ten16 = mol16_twin(program, tensors)
    lpc16 = mol16_twin(program, tensors, lpc_order=16)
    engines = {"mulaw8": _engine.WaveNetEngine(json.dumps(program), tensors, 0),
               "mol16": _engine.WaveNetEngine(json.dumps(prog16), ten16, 0),
               "mol16+lpc16": _engine.WaveNetEngine(json.dumps(lpc16[0]), lpc16[1], 0)}
    n = max(256, 8192 // batch) if preset == "small" else max(128, 4096 // batch)
    compare_outputs(benchmark, bench_report, engines,
                    lambda e, b, m: engine_rate(e, b, m, repeats=1), batch=batch, n=n,
                    rounds=6, label=f"engine {preset:5s}")


def test_engine_vs_naive_keras(benchmark, ibab, bench_report):
    pytest.importorskip("tensorflow")
    import keras
    import tensorflow as tf
    from pysynth_wavenet import WaveNet

    _, _, engine = ibab
    arch = WaveNet()
    config = arch.make_config({"position_frames": 0}, preset=PRESET)
    keras.utils.set_random_seed(0)
    model = arch.build(config)
    rf = config.receptive_field
    forward = tf.function(lambda q: model(q, training=False)[:, -1])
    rng = np.random.default_rng(0)
    history = list(rng.integers(0, config.levels, size=rf))

    def naive_sample():
        # The whole receptive field goes through the network for every new sample.
        window = np.array([*history[-rf:], 0], dtype=np.int32)[None]
        logits = forward(tf.constant(window)).numpy()
        history.append(int(np.argmax(logits[0])))

    naive_sample()  # trace
    benchmark.pedantic(naive_sample, rounds=3, iterations=1)
    naive_rate = 1.0 / benchmark.stats.stats.min
    eng_rate = _engine_rate(engine, 1, 2048)
    ratio = eng_rate / naive_rate
    benchmark.extra_info.update(naive_samples_per_s=naive_rate, engine_samples_per_s=eng_rate,
                                speedup=ratio)
    bench_report.append(
        f"vs naive Keras (B=1, RF={rf} recomputed per sample): naive {naive_rate:.2f} "
        f"samples/s, engine {eng_rate:.0f} samples/s: {ratio:.0f}x (target >= 100x)"
    )


@pytest.mark.parametrize("batch", [1, 32])
def test_engine_vs_tf_cached(benchmark, ibab, bench_report, batch):
    pytest.importorskip("tensorflow")
    from tf_cached_wavenet import TFCachedWaveNet

    program, tensors, engine = ibab
    n = 200 if batch == 1 else 64
    tfgen = TFCachedWaveNet(program, tensors, batch)
    tf_rate, eng_rate, ratio, match = compare_with_tf_cached(
        benchmark, engine, tfgen, batch=batch, n=n, engine_n=max(n, 2048 // batch), warmup=32)
    bench_report.append(
        f"vs cached-state TF (fast-wavenet queues in tf.function), B={batch}: TF {tf_rate:.0f} "
        f"samples/s, engine {eng_rate:.0f} samples/s: {ratio:.1f}x (target >= 10x); "
        f"same samples {match:.0%}"
    )
