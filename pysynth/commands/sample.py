"""`pysynth sample`: generate audio clips from a model file into a folder of WAVs."""

from __future__ import annotations

import sys

from ..sampling.defaults import MIN_P_BY_FAMILY, TEMPERATURE, min_p_for
from ..sampling.level import LEVELS
from ..words import count


def add_rule_arguments(p) -> None:
    """``--temperature`` and ``--min-p``, the sampling rule of every command that generates
    (sample, pick), with pysynth's measured defaults (:mod:`pysynth.sampling.defaults`)."""
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help=f"softmax temperature: 1 samples the model as trained, lower is more "
                   f"conservative, 0 = argmax (default {TEMPERATURE:g})")
    rules = ", ".join(f"{p:g} for {f}" for f, p in MIN_P_BY_FAMILY.items())
    p.add_argument("--min-p", type=float, default=None, metavar="P",
                   help="draw only among the levels at least P times as likely as the most "
                   "likely one, which cuts the runaway noise of a briefly trained model; 0 "
                   f"samples the whole distribution (default: the model family's rule measured "
                   f"in docs/benchmarks.md: {rules})")


def add_parser(sub):
    p = sub.add_parser(
        "sample",
        help="generate audio clips from a model file",
        description="Generate N clips from a model file (made by `pysynth export`) with the "
        "compiled engine, streaming each to a WAV file in OUT as it grows. Clip i is "
        "reproducible from (seed, i) whatever N, the thread count or the device.",
    )
    p.add_argument("model", help="model file (from `pysynth export`)")
    p.add_argument("-o", "--out", required=True, help="output folder for the WAV files")
    p.add_argument("-n", type=int, default=16, help="number of clips (default 16)")
    p.add_argument("--seconds", type=float, default=4.0, help="seconds per clip (default 4)")
    add_rule_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default 0)")
    p.add_argument("--candidates", type=int, default=1, metavar="K",
                   help="generate K clips per clip kept and drop the runaway noise: keep, in "
                   "the order generated, the clips the model scores no worse than 90%% of "
                   "its real validation clips (older model files: the likely ones, the "
                   "most likely 10%% skipped; default 1: keep every clip)")
    p.add_argument("--level", choices=LEVELS, default="data",
                   help="data (default): scale each clip so its peak is the training clips' "
                   "typical peak, as curation levels real one-shots; off: as generated")
    p.add_argument("--prime", metavar="FILE", help="audio file the clips continue")
    p.add_argument("--cond", nargs="+", metavar="CLASS",
                   help="class of a conditioned model, a label or an id (one, or one per "
                   "clip; default: clip i gets class i mod the number of classes)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run (default auto: a CUDA device if usable, else CPU)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default 0 = all cores)")
    p.add_argument("--weights", choices=("float32", "bf16"), default="float32",
                   help="CPU engine weights: bf16 is about twice as fast for large models, "
                   "slightly less accurate, AVX512_BF16 CPUs only (default float32)")
    p.add_argument("--prefix", help="file name prefix (default: the model file's name)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    from ..sampling import learned_little, load, sample_to_files
    from ..sampling.level import data_peak_db

    model = load(args.model)  # read and verified once, for the warning and the sampling
    warning = learned_little(model)
    if warning:
        print(f"pysynth sample: warning: {warning}", file=sys.stderr)
    cond = None
    if args.cond is not None:
        cond = args.cond[0] if len(args.cond) == 1 else args.cond
    report = sample_to_files(
        model, args.out, n=args.n, seconds=args.seconds, temperature=args.temperature,
        min_p=min_p_for(model.program, args.min_p), seed=args.seed, prime=args.prime, cond=cond,
        device=args.device,
        threads=args.threads, progress=not args.quiet, prefix=args.prefix,
        candidates=args.candidates, weights=args.weights,
        peak_db=data_peak_db(model) if args.level == "data" else None,
    )
    if report.kept_nll is not None:
        kept, every = report.kept_nll, report.candidate_nll
        how = ("by likelihood" if report.runaway_bound is None else
               f"within the real clips' range (runaway above {report.runaway_bound:.2f} "
               f"bits/sample: {int((every > report.runaway_bound).sum())} candidates)")
        print(f"kept {len(kept)} of {len(every)} candidates {how}: {kept.min():.2f}-"
              f"{kept.max():.2f} bits/sample (all candidates {every.min():.2f}-{every.max():.2f})",
              file=sys.stderr)
    print(f"wrote {count(len(report.paths), 'clip')} to {args.out}")
    print(
        f"{report.audio_seconds:.1f} s of audio in {report.wall_seconds:.2f} s: "
        f"real-time factor {report.real_time_factor:.2f}x (audio seconds per wall second, "
        f"all clips together)",
        file=sys.stderr,
    )
    return 0
