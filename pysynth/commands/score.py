"""`pysynth score`: negative log-likelihood of audio under a model, in bits per sample."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "score",
        help="NLL of audio under a model (bits per sample)",
        description="Score audio files or a dataset folder with a model file: the mean "
        "negative log-likelihood in bits per sample (lower = the model finds it more "
        "likely). Useful to rank generated clips or to compare models.",
    )
    p.add_argument("model", help="model file (from `pysynth export`)")
    p.add_argument("inputs", nargs="+",
                   help="audio files, dataset folders and/or folders of audio files")
    p.add_argument("--cond", type=int,
                   help="global-condition class id for every clip (default for a conditioned "
                        "model: each dataset clip's own label, through the model's labels)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default 0 = all cores)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the NLL of every clip")
    return p


def _expand(inputs: list[str]) -> list[Path]:
    """Every clip the inputs stand for (files; dataset or audio folders expanded)."""
    from ..sampling import clip_paths

    return [p for name in inputs for p in clip_paths(name)]


def run(args) -> int:
    from ..errors import ParameterError
    from ..modelfile import load_model
    from ..sampling import score_clips

    model = load_model(args.model)
    items = _expand(args.inputs)
    if not items:
        raise ParameterError("no clips to score")
    # the inputs themselves, not their files: clips of a dataset folder carry their labels
    bits, lengths = score_clips(model, args.inputs, cond=args.cond, device=args.device,
                                threads=args.threads)
    if args.verbose:
        for path, b in zip(items, bits):
            print(f"{b:8.4f}  {path}")
    total = float((bits * lengths).sum() / lengths.sum())
    print(f"{total:.4f} bits/sample over {len(items)} clip(s)")
    return 0
