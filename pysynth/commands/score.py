"""`pysynth score`: negative log-likelihood of audio under a model, in bits per sample."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser(
        "score",
        help="NLL of audio under a model (bits per sample)",
        description="Score audio files or a dataset folder with a model file: the mean "
        "negative log-likelihood in bits per sample (lower = the model finds it more "
        "likely). Useful to rank generated clips or to compare models. Files that cannot "
        "be read are skipped (a warning names each and why); the exit code is non-zero "
        "only when none can be.",
    )
    p.add_argument("model", help="model file (from `pysynth export`)")
    p.add_argument("inputs", nargs="+",
                   help="audio files, dataset folders and/or folders of audio files")
    p.add_argument("--cond", type=int,
                   help="global-condition class id for every clip (default for a conditioned "
                        "model: each dataset clip's own label, through the model's labels)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default 0 = all cores)")
    p.add_argument("--weights", choices=("float32", "bf16"), default="float32",
                   help="CPU engine weights: bf16 is about twice as fast for large models, "
                   "slightly less accurate, AVX512_BF16 CPUs only (default float32)")
    p.add_argument("--scale", choices=("native", "mulaw8"), default=None,
                   help="native: the model's own bits per sample; mulaw8: bits of the 8-bit "
                        "mu-law bins, comparable between 8-bit and 16-bit (mol16) models "
                        "(default: native, and for a mol16 model both)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the NLL of every clip")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return p


def run(args) -> int:
    from ..mixture import output_of
    from ..modelfile import load_model
    from ..sampling import score_clips
    from ..words import count

    mf = load_model(args.model)
    scales = [args.scale] if args.scale else ["native"]
    if args.scale is None and output_of(mf.program)[0] == "mol16":
        scales.append("mulaw8")  # beside the 16-bit figure, the one 8-bit models give
    figures = []
    for scale in scales:
        # the inputs themselves, not their files: clips of a dataset folder carry their
        # labels; unreadable files are skipped with a warning, an error only if none can be
        bits, lengths, names = score_clips(mf, args.inputs, cond=args.cond,
                                           device=args.device, threads=args.threads,
                                           progress=not args.quiet, return_names=True,
                                           weights=args.weights, scale=scale)
        if args.verbose:
            for name, b in zip(names, bits):
                print(f"{b:8.4f}  {name}" + ("  (8-bit equivalent)" if scale == "mulaw8" else ""))
        figures.append(float((bits * lengths).sum() / lengths.sum()))
    line = f"{figures[0]:.4f} bits/sample over {count(len(names), 'clip')}"
    if output_of(mf.program)[0] == "mol16" and scales[0] == "native":
        line += " (16-bit levels)"
    if len(figures) > 1 or scales[0] == "mulaw8":
        line = (line + f", {figures[-1]:.4f} 8-bit equivalent" if len(figures) > 1
                else f"{figures[0]:.4f} bits/sample (8-bit mu-law equivalent) over "
                     f"{count(len(names), 'clip')}")
    print(line)
    return 0
