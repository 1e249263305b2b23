"""One sound-quality measurement: train a family on a corpus set for a time budget, sample,
evaluate against the data, and draw spectrograms of generated clips beside real ones.

    python benchmarks/quality/run.py /tmp/corpus/drums /tmp/q/wavenet --arch wavenet --minutes 10
    python benchmarks/quality/run.py DATA OUT --arch samplernn --set dim=128 --skip-train

Writes OUT/run (the training run), OUT/model.pysynth, OUT/generated/*.wav, OUT/report.json
(``pysynth.evaluate``'s report, the training summary and the commands) and
OUT/spectrograms.png. Each figure in docs/benchmarks.md names the command that made it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def spectrograms(generated: list[Path], real: list[Path], labels: list[str], sr: int,
                 out: Path) -> None:
    """Log-mel spectrograms: one row of generated clips above one row of real clips per label."""
    import librosa
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = max(len(generated), len(real))
    fig, axes = plt.subplots(2, cols, figsize=(1.6 * cols, 3.6), squeeze=False)
    for row, (paths, name) in enumerate(((generated, "generated"), (real, "real"))):
        for j in range(cols):
            ax = axes[row][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(paths):
                ax.axis("off")
                continue
            y, _ = librosa.load(paths[j], sr=sr)
            m = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=64),
                                    ref=1.0, top_db=80)
            ax.imshow(m, origin="lower", aspect="auto", vmin=-80, vmax=20, cmap="magma")
            ax.set_title(f"{name} {labels[j] if j < len(labels) else ''}", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--arch", default="wavenet")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--set", action="append", default=[], help="train --set KEY=VALUE")
    ap.add_argument("--train-args", default="", help="more `pysynth train` arguments")
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--sample-args", default="", help="more `pysynth sample` arguments")
    ap.add_argument("--skip-train", action="store_true")
    args = ap.parse_args(argv)
    import pysynth
    from pysynth.dataset import Dataset

    args.out.mkdir(parents=True, exist_ok=True)
    run, model, gen = args.out / "run", args.out / "model.pysynth", args.out / "generated"
    commands = []
    if not args.skip_train:
        cmd = ["pysynth", "train", str(args.data), "--arch", args.arch, "-o", str(run), "-q"]
        cmd += [x for kv in args.set for x in ("--set", kv)] + shlex.split(args.train_args)
        if args.minutes:
            cmd += ["--set", f"max_minutes={args.minutes}", "--epochs", "100000"]
        commands.append(shlex.join(cmd))
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        train_seconds = time.perf_counter() - t0
        cmd = ["pysynth", "export", str(run), "-o", str(model)]
        commands.append(shlex.join(cmd))
        subprocess.run(cmd, check=True)
    else:
        train_seconds = None
        if not model.exists():
            cmd = ["pysynth", "export", str(run), "-o", str(model)]
            commands.append(shlex.join(cmd))
            subprocess.run(cmd, check=True)
    cmd = ["pysynth", "sample", str(model), "-o", str(gen), "-n", str(args.n),
           "--seconds", str(args.seconds), *shlex.split(args.sample_args)]
    commands.append(shlex.join(cmd))
    subprocess.run(cmd, check=True)
    state = json.loads((run / "state.json").read_text())
    report = pysynth.evaluate(gen, args.data)
    print(report.table())
    ds = Dataset.open(args.data)
    files = sorted(gen.glob("*.wav"))
    labels = ds.labels()
    real, shown, names = [], [], []
    for k in range(min(8, len(files))):
        f = files[(k * len(files)) // min(8, len(files))]
        label = f.stem.rsplit("-", 1)[-1]
        shown.append(f)
        names.append(label if label in labels else "")
    rng = np.random.default_rng(0)
    clips = list(ds.clips("validation")) or list(ds.clips())
    for name in names:
        pool = [c for c in clips if c.label == name] or clips
        real.append(ds.path(pool[int(rng.integers(len(pool)))]))
    spectrograms(shown, real, names, ds.sample_rate, args.out / "spectrograms.png")
    result = {"commands": commands, "train_seconds": train_seconds,
              "epochs": state["epoch"], "best_epoch": state["best_epoch"],
              "best_val_nll_bits": state["best_val_nll_bits"],
              "report": report.to_dict()}
    (args.out / "report.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "report"}, indent=1),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
