"""``pysynth demo``: the whole loop on a corpus synthesized on the spot.

Every step calls the public API a user would call (curate, augment, map, train,
export, sample, score); nothing here takes a private shortcut. The demo owns its output
folder (it leaves a marker file there), so re-running into the same folder is safe: the
demo's own artifacts are rebuilt, and a folder it did not make is refused.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_number
from ..sampling.defaults import TEMPERATURE, min_p_for
from ..sampling.level import data_peak_db, to_peak
from ..words import count
from .output import Reporter, prepare_out, write_broken_inputs
from .placement import describe, placement


@dataclass
class DemoSettings:
    """Sizes of one demo run; ``quick`` is a smoke test of well under a minute."""

    per_instrument: int
    clip_seconds: float
    copies: int
    reducer: str
    train_minutes: float
    steps_per_epoch: int
    n_samples: int
    sample_seconds: float
    candidates: int = 1
    samplernn: dict[str, Any] = field(default_factory=dict)
    wavenet: dict[str, Any] = field(default_factory=dict)
    wavenet_preset: str | None = "small"
    samplernn_preset: str | None = "small"


def settings(*, quick: bool, minutes: float) -> DemoSettings:
    if quick:
        return DemoSettings(
            per_instrument=4, clip_seconds=0.5, copies=1, reducer="pca", train_minutes=0.0,
            # enough steps, at a high rate, that both models measurably beat chance for a few
            # seconds more than one bare step: about 6.8 (SampleRNN) and 4.2 (WaveNet) bits
            # against 8 on the validation split curate draws by duration (a hi-hat and a
            # kick; 60 steps, SampleRNN at 0.006, gave 7.7-8.1 there and 7.5-8.0 at 0.01)
            steps_per_epoch=80, n_samples=4, sample_seconds=0.25,
            samplernn={"frame_sizes": [4, 16], "dim": 32, "seq_len": 64, "learning_rate": 0.01},
            wavenet={"dilations": [1, 2, 4, 8, 16, 1, 2, 4, 8, 16], "residual_channels": 16,
                     "dilation_channels": 16, "skip_channels": 32, "output_channels": 32,
                     "seq_len": 512, "learning_rate": 0.006},
        )
    return DemoSettings(
        per_instrument=10, clip_seconds=1.0, copies=2, reducer="tsne", train_minutes=minutes,
        # two one-shots per instrument, sampled with pysynth sample's rule for the family: choosing
        # among candidates by likelihood picked quiet, tonal clips on top of min-p
        # (docs/benchmarks.md, "Sampling rule")
        steps_per_epoch=40, n_samples=12, sample_seconds=1.0, candidates=1,
    )


def _train_budgeted(dataset, arch, run, preset, overrides, settings_, minutes, seed):
    """Train within a time budget (the run stays resumable with `pysynth train --resume`)."""
    from .. import train

    base = dict(overrides)
    if minutes > 0:
        # what `pysynth train --minutes` picks for the budget, as a user would train
        base.update(sample_every=20, sample_count=2, sample_seconds=0.5)
        return train(dataset, arch=arch, run=run, overrides=base, minutes=minutes, seed=seed,
                     verbose=2)
    base.update(steps_per_epoch=settings_.steps_per_epoch, sample_every=0)
    return train(dataset, arch=arch, run=run, preset=preset, overrides=base, epochs=1,
                 seed=seed, verbose=2)


def demo(
    out: str | Path = "demo-out",
    *,
    minutes: float = 4.0,
    quick: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the whole pysynth loop into ``out`` and return the summary (also in summary.json).

    Parameters
    ----------
    out : path-like
        Output folder; created, or re-used if an earlier demo made it.
    minutes : float
        Training budget in minutes, shared by the two models.
    quick : bool
        A smoke test: tiny corpus and models, one short epoch each (under a minute).
    seed : int
        Seeds the corpus, the split, augmentation, training and sampling.
    """
    import pysynth

    from .corpus import make_corpus

    minutes = check_number(minutes, "minutes", lo=0, lo_open=True, owner="demo")
    out = Path(out)
    s = settings(quick=quick, minutes=minutes)
    prepare_out(out)
    rep = Reporter(total=11)
    summary: dict[str, Any] = {"out": str(out.resolve()), "quick": quick}

    with rep.step("synthesizing a corpus of drums, plucks, bells and organ notes"):
        paths = make_corpus(out / "source", per_instrument=s.per_instrument, seed=seed,
                            seconds=max(0.5, s.clip_seconds))
        write_broken_inputs(out / "source")
    summary["source_files"] = len(paths) + 2

    with rep.step("curating into a dataset (resample, trim, normalize, cut, dedupe, split)"):
        cur = pysynth.curate([out / "source"], out / "dataset", sr=16000,
                             clip_seconds=s.clip_seconds, seed=seed, progress=True)
    summary["curate"] = _plain_summary(cur)

    with rep.step(f"augmenting the train split ({count(s.copies, 'copy', 'copies')} per clip)"):
        aug = pysynth.augment(out / "dataset", out / "dataset-aug", copies=s.copies, seed=seed)
    summary["augment"] = _plain_summary(aug)

    with rep.step(f"mapping the dataset ({s.reducer})"):
        pysynth.map(out / "dataset-aug", html=out / "map.html", png=out / "map.png",
                    reducer=s.reducer, seed=seed)

    models = {}
    per_model = s.train_minutes / 2
    for arch, preset, overrides in (("samplernn", s.samplernn_preset, s.samplernn),
                                    ("wavenet", s.wavenet_preset, s.wavenet)):
        with rep.step(f"training a small {arch}" + (f" (~{per_model:.1f} min)" if not quick else "")):
            result = _train_budgeted(out / "dataset-aug", arch, out / "runs" / arch, preset,
                                     overrides, s, per_model, seed)
        models[arch] = {"epochs": result["epochs"], "val_nll_bits": result["best_val_nll_bits"]}

    loaded = {}  # each model file read and verified once, for sampling and both scores
    clips = {}  # arch -> (generated audio, {file name: instrument it was generated for})
    with rep.step("exporting both models"):
        for arch in models:
            path = pysynth.export(out / "runs" / arch, out / "models" / f"{arch}.pysynth")
            models[arch]["model"] = str(path)
            loaded[arch] = pysynth.load_model(path)

    with rep.step(f"sampling {s.n_samples} variations of {s.sample_seconds:g} s from each"):
        gen = out / "generated"
        for arch, info in models.items():
            cond, intended = _classes(loaded[arch], s.n_samples)
            t0 = time.perf_counter()
            y = pysynth.sample(loaded[arch], n=s.n_samples, seconds=s.sample_seconds, seed=seed,
                               cond=cond, candidates=s.candidates, temperature=TEMPERATURE,
                               min_p=min_p_for(loaded[arch].program))
            y = to_peak(y, data_peak_db(loaded[arch]))  # as pysynth sample levels its clips
            wall = time.perf_counter() - t0
            # the instrument in the name, as `pysynth sample` names a conditioned model's
            # clips, so `pysynth evaluate generated/` and the map's page read it too
            names = [f"{arch}-{i:02d}" + (f"-{lab}" if lab else "") + ".wav"
                     for i, lab in enumerate(intended)]
            for name, clip in zip(names, y):
                pysynth.audio.save(gen / name, clip, 16000)
            clips[arch] = (y, dict(zip(names, intended)))
            info["generated"] = str(gen / f"{arch}-*.wav")
            info["realtime_factor"] = (s.candidates * s.n_samples * s.sample_seconds) / wall
            info["generated_nll_bits"] = float(np.mean(pysynth.score(loaded[arch], y, cond=cond)))

    with rep.step("placing the generated clips on the dataset's map"):
        pysynth.map(out / "dataset-aug", html=out / "map-generated.html",
                    png=out / "map-generated.png", reducer=s.reducer, seed=seed,
                    overlay=out / "generated", csv_path=out / "neighbours.csv")
        for arch, info in models.items():
            info["placement"] = placement(out / "neighbours.csv", clips[arch][1])

    with rep.step("measuring the generated clips' quality against the dataset"):
        for arch, info in models.items():
            y, named = clips[arch]
            labels = list(named.values()) if any(named.values()) else None
            report = pysynth.evaluate(y, out / "dataset-aug", labels=labels, seed=seed,
                                      progress=True)
            info["quality"] = report.to_dict()

    with rep.step("scoring the validation clips with each model"):
        from ..dataset import Dataset

        ds = Dataset.open(out / "dataset")
        val_clips = ds.clips("validation") or ds.clips()[:4]
        val = [ds.load(c) for c in val_clips]
        for arch, info in models.items():
            cond = _label_classes(loaded[arch], [c.label for c in val_clips])
            info["validation_nll_bits"] = float(np.mean(pysynth.score(loaded[arch], val,
                                                                      cond=cond)))

    summary["models"] = models
    summary["map"] = str((out / "map.html").resolve())
    summary["map_generated"] = str((out / "map-generated.html").resolve())
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _classes(model, n: int) -> tuple[np.ndarray | None, list[str | None]]:
    """``(cond, instruments)`` for ``n`` clips of a model file: a conditioned model's clip
    ``i`` gets class ``i % C`` (every instrument gets clips when ``n >= C``), named by the
    model's ``labels``; an unconditioned model's clips have no instrument."""
    classes = int(model.program.get("conditioning_classes", 0) or 0)
    if classes == 0:
        return None, [None] * n
    names = list(model.metadata.get("labels") or [])
    cond = np.arange(n) % classes
    return cond, [names[c] if c < len(names) else None for c in cond]


