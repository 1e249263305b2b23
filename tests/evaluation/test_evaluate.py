"""pysynth.evaluate on synthesized one-shots whose right answers are known: kicks (pitch-swept
decays), plucked tones and noise bursts, as labelled classes of a small dataset."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import pysynth
from pysynth.cli import main
from pysynth.errors import PysynthError

SR = 16000
N = SR // 2
LABELS = ("hat", "kick", "low", "tone")


def one_shot(label: str, rng: np.random.Generator) -> np.ndarray:
    """One clip of a class, every parameter drawn so that no two clips are near-copies."""
    t = np.arange(N) / SR
    if label == "kick":
        f = rng.uniform(40, 90) + rng.uniform(80, 250) * np.exp(-t / rng.uniform(0.01, 0.05))
        y = np.exp(-t / rng.uniform(0.06, 0.2)) * np.sin(2 * np.pi * np.cumsum(f) / SR)
    elif label == "hat":
        y = np.exp(-t / rng.uniform(0.01, 0.06)) * rng.standard_normal(N) / 3
    else:
        f0 = (440 if label == "tone" else 150) * rng.uniform(0.85, 1.15)
        y = sum(rng.uniform(0.2, 1) * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k
                for k in (1, 2, 3)) / 2
        y *= np.exp(-t / rng.uniform(0.1, 0.3))
    return (rng.uniform(0.4, 0.8) * y / np.abs(y).max()).astype(np.float32)


def fresh(seed: int, per_class: int = 5) -> tuple[np.ndarray, list[str]]:
    """New real-like clips (not in the dataset) and their labels."""
    rng = np.random.default_rng(seed)
    labels = [lab for lab in LABELS for _ in range(per_class)]
    return np.stack([one_shot(lab, rng) for lab in labels]), labels


@pytest.fixture(scope="module")
def drums(tmp_path_factory, dataset_of):
    """40 clips, 10 per class: 7 train, 3 validation. Module-wide and read-only (its cache
    fills as the tests go, which is what a user's dataset does too)."""
    rng = np.random.default_rng(0)
    clips = [(f"{lab}{i}", one_shot(lab, rng), "validation" if i >= 7 else "train", lab)
             for lab in LABELS for i in range(10)]
    return dataset_of(tmp_path_factory.mktemp("evaluate") / "drums", clips)


def test_real_clips_score_near_zero_on_the_noise_scale(drums):
    audio, labels = fresh(1)
    r = pysynth.evaluate(audio, drums, labels=labels)
    assert r.fd_floor < r.fd_raw * 2
    assert r.fd_ceiling > 5 * r.fd_floor
    assert abs(r.noise_scale) < 0.15
    assert 0.5 < r.noise_index < 2
    assert r.class_metric == "consistency"
    assert r.class_generated >= 0.9
    assert r.class_real >= 0.9
    assert r.near_copies == []
    assert 0.5 < r.novelty_ratio < 2
    assert r.silent_share == r.clipped_share == 0


def test_noise_with_the_datas_envelope_scores_near_one_and_flat_noise_above(drums):
    """The ceiling is white noise following real clips' loudness over time: noise made that
    way from fresh clips scores about 1; flat noise, which does not even decay, more."""
    audio, _ = fresh(2)
    rng = np.random.default_rng(2)
    frame = 400  # 25 ms of RMS envelope, interpolated
    shaped = []
    for y in audio:
        rms = np.sqrt(np.mean(y.reshape(-1, frame) ** 2, axis=1))
        env = np.interp(np.arange(N), np.arange(len(rms)) * frame + frame / 2, rms)
        shaped.append((rng.standard_normal(N) * env).astype(np.float32))
    r = pysynth.evaluate(np.stack(shaped), drums)
    assert 0.7 < r.noise_scale < 1.3
    assert r.noise_index > 50  # white noise is flat, the data mostly tonal
    flat = (rng.standard_normal((20, N)) * 0.1).astype(np.float32)
    r = pysynth.evaluate(flat, drums)
    assert r.noise_scale > 1.5
    assert r.novelty_ratio > 3


def test_copies_of_training_clips_are_flagged(drums):
    from pysynth.dataset import Dataset

    ds = Dataset.open(drums)
    train = ds.clips("train")[::2]
    copies = [np.roll(ds.load(c), 100) * -0.5 for c in train]  # shifted, inverted, quieter
    r = pysynth.evaluate(copies, drums)
    assert [c["training_clip"] for c in r.near_copies] == [c.id for c in train]
    assert all(c["correlation"] > 0.99 for c in r.near_copies)
    assert r.near_copies[0]["file"] == "clip 0"


def test_class_consistency_is_high_with_the_right_labels_and_low_shuffled(drums):
    audio, labels = fresh(3)
    right = pysynth.evaluate(audio, drums, labels=labels)
    shuffled = pysynth.evaluate(audio, drums, labels=list(np.random.default_rng(0).permutation(labels)))
    assert right.class_generated >= 0.9
    assert 0.9 < right.class_ratio <= 1.2
    assert shuffled.class_generated < 0.5
    plain = pysynth.evaluate(audio, drums)  # no intended labels: inception-style score
    assert plain.class_metric == "inception"
    assert plain.class_generated > 3


def test_class_mix_shows_a_model_that_makes_only_some_classes(drums):
    """Real clips of all four classes have the data's mix (gap near 0); clips of only hats
    and kicks have half the mix missing (gap 0.5), and the table names the shares."""
    audio, labels = fresh(4)
    whole = pysynth.evaluate(audio, drums)
    assert whole.class_mix_gap < 0.15
    assert whole.class_mix_real == dict.fromkeys(LABELS, 0.25)
    two = [i for i, lab in enumerate(labels) if lab in ("hat", "kick")]
    skewed = pysynth.evaluate(audio[two], drums)
    assert 0.4 < skewed.class_mix_gap <= 0.5
    assert skewed.class_mix_generated["low"] == skewed.class_mix_generated["tone"] == 0
    assert "class mix gap" in skewed.table()
    assert "kick 50% (data 25%)" in skewed.table()


def test_silent_and_clipped_shares_are_exact(drums, sine):
    loud = fresh(4, per_class=1)[0]
    quiet = [np.zeros(N, np.float32), sine(300, seconds=0.5, amp=0.009)]  # below -40 dBFS
    square = np.sign(sine(200, seconds=0.5, amp=1.0)).astype(np.float32)  # at full scale
    almost = sine(200, seconds=0.5, amp=0.998)  # below full scale: not clipped
    r = pysynth.evaluate([*loud, *quiet, square, almost], drums)
    assert r.silent_share == pytest.approx(2 / 8)
    assert r.silent == ["clip 4", "clip 5"]
    assert r.clipped_share == pytest.approx(1 / 8)
    assert r.clipped == ["clip 6"]


def test_cli_prints_the_table_and_valid_json(drums, tmp_path, capsys):
    from pysynth.audio import save

    audio, labels = fresh(5, per_class=2)
    gen = tmp_path / "gen"
    for i, (y, lab) in enumerate(zip(audio, labels)):
        save(gen / f"model-seed0-{i:03d}-{lab}.wav", y, SR)
    assert main(["evaluate", str(gen), "--reference", str(drums)]) == 0
    out = capsys.readouterr().out
    assert "noise scale" in out
    assert "class consistency" in out
    assert "peak below -40 dBFS" in out
    assert main(["evaluate", str(gen), "-r", str(drums), "--json", "--seed", "1"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_generated"] == 8
    assert d["seed"] == 1
    assert d["class_metric"] == "consistency"
    assert d["class_generated"] >= 0.75
    assert set(d) >= {"noise_index", "fd_floor", "fd_ceiling", "fd_raw", "noise_scale",
                      "class_ratio", "silent_share", "clipped_share", "novelty_ratio",
                      "near_copies"}


def test_labels_come_from_the_folder_or_the_file_name(drums, tmp_path):
    from pysynth.audio import save
    from pysynth.evaluation.sources import load_generated

    save(tmp_path / "kick" / "a.wav", fresh(6, 1)[0][1], SR)
    save(tmp_path / "x-seed0-001-tone.wav", fresh(6, 1)[0][3], SR)
    save(tmp_path / "x-seed0-002-snare.wav", fresh(6, 1)[0][3], SR)
    g = load_generated(tmp_path, sr=SR, known_labels=LABELS)
    assert dict(zip([n.rsplit("/", 1)[-1] for n in g.names], g.labels)) == {
        "a.wav": "kick", "x-seed0-001-tone.wav": "tone", "x-seed0-002-snare.wav": None}


def test_second_evaluation_reads_the_reference_from_the_cache(drums, monkeypatch):
    from pysynth.evaluation import cache

    audio, _ = fresh(1)
    first = pysynth.evaluate(audio, drums)

    def no_audio(*args, **kwargs):
        raise AssertionError("the reference was computed again")

    monkeypatch.setattr(cache, "embed_all", no_audio)
    second = pysynth.evaluate(audio, drums)
    assert second.to_dict() == first.to_dict()


def test_generated_at_another_rate_is_resampled(drums, tmp_path):
    from pysynth.audio import resample, save

    audio, labels = fresh(1)
    low = [resample(y, orig_sr=SR, target_sr=8000) for y in audio]
    r = pysynth.evaluate(low, drums, sample_rate=8000, labels=labels)
    assert r.sample_rate == SR
    assert r.class_generated >= 0.75
    save(tmp_path / "a-kick.wav", low[5], 8000)
    assert pysynth.evaluate(tmp_path, drums).n_generated == 1


def test_unreadable_files_are_skipped_with_a_warning_naming_them(drums, tmp_path):
    from pysynth.audio import save

    save(tmp_path / "good.wav", fresh(1, 1)[0][0], SR)
    (tmp_path / "broken.wav").write_bytes(b"RIFF nonsense")
    with pytest.warns(UserWarning, match="broken.wav"):
        r = pysynth.evaluate(tmp_path, drums)
    assert r.n_generated == 1
    (tmp_path / "good.wav").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(PysynthError, match="none of the 1 audio file could be read"):
            pysynth.evaluate(tmp_path, drums)


def test_a_reference_folder_skips_unreadable_files_naming_them(tmp_path):
    from pysynth.audio import save

    ref = tmp_path / "ref"
    ref.mkdir()
    audio, _ = fresh(2, 1)
    for i, y in enumerate(audio[:3]):
        save(ref / f"r{i}.wav", y, SR)
    (ref / "notes.wav").write_text("not audio")
    with pytest.warns(UserWarning, match=r"skipping .*notes\.wav: not a readable audio file"):
        r = pysynth.evaluate(audio[3:5], ref)
    assert r.n_reference == 3


@pytest.mark.parametrize(("case", "word"), [
    ("empty folder", "holds no audio files"),
    ("missing", "no such file or folder"),
    ("nan", "NaN"),
    ("empty clip", "empty"),
    ("3-D array", "shape"),
    ("label count", "one label per generated clip"),
    ("unknown label", "'snare' is not one of the reference's labels"),
    ("seed", "evaluate seed must be an integer >= 0"),
    ("one reference clip", "at least 2 real clips"),
    ("reference not a folder", "must be a dataset folder or a folder of audio files"),
])
def test_bad_input_gives_a_clear_error(drums, tmp_path, dataset_of, sine, case, word):
    y = sine(seconds=0.5)
    args, kwargs = ([y, y], drums), {}
    if case == "empty folder":
        (tmp_path / "empty").mkdir()
        args = (tmp_path / "empty", drums)
    elif case == "missing":
        args = (tmp_path / "nothing", drums)
    elif case == "nan":
        args = ([y, np.full(100, np.nan, np.float32)], drums)
    elif case == "empty clip":
        args = ([y, np.zeros(0, np.float32)], drums)
    elif case == "3-D array":
        args = (np.zeros((2, 2, 100), np.float32), drums)
    elif case == "label count":
        kwargs = {"labels": ["kick"]}
    elif case == "unknown label":
        kwargs = {"labels": ["kick", "snare"]}
    elif case == "seed":
        kwargs = {"seed": -1}
    elif case == "one reference clip":
        args = ([y, y], dataset_of(tmp_path / "one", [("a", y, "train", "x")]))
    elif case == "reference not a folder":
        args = ([y, y], tmp_path / "nothing.wav")
    with pytest.raises(PysynthError, match=word):
        pysynth.evaluate(*args, **kwargs)


def test_a_folder_of_audio_without_labels_skips_the_class_score(tmp_path):
    from pysynth.audio import save

    audio, _ = fresh(7, per_class=2)
    for i, y in enumerate(audio):
        save(tmp_path / "real" / f"{i}.wav", y, SR)
    r = pysynth.evaluate(fresh(8, per_class=1)[0], tmp_path / "real")
    assert r.class_metric is None
    assert "no labels" in r.class_note
    assert "skipped: the reference has no labels" in r.table()
    assert r.fd_clips == 4
    assert r.novelty_real is not None
    json.dumps(r.to_dict())
