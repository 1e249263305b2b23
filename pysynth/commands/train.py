"""`pysynth train DATASET --arch NAME -o RUN`: train an architecture into a run folder."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys


def _key_value(text: str) -> tuple[str, object]:
    """``key=value`` with the value read as YAML (numbers, lists like [1,2,4], true/false)."""
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    if isinstance(parsed, str):  # YAML 1.1 reads "1e-3" as a string
        with contextlib.suppress(ValueError):
            parsed = float(parsed)
    return key.strip(), parsed


#: The CLI imports TensorFlow with its start-up log lines filtered (pysynth.quiet).
USES_TENSORFLOW = True


def add_parser(sub):
    p = sub.add_parser(
        "train",
        help="train an architecture (wavenet, samplernn, plugins) on a dataset",
        description="Train on the dataset's train split (random windows for WaveNet, "
        "consecutive chunks of each clip for SampleRNN) and score the validation split every "
        "epoch (NLL in bits per sample). RUN gets config.json, "
        "state.json, history.csv, checkpoints/ (last K and best), logs/ (TensorBoard) and "
        "samples/epoch-NNN/. Hyperparameters: --preset, then --config FILE, then --set "
        "key=value (architecture or training keys; see docs/training.md).",
    )
    p.add_argument("dataset", metavar="DATASET", help="a curated dataset folder")
    p.add_argument("--arch", default=None,
                   help="architecture name (default: wavenet, or the run's own with --resume)")
    p.add_argument("-o", "--out", required=True, metavar="RUN", help="run folder")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="JSON or YAML config (flat, or a run's config.json)")
    p.add_argument("--set", dest="overrides", action="append", type=_key_value, default=[],
                   metavar="KEY=VALUE", help="override one hyperparameter (repeatable)")
    p.add_argument("--preset", default=None, help="a named preset of the architecture")
    p.add_argument("--epochs", type=int, default=None, help="epochs in total")
    p.add_argument("--minutes", type=float, default=None, metavar="N",
                   help="train for N minutes with settings picked for that budget on a laptop "
                   "CPU (printed; --set keys still win) and a learning rate that decays over it")
    p.add_argument("--resume", action="store_true",
                   help="continue RUN from its last checkpoint (same config)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--strategy", default="auto",
                   choices=("auto", "one", "mirrored", "multi-worker"),
                   help="devices: one; mirrored (every local GPU); multi-worker (the "
                   "machines of TF_CONFIG); auto (default) picks multi-worker with TF_CONFIG, "
                   "mirrored with several GPUs, else one (docs/training.md)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress (by default one line per epoch on stderr)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return p


def run(args) -> int:
    from ..training import train
    from ..training.export import describe_choice
    from ..words import count

    result = train(
        args.dataset, arch=args.arch, run=args.out, config=args.config,
        overrides=dict(args.overrides) or None, preset=args.preset, epochs=args.epochs,
        resume=args.resume, seed=args.seed, verbose=0 if args.quiet else 1,
        minutes=args.minutes, strategy=args.strategy,
    )
    summary = {
        "run": str(result["run"]), "epochs": result["epochs"],
        "best_epoch": result["best_epoch"], "best_val_nll_bits": result["best_val_nll_bits"],
        "stopped_early": result["stopped_early"],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        best = summary["best_val_nll_bits"]
        print(f"trained {count(summary['epochs'], 'epoch')} into {summary['run']}; best epoch "
              f"{summary['best_epoch']} ({'n/a' if best is None else f'{best:.3f}'} "
              f"bits/sample); `pysynth export` takes {describe_choice(result['run'])}",
              file=sys.stderr if args.quiet else sys.stdout)
    return 0
