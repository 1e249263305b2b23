"""Each augmenter measured on signals whose right answer is known (sines, bursts, noise)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pysynth.audio import save
from pysynth.augmentation.augmenters import (
    BackgroundNoise,
    Compose,
    Gain,
    Noise,
    OneOf,
    PitchShift,
    SomeOf,
    SpeedShift,
    TimeShift,
    TimeStretch,
)
from pysynth.augmentation.augmenters.noise import colored_noise
from pysynth.errors import ParameterError
from pysynth.registry import augmenters

SR = 16000


@pytest.fixture
def burst(sine):
    """``burst(freq, on=1.0, pad=0.75)``: a tone of ``on`` seconds with ``pad`` seconds of
    silence either side."""

    def make(freq, *, on=1.0, pad=0.75, sr=SR):
        z = np.zeros(round(pad * sr), dtype=np.float32)
        return np.concatenate([z, sine(freq, sr=sr, seconds=on), z])

    return make


def peak_freq(y, sr=SR):
    """Frequency of the strongest spectral peak (Hann window, 8x zero-pad, parabolic fit)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    spec = np.abs(np.fft.rfft(y * np.hanning(n), n=8 * n))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + shift) * sr / (8 * n)


def burst_seconds(y, sr=SR, frame=256):
    """Seconds during which the frame RMS is above half its maximum."""
    n = len(y) // frame
    rms = np.sqrt(np.mean(y[: n * frame].reshape(n, frame) ** 2, axis=1))
    return np.count_nonzero(rms > 0.5 * rms.max()) * frame / sr


