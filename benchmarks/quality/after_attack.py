"""A temperature that falls after the attack: each clip's first SPLIT ms drawn with the
family's rule, the rest at temperature T2 (continuing the first part as a prime), evaluated
against the data like ``rules.py``.

    python benchmarks/quality/after_attack.py MODEL.pysynth /tmp/corpus/drums 100,1 100,0.9

Each rule is ``SPLIT_MS,T2``; ``SPLIT_MS,1`` is the control (the same two-part draw at the
family's rule throughout). The idea: the attack needs the model's full spread, while the
tail's per-step noise only blurs the decay. Measured in docs/benchmarks.md (eighth
session): within 0.02 of the plain rule for both families, so the product does not do it.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import pysynth
from pysynth.modelfile import load_model
from pysynth.sampling.defaults import TEMPERATURE, min_p_for
from pysynth.sampling.level import data_peak_db, to_peak
from pysynth.sampling.plan import class_names, cond_ids

SEEDS = (0, 1, 2)
N = 48


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("reference", help="the dataset the model was trained on")
    ap.add_argument("rules", nargs="+", help="SPLIT_MS,T2")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    mf = load_model(args.model)
    sr = int(mf.program["sample_rate"])
    min_p = min_p_for(mf.program)
    cond = cond_ids(None, mf, N, cycle=True)  # clip i gets class i % C, as pysynth sample
    names = None if cond is None else [class_names(mf)[c] for c in cond]
    peak_db = data_peak_db(mf)
    for rule in args.rules:
        split_ms, t2 = (float(x) for x in rule.split(","))
        head = round(split_ms * sr / 1000)
        if not 0 < head < sr:
            raise SystemExit(f"{rule}: the split must lie inside the 1-s clip (0 < ms < 1000)")
        rows = []
        for seed in SEEDS:
            attack = pysynth.sample(mf, n=N, seconds=head / sr, temperature=TEMPERATURE,
                                    min_p=min_p, seed=seed, cond=cond)
            # another seed for the tail, so that its draws are not the attack's over again
            tail = pysynth.sample(mf, n=N, seconds=1.0 - head / sr, temperature=t2,
                                  min_p=min_p, seed=seed + 100, cond=cond, prime=attack)
            clips = to_peak(np.concatenate([attack, tail], axis=1), peak_db)
            r = pysynth.evaluate(clips, args.reference, labels=names, seed=seed)
            rows.append((r.noise_scale, r.class_ratio, r.silent_share, r.noise_index))
        m = np.mean(rows, axis=0)
        per_seed = " ".join(f"{row[0]:.2f}" for row in rows)
        print(f"first {split_ms:g} ms at the rule, then T {t2:g}: noise scale {m[0]:.3f} "
              f"({per_seed}) | class ratio {m[1]:.2f} | silent {m[2]:.2f} | "
              f"noise index {m[3]:.2f}", flush=True)


if __name__ == "__main__":
    main()
