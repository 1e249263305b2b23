"""Sampling rules compared on one trained model: for each (temperature, min-p, candidates),
48 one-second clips per seed, evaluated against the data; mean and per-seed figures.

    python benchmarks/quality/rules.py MODEL.pysynth /tmp/corpus/drums OUT 1,0,1 1,0.02,1 0.95,0,1

Each rule is ``T,MIN_P,K``. Clips are levelled as ``pysynth sample`` levels them (each
clip's peak at the data's; ``--level off``: as generated). Sampled audio does not depend on
what else runs on the machine, so these figures are reproducible anywhere (the model file
is the only input).
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from pathlib import Path

import numpy as np

import pysynth
from pysynth.modelfile import load_model
from pysynth.sampling import sample_to_files
from pysynth.sampling.level import data_peak_db

SEEDS = (0, 1, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("reference", help="the dataset the model was trained on")
    ap.add_argument("out", help="folder for the generated clips (one subfolder per rule and seed)")
    ap.add_argument("rules", nargs="+", help="T,MIN_P,K")
    ap.add_argument("-n", type=int, default=48)
    ap.add_argument("--level", choices=("data", "off"), default="data",
                    help="as pysynth sample: each clip's peak at the data's (default), or off")
    ap.add_argument("--peak-db", type=float,
                    help="the data's peak for a model file exported before peak_db was kept")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")  # the class-cycling note, once per call
    peak_db = None
    if args.level == "data":
        peak_db = args.peak_db if args.peak_db is not None else data_peak_db(load_model(args.model))
    for rule in args.rules:
        t, min_p, k = (float(x) for x in rule.split(","))
        figures: dict[str, list[float]] = {"noise scale": [], "class ratio": [], "silent": [],
                                           "noise index": []}
        for seed in SEEDS:
            out = Path(args.out) / f"T{t:g}-minp{min_p:g}-K{int(k)}-seed{seed}"
            shutil.rmtree(out, ignore_errors=True)
            sample_to_files(args.model, out, n=args.n, seconds=1.0, temperature=t, min_p=min_p,
                            seed=seed, candidates=int(k), peak_db=peak_db)
            r = pysynth.evaluate(out, args.reference)
            for key, value in (("noise scale", r.noise_scale), ("class ratio", r.class_ratio),
                               ("silent", r.silent_share), ("noise index", r.noise_index)):
                figures[key].append(value)
        line = " | ".join(f"{key} {np.mean(v):.3f} ({' '.join(f'{x:.2f}' for x in v)})"
                          for key, v in figures.items())
        print(f"T={t:g} min_p={min_p:g} K={int(k)}: {line}", flush=True)


if __name__ == "__main__":
    main()
