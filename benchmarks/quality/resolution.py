"""How clean a trained model's audio can be: the 16-bit mixture output (mol16) against the
8-bit mu-law softmax, on signals whose right answer is known.

Each family is trained (``pysynth.train``, the whole chain: dataset, data pipeline, loss,
validation, export) on a pure tone and on an exponentially decaying tone, once with each
output; each model then continues the tone from a prime of the true signal
(``pysynth.sample``), and the continuation is scored by its SNR against the best-fitting
ideal signal: a least-squares fit of amplitude, phase, frequency and decay (scipy). Mu-law
quantization alone leaves ~38-40 dB, so an 8-bit model measures at most that however well
it learned; a 16-bit model is limited by what it learned.

Usage (about 2-6 minutes per model on two laptop cores)::

    python benchmarks/quality/resolution.py [--families wavenet samplernn] \\
        [--signals tone decay] [--epochs 12] [--temperatures 0 1] [--out results.json]

The slow test tests/training/test_resolution.py runs :func:`measure` on the pure tone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

SR = 16000
FREQ = 440.0
#: each signal: (amplitude, decay time constant in seconds; 0 = a pure tone)
SIGNALS = {"tone": (0.5, 0.0), "decay": (0.8, 0.4)}
#: small models that learn a tone in minutes on two CPU cores; the receptive field
#: (WaveNet) and the frame sizes (SampleRNN) cover more than a period of the tone
MODELS = {
    "wavenet": {"dilations": [1, 2, 4, 8, 16, 32], "residual_channels": 32,
                "dilation_channels": 32, "skip_channels": 64, "output_channels": 64,
                "seq_len": 512, "position_frames": 0, "conditioning_classes": 0},
    "samplernn": {"frame_sizes": [4, 16], "dim": 64, "seq_len": 256, "rnn_layers": 1,
                  "conditioning_classes": 0, "position_frames": 0},
}
#: the outputs compared: 8-bit mu-law, the 16-bit mixture, and the 16-bit mixture with the
#: dataset's linear predictor in its means (pysynth.prediction; 16 taps, SampleRNN's top frame)
OUTPUTS = {"mulaw8": {}, "mol16": {"output": "mol16", "mixtures": 4},
           "mol16lpc": {"output": "mol16", "mixtures": 4, "lpc_order": 16}}
PRIME = 400  # samples of the true signal the continuation starts from


def ideal(t: np.ndarray, amp: float, tau: float, phase: float = 0.0,
          freq: float = FREQ) -> np.ndarray:
    """``amp * exp(-t / tau) * sin(2 pi freq t + phase)`` (tau 0: no decay)."""
    env = np.exp(-t / tau) if tau > 0 else 1.0
    return amp * env * np.sin(2 * np.pi * freq * t + phase)


def fit_snr(x: np.ndarray, t: np.ndarray, decays: bool) -> tuple[float, dict]:
    """SNR in dB of ``x`` against the least-squares best ``A exp(-r t) sin(2 pi f t + p)``
    (``r`` fitted only when ``decays``), and the fitted parameters. Started from the FFT
    peak, so the fit finds the tone the model actually plays, not the one it was shown."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), 8 * len(x)))
    f0 = np.argmax(spec) * SR / (8 * len(x))
    c, s = np.cos(2 * np.pi * f0 * t), np.sin(2 * np.pi * f0 * t)
    a, b = np.linalg.lstsq(np.stack([s, c], 1), x, rcond=None)[0]

    def model(p):
        amp, phase, freq, rate = p
        return amp * np.exp(-rate * (t - t[0])) * np.sin(2 * np.pi * freq * t + phase)

    def resid(p):
        return model(p if decays else [*p[:3], 0.0]) - x

    p0 = [np.hypot(a, b), np.arctan2(b, a), f0, 0.0]
    fit = least_squares(resid, p0 if decays else p0[:3], x_scale="jac")
    best = model(fit.x if decays else [*fit.x, 0.0])
    snr = 10 * np.log10(np.sum(best ** 2) / np.sum((x - best) ** 2))
    return float(snr), {"amp": float(fit.x[0]), "freq": float(fit.x[2]),
                        "decay_rate": float(fit.x[3]) if decays else 0.0}


def _dataset(root: Path, signal: str, seconds: float) -> Path:
    from pysynth.dataset import write_clips

    amp, tau = SIGNALS[signal]
    clips = []
    for i, phase in enumerate(np.linspace(0, 2 * np.pi, 5, endpoint=False)):
        t = np.arange(int(SR * seconds)) / SR
        clips.append((f"{signal}{i}", ideal(t, amp, tau, phase).astype(np.float32),
                      "validation" if i == 4 else "train", None))
    return write_clips(root / f"ds-{signal}", clips, sr=SR)


def measure(family: str, signal: str, output: str, *, epochs: int = 12, steps: int = 100,
            temperatures=(0.0, 1.0), seconds: float = 1.0, workdir: Path | None = None,
            seed: int = 0) -> dict:
    """Train one model and measure its continuations' SNR at each temperature."""
    import pysynth

    root = Path(workdir or tempfile.mkdtemp(prefix="resolution-"))
    ds = _dataset(root, signal, seconds=2.0)
    run = root / f"run-{family}-{signal}-{output}"
    start = time.perf_counter()
    pysynth.train(ds, arch=family, run=run, seed=seed, verbose=0, overrides={
        **MODELS[family], **OUTPUTS[output], "epochs": epochs, "steps_per_epoch": steps,
        "batch_size": 8, "sample_every": 0, "tensorboard": False, "validation_seconds": 1.0,
        "learning_rate": 2e-3, "lr_schedule": "cosine"})
    minutes = (time.perf_counter() - start) / 60
    model = root / f"{family}-{signal}-{output}.pysynth"
    pysynth.export(run, model)
    amp, tau = SIGNALS[signal]
    t = np.arange(PRIME + int(SR * seconds)) / SR
    truth = ideal(t, amp, tau)
    result = {"family": family, "signal": signal, "output": output, "train_minutes": minutes,
              "val_bits": pysynth.score(model, truth), "snr_db": {}}
    if output == "mol16":
        result["val_bits_mulaw8"] = pysynth.score(model, truth, scale="mulaw8")
    for temp in temperatures:
        x = pysynth.sample(model, n=1, seconds=seconds, seed=seed, prime=truth[:PRIME],
                           temperature=temp, min_p=0.0)[0].astype(np.float64)
        snr, fit = fit_snr(x, t[PRIME:], decays=tau > 0)
        result["snr_db"][str(temp)] = snr
        result.setdefault("fit", {})[str(temp)] = fit
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", nargs="+", default=list(MODELS))
    ap.add_argument("--signals", nargs="+", default=list(SIGNALS))
    ap.add_argument("--outputs", nargs="+", default=list(OUTPUTS))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--temperatures", nargs="+", type=float, default=[0.0, 1.0])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for family in args.families:
        for signal in args.signals:
            for output in args.outputs:
                r = measure(family, signal, output, epochs=args.epochs, steps=args.steps,
                            temperatures=args.temperatures)
                rows.append(r)
                snrs = "  ".join(f"T={k}: {v:5.1f} dB" for k, v in r["snr_db"].items())
                print(f"{family:9s} {signal:5s} {output:6s} {snrs}  "
                      f"({r['val_bits']:.2f} bits/sample, {r['train_minutes']:.1f} min)",
                      file=sys.stderr, flush=True)
                if args.out:
                    args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