def middle(y, seconds=0.5, sr=SR):
    """The central ``seconds`` of ``y`` (inside the tone of a centred burst)."""
    half = round(seconds * sr / 2)
    return y[len(y) // 2 - half : len(y) // 2 + half]


def snr_db(clean, noisy):
    return 10 * np.log10(np.mean(clean.astype(np.float64) ** 2)
                         / np.mean((noisy.astype(np.float64) - clean) ** 2))


def rng(seed=0):
    return np.random.default_rng(seed)


# -- the registry ----------------------------------------------------------------------


def test_every_builtin_is_registered():
    assert set(augmenters.names()) >= {
        "noise", "background_noise", "gain", "time_shift", "speed", "time_stretch",
        "pitch_shift", "compose", "one_of", "some_of",
    }
    assert augmenters.get("pitch_shift") is PitchShift


# -- pitch shift -----------------------------------------------------------------------


@pytest.mark.parametrize(("semitones", "sr"), [(-5, 16000), (-1, 16000), (3, 16000),
                                               (7, 22050), (12, 8000)])
def test_pitch_shift_moves_a_sine_by_the_semitone_ratio(sine, semitones, sr):
    y = sine(440.0, seconds=1.0, sr=sr)
    out, records = PitchShift(semitones=semitones)(y, sr, rng=rng())
    assert len(out) == len(y)  # tempo kept
    measured = peak_freq(out[sr // 10 : -sr // 10], sr)
    expected = 440.0 * 2 ** (semitones / 12)
    assert measured == pytest.approx(expected, rel=0.01)
    assert records == [{"name": "pitch_shift", "params": {"semitones": float(semitones)}}]


def test_pitch_shift_sampled_within_range_and_replayable(sine):
    y = sine(330.0, seconds=0.5)
    aug = PitchShift(semitones=(-2.0, 2.0))
    out, [rec] = aug(y, SR, rng=rng(4))
    assert -2.0 <= rec["params"]["semitones"] <= 2.0
    # the recorded parameters are enough to redo the augmentation exactly
    np.testing.assert_array_equal(aug.apply(y, SR, rec["params"]), out)


# -- time stretch ----------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.8, 1.25, 1.5])
def test_time_stretch_scales_duration_by_inverse_rate_and_keeps_pitch(burst, rate):
    y = burst(440.0)
    out, _ = TimeStretch(rate=rate, keep_length=False)(y, SR, rng=rng())
    assert len(out) == round(len(y) / rate)
    assert burst_seconds(out) == pytest.approx(1.0 / rate, rel=0.05)
    assert peak_freq(middle(out)) == pytest.approx(440.0, rel=0.01)  # pitch unmoved


def test_time_stretch_keeps_length_by_default(burst):
    y = burst(440.0)
    for rate in (0.7, 1.4):
        out, _ = TimeStretch(rate=rate)(y, SR, rng=rng())
        assert out.shape == y.shape


# -- speed shift -----------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.8, 1.25])
def test_speed_shift_changes_pitch_and_duration_together(burst, rate):
    y = burst(440.0)
    out, _ = SpeedShift(rate=rate, keep_length=False)(y, SR, rng=rng())
    assert len(out) == pytest.approx(len(y) / rate, abs=2)
    assert burst_seconds(out) == pytest.approx(1.0 / rate, rel=0.05)
    assert peak_freq(middle(out)) == pytest.approx(440.0 * rate, rel=0.01)


def test_speed_shift_keeps_length_by_default(sine):
    y = sine(440.0, seconds=1.0)
    for rate in (0.8, 1.25):
        out, _ = SpeedShift(rate=rate)(y, SR, rng=rng())
        assert out.shape == y.shape


# -- noise -----------------------------------------------------------------------------


@pytest.mark.parametrize("color", ["white", "pink", "brown"])
@pytest.mark.parametrize("target", [0.0, 20.0, 35.0])
def test_noise_measures_the_requested_snr(sine, color, target):
    y = sine(440.0, seconds=1.0)
    out, [rec] = Noise(snr_db=target, color=color)(y, SR, rng=rng(1))
    assert snr_db(y, out) == pytest.approx(target, abs=0.5)
    assert rec["params"]["color"] == color


@pytest.mark.parametrize(("color", "slope"), [("white", 0.0), ("pink", -1.0), ("brown", -2.0)])
def test_noise_color_has_the_right_spectral_slope(color, slope):
    n, seg = 2**17, 2**10
    x = colored_noise(n, color, rng(2))
    assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-4)
    frames = x.reshape(-1, seg) * np.hanning(seg)
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    f = np.fft.rfftfreq(seg)
    band = (f > 0.01) & (f < 0.2)
    fitted = np.polyfit(np.log10(f[band]), np.log10(power[band]), 1)[0]
    assert fitted == pytest.approx(slope, abs=0.15)


def test_noise_on_silence_adds_nothing():
    y = np.zeros(1000, dtype=np.float32)
    out, _ = Noise(snr_db=10)(y, SR, rng=rng())
    np.testing.assert_array_equal(out, y)


def test_background_noise_mixes_a_file_at_the_snr(sine, tmp_path):
    folder = tmp_path / "noises"
    hum = sine(50.0, seconds=0.3, amp=0.2)  # shorter than the clip: must loop
    save(folder / "hum.wav", hum, SR, subtype="FLOAT")
    save(folder / "sub" / "hiss.wav", colored_noise(SR, "white", rng(3)) * 0.1, SR,
         subtype="FLOAT")
    (folder / "notes.txt").write_text("not audio")
    y = sine(440.0, seconds=1.0)
    aug = BackgroundNoise(folder, snr_db=(10.0, 10.0))
    seen = set()
    for seed in range(8):
        out, [rec] = aug(y, SR, rng=rng(seed))
        assert snr_db(y, out) == pytest.approx(10.0, abs=0.5)
        assert rec["params"]["file"] in ("hum.wav", "sub/hiss.wav")
        seen.add(rec["params"]["file"])
        np.testing.assert_array_equal(aug.apply(y, SR, rec["params"]), out)
    assert seen == {"hum.wav", "sub/hiss.wav"}


def test_background_noise_needs_a_folder_of_audio(tmp_path):
    with pytest.raises(ParameterError, match="folder"):
        BackgroundNoise(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="folder"):
        BackgroundNoise(tmp_path / "empty")


# -- gain and time shift ---------------------------------------------------------------


def test_gain_scales_by_decibels(sine):
    y = sine(440.0, seconds=0.1)
    out, [rec] = Gain(gain_db=(-6.0, 6.0))(y, SR, rng=rng(7))
    g = rec["params"]["gain_db"]
    assert -6.0 <= g <= 6.0
    np.testing.assert_allclose(out, y * 10 ** (g / 20), rtol=1e-6, atol=1e-7)
    out, _ = Gain(gain_db=6.0)(y, SR, rng=rng())
    assert np.max(np.abs(out)) / np.max(np.abs(y)) == pytest.approx(1.9953, rel=1e-3)


def test_time_shift_roll_and_offset():
    y = np.arange(1, 11, dtype=np.float32)
    out, [rec] = TimeShift(shift_s=3 / SR, mode="roll")(y, SR, rng=rng())
    assert rec["params"]["shift_samples"] == 3
    np.testing.assert_array_equal(out, np.roll(y, 3))
    out, _ = TimeShift(shift_s=3 / SR, mode="offset")(y, SR, rng=rng())
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    out, _ = TimeShift(shift_s=-2 / SR, mode="offset")(y, SR, rng=rng())
    np.testing.assert_array_equal(out, [3, 4, 5, 6, 7, 8, 9, 10, 0, 0])
    out, _ = TimeShift(shift_s=60.0, mode="offset")(y, SR, rng=rng())  # clamped to the clip
    np.testing.assert_array_equal(out, np.zeros(10))


# -- probability and composition -------------------------------------------------------


def test_probability_zero_and_one(sine):
    y = sine(440.0, seconds=0.1)
    out, records = Gain(gain_db=6.0, p=0.0)(y, SR, rng=rng())
    assert records == []
    np.testing.assert_array_equal(out, y)
    applied = sum(bool(Gain(gain_db=6.0, p=0.3)(y, SR, rng=rng(s))[1]) for s in range(400))
    assert 80 < applied < 160  # about 120 of 400


def test_compose_runs_all_in_order_or_shuffled(sine):
    y = sine(440.0, seconds=0.1)
    chain = Compose([Gain(gain_db=1.0), TimeShift(shift_s=0.001), Noise(snr_db=40.0)])
    _, records = chain(y, SR, rng=rng())
    assert [r["name"] for r in records] == ["gain", "time_shift", "noise"]
    shuffled = Compose(chain.augmenters, shuffle=True)
    orders = {tuple(r["name"] for r in shuffled(y, SR, rng=rng(s))[1]) for s in range(30)}
    assert len(orders) > 2
    assert all(sorted(o) == ["gain", "noise", "time_shift"] for o in orders)


def test_one_of_applies_exactly_one(sine):
    y = sine(440.0, seconds=0.1)
    one = OneOf([Gain(gain_db=1.0), TimeShift(shift_s=0.001)], weights=[3, 1])
    names = [one(y, SR, rng=rng(s))[1] for s in range(200)]
    assert all(len(r) == 1 for r in names)
    gains = sum(r[0]["name"] == "gain" for r in names)
    assert 120 < gains < 180  # weights 3:1, about 150


def test_some_of_applies_a_count_in_range(sine):
    y = sine(440.0, seconds=0.1)
    leaves = [Gain(gain_db=1.0), TimeShift(shift_s=0.001), Noise(snr_db=40.0)]
    some = SomeOf(leaves, n=(1, 2))
    counts = {len(some(y, SR, rng=rng(s))[1]) for s in range(50)}
    assert counts == {1, 2}
    order = ["gain", "time_shift", "noise"]
    for s in range(20):  # not shuffled: in the listed order
        names = [r["name"] for r in some(y, SR, rng=rng(s))[1]]
        assert names == sorted(names, key=order.index)
    assert len(SomeOf(leaves, n=3)(y, SR, rng=rng())[1]) == 3


def test_same_generator_seed_gives_identical_output(burst):
    y = burst(300.0, on=0.3, pad=0.1)
    chain = SomeOf([Gain(), PitchShift(), TimeStretch(), SpeedShift(), TimeShift(),
                    Noise(color=["white", "pink", "brown"])], n=(2, 4), shuffle=True)
    a, ra = chain(y, SR, rng=rng(11))
    b, rb = chain(y, SR, rng=rng(11))
    c, _ = chain(y, SR, rng=rng(12))
    assert ra == rb
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_get_config_rebuilds_an_equal_augmenter():
    from pysynth.augmentation import build_augmenter

    chain = Compose([Gain(gain_db=(-1, 2), p=0.5),
                     SomeOf([PitchShift(semitones=1), Noise(color=["pink"])], n=(0, 2))])
    config = chain.get_config()
    assert build_augmenter(config).get_config() == config


# -- bad parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: Gain(gain_db=(-6, 100)), "gain_db"),
        (lambda: Gain(gain_db=(3, -3)), "gain_db"),
        (lambda: Gain(gain_db="loud"), "gain_db"),
        (lambda: Gain(p=1.5), "p"),
        (lambda: Gain(p=-0.1), "p"),
        (lambda: Noise(snr_db=(10, float("nan"))), "snr_db"),
        (lambda: Noise(snr_db=500), "snr_db"),
        (lambda: Noise(color="purple"), "color"),
        (lambda: PitchShift(semitones=(-30, 0)), "semitones"),
        (lambda: TimeStretch(rate=(0, 1.2)), "rate"),
        (lambda: TimeStretch(rate=10), "rate"),
        (lambda: SpeedShift(rate=(-1, 1)), "rate"),
        (lambda: TimeShift(shift_s=(0, 100)), "shift_s"),
        (lambda: TimeShift(mode="wrap"), "mode"),
        (lambda: Compose([]), "augmenters"),
        (lambda: Compose(Gain()), "augmenters"),
        (lambda: OneOf([Gain()], weights=[1, 2]), "weights"),
        (lambda: OneOf([Gain()], weights=[0]), "weights"),
        (lambda: SomeOf([Gain()], n=2), "n"),
        (lambda: SomeOf([Gain(), Gain()], n=(2, 1)), "n"),
    ],
)
def test_out_of_range_parameters_raise_value_error_naming_them(make, param):
    with pytest.raises(ValueError, match=rf"^{param}\b|\b{param} "):
        make()


