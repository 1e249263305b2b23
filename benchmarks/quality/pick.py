"""Does ``pysynth pick`` keep better clips than chance? K kept out of N generated clips against
random K of the same N, on ``pysynth evaluate``'s noise scale and class score.

    python benchmarks/quality/pick.py /tmp/exp/final-sr/model.pysynth /tmp/corpus/drums /tmp/q/pick-sr
    python benchmarks/quality/pick.py MODEL DATA OUT -n 500 -k 32 --random 5

Generates N clips once (OUT/all, as ``pysynth sample`` does, with its sampling rule), picks K of
them with ``pysynth.pick`` scoring the folder under the model (OUT/picked), draws ``--random``
seeded random sets of K from the same N, evaluates every set against DATA and writes
OUT/report.json with the figures, the timings and the command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from pysynth.sampling.defaults import TEMPERATURE, min_p_for


def figures(report) -> dict:
    r = report.to_dict()
    return {key: r[key] for key in ("noise_scale", "class_metric", "class_generated", "class_real",
                                    "noise_index", "silent_share", "clipped_share")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("-k", type=int, default=32)
    ap.add_argument("--random", type=int, default=5, help="random sets of K to compare with")
    ap.add_argument("--temperature", type=float, default=TEMPERATURE)
    ap.add_argument("--min-p", type=float, default=None,
                    help="default: the model family's rule, as pysynth sample")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--diversity", default="clusters")
    args = ap.parse_args(argv)

    import pysynth
    from pysynth.sampling import sample_to_files

    min_p = min_p_for(pysynth.load_model(args.model).program, args.min_p)
    every = args.out / "all"
    if not (every.is_dir() and len(list(every.glob("*.wav"))) == args.n):
        t = time.perf_counter()
        sample_to_files(args.model, every, n=args.n, seconds=args.seconds,
                        temperature=args.temperature, min_p=min_p, seed=args.seed,
                        progress=True)
        gen_s = time.perf_counter() - t
    else:
        gen_s = None
    files = sorted(every.glob("*.wav"))
    picked = args.out / "picked"
    if picked.exists():
        import shutil

        shutil.rmtree(picked)
    t = time.perf_counter()
    result = pysynth.pick(every, args.data, picked, k=args.k, model=args.model,
                          diversity=args.diversity, seed=args.seed, progress=True)
    pick_s = time.perf_counter() - t
    rows = {"picked": figures(pysynth.evaluate(result.kept, args.data))}
    rng = np.random.default_rng(args.seed)
    randoms = []
    for _ in range(args.random):
        subset = [files[i] for i in np.sort(rng.choice(len(files), size=args.k, replace=False))]
        randoms.append(figures(pysynth.evaluate(subset, args.data)))
    rows["random"] = {key: float(np.mean([r[key] for r in randoms]))
                      for key in ("noise_scale", "class_generated", "noise_index", "silent_share")}
    rows["random_sets"] = randoms
    rows["all"] = figures(pysynth.evaluate(every, args.data))
    report = {
        "command": shlex.join([sys.executable, *sys.argv]),
        "model": str(args.model), "data": str(args.data), "n": args.n, "k": args.k,
        "temperature": args.temperature, "min_p": min_p,
        "generate_seconds": gen_s, "pick_seconds": pick_s,
        "dropped": dict(result.dropped()), **rows,
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    p, r, a = rows["picked"], rows["random"], rows["all"]
    print(f"{'set':<22}{'noise scale':>12}{'class (' + str(p['class_metric']) + ')':>24}"
          f"{'noise index':>12}{'silent':>8}")
    for name, f in ((f"picked {args.k} of {args.n}", p), (f"random {args.k} (mean of {args.random})", r),
                    (f"all {args.n}", a)):
        print(f"{name:<22}{f['noise_scale']:>12.3f}{f['class_generated']:>24.3f}"
              f"{f['noise_index']:>12.3f}{f['silent_share']:>8.2f}")
    print(f"real clips' class score {p['class_real']:.3f}; pick took {pick_s:.0f} s"
          + (f", generation {gen_s:.0f} s" if gen_s else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
