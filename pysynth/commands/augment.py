"""`pysynth augment`: grow a dataset with reproducible augmentations (calls pysynth.augment)."""

from __future__ import annotations

import argparse

from ..words import count

DESCRIPTION = """\
Write a new dataset holding the original clips plus COPIES augmented versions of each
training clip, with each augmented clip's lineage (source clip, augmenters, sampled
parameters) in the manifest. The same command twice writes bit-identical files.
Without --recipe a mild default mix is used (see docs/augment.md); list the augmenters
with `pysynth plugins`."""


def add_parser(sub):
    p = sub.add_parser(
        "augment",
        help="grow a dataset with reproducible augmentations",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dataset", metavar="DATASET", help="input dataset folder (never modified)")
    p.add_argument("-o", "--out", required=True, metavar="DATASET2",
                   help="output dataset folder (must not be the input)")
    p.add_argument("--copies", type=int, default=1, metavar="K",
                   help="augmented copies per clip (default 1)")
    p.add_argument("--recipe", metavar="FILE",
                   help="recipe file, JSON or YAML (default: the built-in mix)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--splits", default="train", metavar="LIST",
                   help="comma-separated splits to augment (default: train)")
    p.add_argument("--all-splits", action="store_true",
                   help="augment validation and test clips too (same as --splits "
                        "train,validation,test)")
    p.add_argument("--copy-originals", action="store_true",
                   help="copy the original clips instead of hard-linking them")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a dataset already in the output folder")
    p.add_argument("-j", "--workers", type=int, default=1, metavar="N",
                   help="worker processes (default 1; the result does not depend on it)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    from ..augmentation import augment

    splits = "train,validation,test" if args.all_splits else args.splits
    ds = augment(
        args.dataset,
        args.out,
        copies=args.copies,
        recipe=args.recipe,
        seed=args.seed,
        splits=splits,
        link=not args.copy_originals,
        overwrite=args.overwrite,
        workers=args.workers,
        progress=not args.quiet,
    )
    made = ds.info.get("augment", {})
    print(
        f"wrote {ds.root}: {count(len(ds), 'clip')} "
        f"({made.get('originals', '?')} original, {made.get('augmented', '?')} augmented)"
    )
    return 0
