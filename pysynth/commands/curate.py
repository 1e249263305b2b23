"""`pysynth curate SRC... -o DATASET`: a folder of sounds in, a clean dataset out."""

from __future__ import annotations

import argparse
import json

from ..errors import ParameterError


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(
            f"expected three comma-separated fractions (train,validation,test), got {text!r}")
    return parts  # type: ignore[return-value]


def _opt_float(text: str) -> float | None:
    if text.lower() in ("none", "off", "whole"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def add_parser(sub):
    p = sub.add_parser(
        "curate",
        help="turn folders of sounds into a clean dataset (clips, manifest, rejects)",
        description="Decode, mono-mix and resample every sound under SRC, trim silence, "
        "normalize, cut into clips, reject bad ones, drop duplicates, and split by source "
        "file into train/validation/test. Writes DATASET/clips/, manifest.jsonl, "
        "rejects.jsonl and dataset.json. Re-running with the same inputs is idempotent.",
    )
    p.add_argument("sources", nargs="+", metavar="SRC", help="audio files or folders")
    p.add_argument("-o", "--out", required=True, metavar="DATASET", help="dataset folder")
    p.add_argument("--sr", type=int, default=16000, help="sample rate in Hz (default 16000)")
    p.add_argument("--clip-seconds", type=_opt_float, default=1.0,
                   help="clip length in seconds, or 'none' to keep recordings whole (default 1)")
    p.add_argument("--hop-seconds", type=float, default=None,
                   help="distance between clip starts (default: the clip length)")
    p.add_argument("--short", choices=("pad", "drop"), default="pad",
                   help="pad or drop sounds shorter than one clip (default pad)")
    p.add_argument("--min-seconds", type=float, default=None,
                   help="reject sounds shorter than this (default: 0.05 s; 0.1 s to pad)")
    p.add_argument("--silence-db", type=float, default=None,
                   help="reject as silent below this peak level in dBFS (default -50)")
    p.add_argument("--max-clipped", type=float, default=None,
                   help="reject when more than this fraction of samples clip (default 0.01)")
    p.add_argument("--no-trim", dest="trim", action="store_false",
                   help="keep leading and trailing silence")
    p.add_argument("--trim-db", type=float, default=None,
                   help="silence is this many dB below the loudest frame (default 50)")
    p.add_argument("--split-on-silence", action="store_true",
                   help="split recordings at internal silences before cutting")
    p.add_argument("--normalize", choices=("peak", "loudness", "none"), default="peak",
                   help="normalization (default peak)")
    p.add_argument("--target-db", type=float, default=None,
                   help="normalization target in dBFS (default -1 peak, -20 loudness)")
    p.add_argument("--no-dedupe", dest="dedupe", action="store_false",
                   help="keep duplicate clips")
    p.add_argument("--near-threshold", type=_opt_float, default="0.003",
                   help="near-duplicate fingerprint distance, 'none' for exact only "
                   "(default 0.003)")
    p.add_argument("--split", type=_fractions, default=(0.8, 0.1, 0.1), metavar="T,V,T",
                   help="train,validation,test fractions of the audio, in seconds; one "
                   "recording is never split across them (default 0.8,0.1,0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    p.add_argument("--recipe", default=None, metavar="FILE",
                   help="JSON or YAML list of curator steps with parameters (replaces the "
                   "default pipeline; the flags above fill what it leaves out)")
    p.add_argument("--workers", type=int, default=1, help="decoding processes (default 1)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    from .. import curate

    if args.workers < 1:
        raise ParameterError(f"--workers must be at least 1, got {args.workers}")
    kwargs = {}
    for name in ("min_seconds", "silence_db", "max_clipped", "trim_db"):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    summary = curate(
        args.sources, args.out,
        sr=args.sr, clip_seconds=args.clip_seconds, hop_seconds=args.hop_seconds,
        short=args.short, trim=args.trim, split_on_silence=args.split_on_silence,
        normalize=None if args.normalize == "none" else args.normalize,
        target_db=args.target_db, dedupe=args.dedupe, near_threshold=args.near_threshold,
        fractions=args.split, seed=args.seed, recipe=args.recipe, workers=args.workers,
        progress=not args.quiet, **kwargs,
    )
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(summary)
    return 0
