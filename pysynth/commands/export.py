"""`pysynth export RUN -o MODEL`: a run's checkpoint as a model file."""

from __future__ import annotations

import argparse


def _checkpoint(text: str):
    from ..training.export import CHECKPOINTS, CHOICES

    if text in CHECKPOINTS:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {CHOICES} number, got {text!r}") from None


#: The CLI imports TensorFlow with its start-up log lines filtered (pysynth.quiet).
USES_TENSORFLOW = True


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write a run's checkpoint as a model file (readable with numpy alone)",
        description="Fold the run's checkpoint into the architecture's program and write "
        "MODEL (safetensors + JSON program + sha256; metadata: arch, epoch, validation NLL, "
        "labels). `pysynth sample MODEL` reads it without TensorFlow.",
    )
    p.add_argument("run", metavar="RUN", help="a run folder made by `pysynth train`")
    p.add_argument("-o", "--out", required=True, metavar="MODEL", help="model file to write")
    p.add_argument("--checkpoint", type=_checkpoint, default="auto",
                   help="'auto' (default: the last epoch of a run trained with --minutes or "
                   "a cosine schedule, whose learning rate ran down to its end; the best "
                   "otherwise), 'best' (lowest validation NLL), 'last' or an epoch number")
    return p


def run(args) -> int:
    from ..modelfile import load_model
    from ..training import export
    from ..training.export import describe_choice

    path = export(args.run, args.out, checkpoint=args.checkpoint)
    meta = load_model(path).metadata
    nll = meta.get("val_nll_bits")
    print(f"wrote {path} ({meta.get('arch')}, validation "
          f"{'n/a' if nll is None else f'{nll:.3f}'} bits/sample), "
          f"{describe_choice(args.run, args.checkpoint)}")
    return 0
