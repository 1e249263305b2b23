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
    p.add_argument("inputs", nargs="+", help="audio files and/or dataset folders")
    p.add_argument("--cond", type=int, help="global-condition class id for every clip")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default 0 = all cores)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the NLL of every clip")
    return p


def _expand(inputs: list[str]) -> list[tuple[str, object]]:
    """(label, what score() takes) per clip: dataset folders expand to their clips."""
    from ..dataset import Dataset

    items: list[tuple[str, object]] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            ds = Dataset.open(path)
            items.extend((str(ds.path(c)), ds.path(c)) for c in ds.clips())
        else:
            items.append((name, path))
    return items


def run(args) -> int:
    from ..errors import ParameterError
    from ..modelfile import load_model
    from ..sampling import score_clips

    model = load_model(args.model)
    items = _expand(args.inputs)
    if not items:
        raise ParameterError("no clips to score")
    bits, lengths = score_clips(model, [p for _, p in items], cond=args.cond,
                                device=args.device, threads=args.threads)
    if args.verbose:
        for (label, _), b in zip(items, bits):
            print(f"{b:8.4f}  {label}")
    total = float((bits * lengths).sum() / lengths.sum())
    print(f"{total:.4f} bits/sample over {len(items)} clip(s)")
    return 0
