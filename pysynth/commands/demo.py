"""`pysynth demo`: the whole loop (curate, augment, map, train, export, sample, score)."""

from __future__ import annotations

#: The CLI imports TensorFlow with its start-up log lines filtered (pysynth.quiet).
USES_TENSORFLOW = True


def add_parser(sub):
    p = sub.add_parser(
        "demo",
        help="run the whole loop on a synthesized corpus",
        description="Synthesize a small corpus, curate, augment and map it, train a small "
        "SampleRNN and a small WaveNet, export them, sample variations with the compiled "
        "engine, place them on the map and score them. Needs the wavenet/samplernn extras.",
    )
    p.add_argument("out", nargs="?", default="demo-out", help="output folder (default demo-out)")
    p.add_argument("--minutes", type=float, default=4.0,
                   help="training budget in minutes, shared by both models (default 4)")
    p.add_argument("--quick", action="store_true", help="smoke test: tiny everything, < 1 minute")
    p.add_argument("--seed", type=int, default=0, help="seed for everything (default 0)")
    return p


def run(args) -> int:
    from ..demo import demo, format_summary

    summary = demo(args.out, minutes=args.minutes, quick=args.quick, seed=args.seed)
    print(format_summary(summary))
    return 0
