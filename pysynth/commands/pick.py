"""`pysynth pick`: keep the few clips worth hearing out of many generated ones, with the
reasons, and an audition page; or copy out the clips marked on that page."""

from __future__ import annotations

import sys

from ..sampling.level import LEVELS
from .sample import add_rule_arguments


def add_parser(sub):
    p = sub.add_parser(
        "pick",
        help="keep the K generated clips worth hearing (and why), with an audition page",
        description="From a model (generating N clips in batches, in constant memory) or a "
        "folder of clips, keep K: drop silent, clipped and noisy clips, near-copies of "
        "training clips, the most and the least likely under the model; of the rest keep the "
        "most typical of the real clips, spread over the kinds of sound they make. Writes the "
        "kept clips, pick.csv and pick.json (every clip's measures and why it was kept or "
        "dropped) and audition.html (play, mark keep/discard, export the marks). With --marks, "
        "copies the clips marked keep out of FOLDER instead.",
    )
    p.add_argument("source", metavar="MODEL_OR_FOLDER",
                   help="a model file (from `pysynth export`) or a folder of audio clips")
    p.add_argument("-o", "--out", required=True, help="output folder (new or empty)")
    p.add_argument("-r", "--reference", help="the real clips to measure against: a dataset "
                   "folder or a folder of audio files (required unless --marks)")
    p.add_argument("-n", type=int, default=500, help="clips to generate from a model (default 500)")
    p.add_argument("-k", type=int, default=32, help="clips to keep (default 32)")
    p.add_argument("--model", help="for a folder: the model to score its clips under")
    p.add_argument("--training", help="the dataset the model was trained on, for near-copies "
                   "(default: the reference's train split)")
    p.add_argument("--seconds", type=float, help="seconds per generated clip (default: the "
                   "reference dataset's clip length, else 1)")
    add_rule_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default 0)")
    p.add_argument("--cond", nargs="+", metavar="CLASS",
                   help="class of a conditioned model (one, or one per clip; default: clip i "
                   "gets class i mod the number of classes)")
    p.add_argument("--max-noise", type=float, help="noise index above which a clip is noise "
                   "(default: the real clips' 99th percentile; 0 = off)")
    p.add_argument("--skip-likely", type=float, default=0.1,
                   help="share of the most likely clips dropped as collapsed (default 0.1)")
    p.add_argument("--drop-unlikely", type=float, default=0.25,
                   help="share of the least likely clips dropped as noise (default 0.25)")
    p.add_argument("--diversity", choices=("clusters", "farthest", "best"), default="clusters",
                   help="how the K are spread: the most typical of each of K clusters "
                   "(default), farthest-point, or just the K most typical")
    p.add_argument("--pool", type=int, help="clips held for the final choice (default 4 K)")
    p.add_argument("--level", choices=LEVELS, default="data",
                   help="data (default): scale each generated clip so its peak is the training "
                   "clips' typical peak, as `pysynth sample` does; off: as generated")
    p.add_argument("--no-page", action="store_true", help="do not write audition.html")
    p.add_argument("--marks", metavar="FILE", help="copy the clips marked keep in FILE (exported "
                   "from audition.html) out of MODEL_OR_FOLDER into OUT, and do nothing else")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default 0 = all cores)")
    p.add_argument("--prefix", help="file name prefix of generated clips (default: the model's name)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return p


def run(args) -> int:
    from pathlib import Path

    import pysynth
    from pysynth.errors import ParameterError
    from pysynth.picking import copy_marked
    from pysynth.sampling.defaults import min_p_for
    from pysynth.words import count

    if args.marks:
        paths = copy_marked(args.source, args.marks, args.out)
        print(f"copied {count(len(paths), 'clip')} marked keep to {args.out}")
        return 0
    if not args.reference:
        raise ParameterError("pick needs --reference (the dataset to measure the clips against)")
    cond = None
    if args.cond is not None:
        cond = args.cond[0] if len(args.cond) == 1 else args.cond
    source = Path(args.source)  # a model file samples by its rule; a folder generates nothing
    min_p = min_p_for(pysynth.load_model(source).program, args.min_p) if source.is_file() else 0.0
    result = pysynth.pick(
        args.source, args.reference, args.out, k=args.k, n=args.n, model=args.model,
        training=args.training, seconds=args.seconds, temperature=args.temperature,
        min_p=min_p, seed=args.seed, cond=cond, max_noise=args.max_noise, skip_likely=args.skip_likely,
        drop_unlikely=args.drop_unlikely, diversity=args.diversity, pool=args.pool,
        page=not args.no_page, device=args.device, threads=args.threads, prefix=args.prefix,
        level=args.level, progress=not args.quiet,
    )
    print(f"kept {len(result.kept)} of {count(len(result.rows), 'clip')} in {args.out} "
          f"(dropped: {result.dropped_summary()})")
    print(f"every clip's measures and reasons: {result.csv}, {result.json}", file=sys.stderr)
    if result.page is not None:
        print(f"audition page: {result.page}", file=sys.stderr)
    return 0
