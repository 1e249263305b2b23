"""Where a demo-style model's clips land on a dataset's map, as ``pysynth demo`` judges it:
12 one-second clips per sampling seed (a conditioned model's clip i asks for class i % C),
levelled as the demo levels them, placed on the map of ``DATASET`` by their 5 nearest
clips, and evaluated against it.

    python benchmarks/quality/placement.py MODEL.pysynth DEMO_OUT/dataset-aug OUT
    python benchmarks/quality/placement.py MODEL DATASET OUT --temperature 0.9 --min-p 0

Prints, per seed, the noise scale, the class score and where the clips land; then the mean
share of clips among their own instrument's clips (the demo's done-when).
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from pathlib import Path

import numpy as np

import pysynth
from pysynth.demo import _classes
from pysynth.demo.placement import describe, placement
from pysynth.sampling.defaults import TEMPERATURE, min_p_for
from pysynth.sampling.level import data_peak_db, to_peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("dataset", help="the dataset the map is drawn from (the demo's dataset-aug)")
    ap.add_argument("out", help="folder for the clips and maps (one subfolder per seed)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("-n", type=int, default=12)
    ap.add_argument("--temperature", type=float, default=TEMPERATURE)
    ap.add_argument("--min-p", type=float, help="default: the model family's (as the demo)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")  # the class-cycling note, once per call
    model = pysynth.load_model(args.model)
    min_p = min_p_for(model.program, args.min_p)
    shares = []
    for seed in (int(s) for s in args.seeds.split(",")):
        out = Path(args.out) / f"seed{seed}"
        shutil.rmtree(out, ignore_errors=True)
        cond, intended = _classes(model, args.n)
        y = pysynth.sample(model, n=args.n, seconds=1.0, seed=seed, cond=cond,
                           temperature=args.temperature, min_p=min_p)
        y = to_peak(y, data_peak_db(model))
        names = [f"clip-{i:02d}" + (f"-{lab}" if lab else "") + ".wav"
                 for i, lab in enumerate(intended)]
        for name, clip in zip(names, y):
            pysynth.audio.save(out / name, clip, model.sample_rate)
        pysynth.map(args.dataset, html=out / "map.html", reducer="pca", seed=0, overlay=out,
                    csv_path=out / "neighbours.csv")
        place = placement(out / "neighbours.csv", dict(zip(names, intended)))
        labels = list(intended) if cond is not None else None
        r = pysynth.evaluate(y, args.dataset, labels=labels, seed=seed)
        print(f"seed {seed}: noise scale {r.noise_scale:.3f}, class score "
              f"{r.class_generated:.2f} | {describe(place)}", flush=True)
        shares.append(place.get("in_cluster_share", np.nan))
    print(f"mean share among their own instrument's clips: {np.mean(shares):.2f}")


if __name__ == "__main__":
    main()