def _label_classes(model, labels: list[str | None]) -> np.ndarray | None:
    """The class ids of clips with these labels for a conditioned model (None otherwise):
    each clip is scored as what it is."""
    if not int(model.program.get("conditioning_classes", 0) or 0):
        return None
    names = list(model.metadata.get("labels") or [])
    return np.array([names.index(lab or "") for lab in labels])


def _plain_summary(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return json.loads(json.dumps(dataclasses.asdict(obj), default=str))
    if isinstance(obj, dict):
        return json.loads(json.dumps(obj, default=str))
    return str(obj)


def format_summary(summary: dict[str, Any]) -> str:
    """The closing text: where everything is, how good and how fast the models are."""
    out = Path(summary["out"])
    lines = [f"pysynth demo finished: everything is in {out}", ""]
    n_files = summary["source_files"]
    lines.append(f"  source sounds    {out / 'source'}  ({n_files} files, 2 broken on purpose)")
    lines.append(f"  dataset          {out / 'dataset'}  (rejects.jsonl says why files were refused)")
    lines.append(f"  augmented        {out / 'dataset-aug'}")
    for arch, info in summary["models"].items():
        lines.append(
            f"  {arch:<16} model {info['model']}\n"
            f"                   validation NLL {info['validation_nll_bits']:.2f} bits/sample "
            f"(8 = chance), {count(info['epochs'], 'epoch')};\n"
            f"                   generated {info['generated']}  at {info['realtime_factor']:.1f}x real time"
        )
        if info["validation_nll_bits"] >= 0.9 * 8:
            lines.append("                   note: close to chance; give it more --minutes to learn")
        if "quality" in info:
            lines += [f"                   {line}" for line in _quality_lines(info["quality"])]
        if "placement" in info:
            lines.append(f"                   on the map: {describe(info['placement'])}")
    lines += ["", "  quality figures: pysynth.evaluate against the augmented dataset (all of it "
              "in summary.json; docs/evaluate.md says what each means)",
              f"  open the map:    {summary['map']}",
              f"  and where the generated clips fall: {summary['map_generated']}",
              "  next, your own sounds: pysynth curate FOLDER -o DATASET (--sr 44100 for the "
              "full band), then pysynth train DATASET --arch samplernn -o RUN --minutes 10; "
              "the 8-bit output suits short runs and drums, --set output=mol16 (16-bit) long "
              "runs on tonal sounds (README: \"Which output and which rate\")"]
    return "\n".join(lines)


def _quality_lines(q: dict[str, Any]) -> list[str]:
    """The key figures of one model's quality report, in words."""
    def f(x, digits=2):
        return "-" if x is None else f"{x:.{digits}g}"

    lines = [f"quality of {count(q['n_generated'], 'clip')}: noise scale {f(q['noise_scale'])} "
             f"(0 = like the data, 1 = like white noise), noise index {f(q['noise_index'])} "
             f"(1 = as noisy as the data)"]
    if q["class_metric"] == "consistency":
        lines.append(f"  {100 * q['class_generated']:.0f}% recognized as the instrument they were "
                     f"generated for (real clips {100 * q['class_real']:.0f}%)")
    elif q["class_metric"] == "inception":
        lines.append(f"  inception score {f(q['class_generated'])} (real clips "
                     f"{f(q['class_real'])})")
    lines[-1] += (f"; silent {100 * q['silent_share']:.0f}%, clipped "
                  f"{100 * q['clipped_share']:.0f}%, near-copies {len(q['near_copies'])}")
    made, real = q.get("class_mix_generated") or {}, q.get("class_mix_real") or {}
    if made and q.get("class_mix_gap") is not None:
        shares = ", ".join(f"{c} {100 * made[c]:.0f}%" for c in sorted(made, key=lambda c: -made[c])
                           if made[c] > 0)
        lines.append(f"  sounds like: {shares} (class mix gap {f(q['class_mix_gap'])}: 0 = the "
                     f"data's mix of {len(real)} instruments)")
    return lines


__all__ = ["demo", "format_summary"]
