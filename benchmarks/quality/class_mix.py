"""How much of the noise scale a skewed mix of classes costs by itself: real training clips
drawn from some labels only, evaluated against the whole dataset.

    python benchmarks/quality/class_mix.py /tmp/corpus/drums hihat,snare kick,tom

Each argument after the dataset is a comma-separated set of labels; ``all`` takes every
label. 48 clips are drawn (seed 0) from the train split's clips of those labels.
"""

from __future__ import annotations

import argparse

import numpy as np

import pysynth
from pysynth.dataset import Dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset")
    ap.add_argument("sets", nargs="+", help="comma-separated labels, or all")
    ap.add_argument("-n", type=int, default=48)
    args = ap.parse_args()
    ds = Dataset.open(args.dataset)
    train = list(ds.clips("train"))
    for spec in args.sets:
        keep = None if spec == "all" else set(spec.split(","))
        pool = [c for c in train if keep is None or c.label in keep]
        rng = np.random.default_rng(0)
        pick = [pool[i] for i in rng.choice(len(pool), min(args.n, len(pool)), replace=False)]
        r = pysynth.evaluate([ds.load(c) for c in pick], args.dataset)
        print(f"{spec}: noise scale {r.noise_scale:.3f}, class mix gap {r.class_mix_gap:.2f}, "
              f"noise index {r.noise_index:.2f}")


if __name__ == "__main__":
    main()
