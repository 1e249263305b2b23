"""QualityReport: the figures of one evaluation, as a JSON-safe dict and as a terminal table."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..words import count


@dataclass
class QualityReport:
    """How generated clips compare with real ones (docs/evaluate.md says what each figure means).

    Attributes
    ----------
    n_generated, n_reference, sample_rate, seed
        What was evaluated: clip counts, the rate everything was measured at, the seed.
    noise_index : float or None
        Median spectral flatness of the generated clips / the reference's (1 = like the
        data, > 1 noisier, < 1 more tonal); silent clips left out (None if all are).
    flatness_generated, flatness_reference : float or None
        The two medians.
    fd_clips : int or None
        m, the clips per set in the Fréchet distances (min(n_generated, n_reference // 2)).
    fd_floor, fd_ceiling, fd_raw : float or None
        Fréchet distances to reference set B of m real clips (A), of m white-noise clips at
        the data's loudness, and of m generated clips; each the mean over seeded splits.
    noise_scale : float or None
        ``(fd_raw - fd_floor) / (fd_ceiling - fd_floor)``: 0 like real clips, 1 like noise.
    fd_note : str or None
        Why the distances are missing, when they are.
    class_metric : {"consistency", "inception"} or None
        Which class score was computed (None: skipped, see ``class_note``).
    class_generated, class_real, class_ratio : float or None
        The score of the generated clips, of held-out real clips, and generated / real.
    class_labels : list of str
        The classes the classifier knows.
    class_note : str or None
        Why the class score is missing, when it is.
    class_mix_generated, class_mix_real : dict of str to float
        Share of the generated clips recognized as each class, and each class's share of the
        labelled reference clips: a model that makes only hats and snares shows here.
    class_mix_gap : float or None
        Total variation distance between the two mixes: 0 = the data's mix of classes,
        1 = none of the classes the data has. Real clips skewed to two of five drum classes
        score about 0.5, and about 0.2 on the noise scale for that alone.
    silent_share, clipped_share : float
        Shares of generated clips that are silent (peak below -40 dBFS) and clipped (more
        than 0.1 % of samples at magnitude >= 0.999); the files in ``silent``, ``clipped``.
    novelty_generated, novelty_real, novelty_ratio : float or None
        Median distance (standardized embedding units) from each generated clip, and from
        each real validation clip, to its nearest training clip; generated / real.
    near_copies : list of dict
        Generated clips whose waveform correlates above 0.9 with a training clip:
        ``{"file", "training_clip", "correlation"}``.
    """

    n_generated: int
    n_reference: int
    sample_rate: int
    seed: int
    noise_index: float | None = None
    flatness_generated: float | None = None
    flatness_reference: float | None = None
    fd_clips: int | None = None
    fd_floor: float | None = None
    fd_ceiling: float | None = None
    fd_raw: float | None = None
    noise_scale: float | None = None
    fd_note: str | None = None
    class_metric: str | None = None
    class_generated: float | None = None
    class_real: float | None = None
    class_ratio: float | None = None
    class_labels: list[str] = field(default_factory=list)
    class_note: str | None = None
    class_mix_generated: dict[str, float] = field(default_factory=dict)
    class_mix_real: dict[str, float] = field(default_factory=dict)
    class_mix_gap: float | None = None
    silent_share: float = 0.0
    clipped_share: float = 0.0
    silent: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    novelty_generated: float | None = None
    novelty_real: float | None = None
    novelty_ratio: float | None = None
    near_copies: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Every field, with plain Python numbers (NaN and infinities as None): JSON-safe."""
        return _plain(asdict(self))

    def table(self) -> str:
        """The report as the terminal shows it: one line per figure with what it means."""
        f = _fmt
        rows = [
            f"quality of {count(self.n_generated, 'generated clip')} against "
            f"{count(self.n_reference, 'real clip')} at {self.sample_rate} Hz (seed {self.seed})",
            _row("noise index", f(self.noise_index),
                 f"median spectral flatness {f(self.flatness_generated, 4)} vs the data's "
                 f"{f(self.flatness_reference, 4)} (1 = like the data, >1 noisier)"),
        ]
        if self.fd_raw is None:
            rows.append(_row("Fréchet distance", "-", self.fd_note or "not computed"))
        else:
            rows += [
                _row("Fréchet distance", f(self.fd_raw),
                     f"floor {f(self.fd_floor)} (real vs real), ceiling {f(self.fd_ceiling)} "
                     f"(white noise at the data's loudness), {self.fd_clips} clips per set"),
                _row("noise scale", f(self.noise_scale), "0 = like real clips, 1 = like white noise"),
            ]
        if self.class_metric is None:
            rows.append(_row("class score", "-", f"skipped: {self.class_note}"))
        else:
            name = ("class consistency" if self.class_metric == "consistency"
                    else "inception score")
            what = ("share recognized as their intended class" if self.class_metric == "consistency"
                    else "exp(E KL(p(y|x) || p(y)))")
            rows.append(_row(name, f(self.class_generated),
                             f"real clips {f(self.class_real)}, ratio {f(self.class_ratio)}; "
                             f"{what}, {len(self.class_labels)} classes"))
            rows.append(_row("class mix gap", f(self.class_mix_gap),
                             "0 = the data's mix of classes, 1 = none of them; "
                             + _mix(self.class_mix_generated, self.class_mix_real)))
        rows += [
            _row("silent clips", f"{100 * self.silent_share:.1f}%", "peak below -40 dBFS"),
            _row("clipped clips", f"{100 * self.clipped_share:.1f}%",
                 "more than 0.1% of samples at full scale"),
            _row("novelty", f(self.novelty_ratio),
                 f"median distance to the nearest training clip {f(self.novelty_generated)} vs "
                 f"real validation clips' {f(self.novelty_real)} (<1 closer to training)"),
            _row("near-copies", str(len(self.near_copies)),
                 "waveform correlation > 0.9 with a training clip"),
        ]
        rows += [f"  {c['file']} ~ {c['training_clip']} ({c['correlation']:.3f})"
                 for c in self.near_copies]
        return "\n".join(rows)


def _row(name: str, value: str, meaning: str) -> str:
    return f"{name:<18} {value:>8}   {meaning}"


def _mix(generated: dict[str, float], real: dict[str, float]) -> str:
    """``kick 10% (data 21%), ...``, most generated first."""
    order = sorted(real, key=lambda c: (-generated.get(c, 0.0), c))
    return ", ".join(f"{c} {100 * generated.get(c, 0.0):.0f}% (data {100 * real[c]:.0f}%)"
                     for c in order)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _plain(x):
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item"):  # numpy scalars
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
