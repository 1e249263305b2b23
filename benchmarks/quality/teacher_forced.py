"""How much of a model's distance from the data is its one-step noise, and how much its
free running: real held-out clips re-drawn one sample at a time from the model's prediction
given the *real* past (teacher forcing), evaluated against the data.

    python benchmarks/quality/teacher_forced.py MODEL.pysynth /tmp/corpus/drums 1,0 0,0

Each rule is ``T,MIN_P`` (the product's rule: :func:`pysynth.sampling.reference.sample_index`).
A free-running clip carries its own errors forward; a teacher-forced one never does, so its
noise scale is what the model's per-step noise alone costs. When that is most of the
free-running figure (``rules.py``), sampling rules and run-away guards cannot close the gap:
the predictions themselves must be sharper (docs/benchmarks.md, seventh session).

The model's numpy reference (the oracle the engine is tested against) computes the
teacher-forced logits, so this is slow for large models: about a minute per 48 clips for
the ``--minutes`` WaveNet on two cores. Softmax (8-bit) models only: a ``mol16`` model's
reference returns mixture parameters, not one logit per level.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import pysynth
from pysynth.audio import level_table
from pysynth.dataset import Dataset
from pysynth.emphasis import deemphasize
from pysynth.sampling.engines import load, reference_model
from pysynth.sampling.level import data_peak_db, to_peak
from pysynth.sampling.plan import cond_ids, encode, preemphasis, quantization
from pysynth.sampling.reference import sample_index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("reference", help="the dataset the model was trained on")
    ap.add_argument("rules", nargs="+", help="T,MIN_P")
    ap.add_argument("-n", type=int, default=48, help="held-out clips (validation, then test)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    mf = load(args.model)
    if mf.program.get("output", "softmax") != "softmax":
        raise SystemExit(f"{args.model}: a {mf.program['output']} output; this diagnostic "
                         "draws from softmax (8-bit) models only")
    ref = reference_model(mf)
    table = level_table(*quantization(mf))
    coef = preemphasis(mf)
    peak_db = data_peak_db(mf)
    conditioned = bool(mf.program.get("conditioning_classes"))
    ds = Dataset.open(args.reference)
    clips = [*ds.clips("validation"), *ds.clips("test")][: args.n]
    rules = [tuple(float(v) for v in r.split(",")) for r in args.rules]
    rng = np.random.default_rng(args.seed)
    made: dict[tuple[float, float], list[np.ndarray]] = {r: [] for r in rules}
    for clip in clips:
        q = encode(mf, ds.load(clip))  # the model's indices, as in training
        cond = cond_ids(clip.label if conditioned else None, mf, 1)  # the label's class id
        logits = ref.logits(q[None], cond)[0]
        for t, min_p in rules:
            drawn = sample_index(logits, t, rng.random(len(logits)), min_p)
            audio, _ = deemphasize(table[drawn], coef)
            made[(t, min_p)].append(to_peak(audio, peak_db))
    real = pysynth.evaluate([ds.load(c) for c in clips], args.reference, seed=args.seed)
    print(f"{len(clips)} held-out clips as they are: noise scale {real.noise_scale:.3f}")
    for (t, min_p), ys in made.items():
        r = pysynth.evaluate(ys, args.reference, seed=args.seed,
                             labels=[c.label for c in clips] if conditioned else None)
        print(f"teacher-forced T={t:g} min_p={min_p:g}: noise scale {r.noise_scale:.3f} | "
              f"noise index {r.noise_index:.2f} | class ratio {r.class_ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
