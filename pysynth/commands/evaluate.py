"""`pysynth evaluate`: a quality report of generated clips against a dataset's real clips."""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    p = sub.add_parser(
        "evaluate",
        help="quality report of generated clips against real ones (table or JSON)",
        description="Measure generated clips against a dataset (or a folder of real audio): "
        "noise index (spectral flatness against the data's), Fréchet distance on a 0-1 noise "
        "scale (0 = like real clips, 1 = like white noise), class scores from a classifier of "
        "the dataset's labels, shares of silent and clipped clips, novelty and near-copies of "
        "training clips. A clip's intended class is its folder's name or the last '-' token "
        "of its file name when that is a label (NAME-seed0-007-kick.wav).",
    )
    p.add_argument("generated", nargs="+", help="generated audio files and/or folders of them")
    p.add_argument("-r", "--reference", required=True,
                   help="the real clips: a dataset folder or a folder of audio files")
    p.add_argument("--training", help="the dataset the model was trained on, for novelty and "
                   "near-copies (default: the reference's train split)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the reference splits, noise clips and cross-validation (default: 0)")
    return p


def run(args) -> int:
    import pysynth

    generated = args.generated[0] if len(args.generated) == 1 else args.generated
    report = pysynth.evaluate(generated, args.reference, training=args.training, seed=args.seed,
                              progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.table())
    return 0