def test_range_errors_name_the_augmenter_and_the_bounds():
    with pytest.raises(ParameterError) as info:
        Gain(gain_db=(-6, 100))
    assert str(info.value) == ("gain gain_db must be a number or a (min, max) pair of numbers "
                               ">= -60 and <= 24, got (-6, 100)")
    with pytest.raises(ParameterError, match=r"^time_stretch rate must be a \(min, max\) pair "
                                             r"with min <= max, got \(1\.2, 0\.9\)$"):
        TimeStretch(rate=(1.2, 0.9))
    with pytest.raises(ParameterError, match=r"^noise p must be a number >= 0 and <= 1, got 2$"):
        Noise(p=2)


def test_good_edge_values_are_accepted():
    Gain(gain_db=(-60, 24), p=0)
    Noise(snr_db=(-20, 120), color=["white", "brown"], p=1)
    PitchShift(semitones=(-24, 24))
    TimeStretch(rate=(0.25, 4))
    SomeOf([Gain()], n=(0, 1))


def test_stereo_input_is_refused():
    with pytest.raises(ParameterError, match="mono"):
        Gain()(np.zeros((2, 100), dtype=np.float32), SR, rng=rng())


def test_short_clips_are_shifted_and_stretched_without_warnings(sine):
    y = sine(440.0, seconds=0.1)  # 1600 samples: shorter than librosa's 2048-sample frame
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = PitchShift(semitones=12)(y, SR, rng=rng())
        stretched, _ = TimeStretch(rate=2.0, keep_length=False)(y, SR, rng=rng())
    assert len(out) == len(y)
    assert peak_freq(out[200:-200]) == pytest.approx(880.0, rel=0.02)
    assert len(stretched) == len(y) // 2


@pytest.mark.parametrize("module", ["pysynth.augmentation.augmenters.gain",
                                    "pysynth.augmentation.augmenters.noise",
                                    "pysynth.augmentation.augmenters.compose",
                                    "pysynth.augmentation.augmenters.base",
                                    "pysynth.augmentation.recipe"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
