"""pysynth.augment and `pysynth augment` on a small synthesized dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pysynth
from pysynth.audio import save
from pysynth.augmentation import augment, build_augmenter, clip_rng, load_recipe
from pysynth.cli import main
from pysynth.dataset import Dataset, audio_checksum
from pysynth.errors import DatasetError, ParameterError, UnknownNameError

SR = 8000
N = SR // 2  # half-second clips


@pytest.fixture
def tone_dataset(sine, dataset_of):
    """``tone_dataset(root, amp=, splits=)``: one half-second sine clip per split given
    (220, 275, 330... Hz), labelled "tones", with one rejected file."""

    def make(root, *, amp=0.5, splits=("train", "train", "train", "validation", "test")):
        clips = [(f"c{i}", sine(220 + 55 * i, sr=SR, seconds=N / SR, amp=amp), split, "tones")
                 for i, split in enumerate(splits)]
        return dataset_of(root, clips, sr=SR, info={"clip_seconds": 0.5},
                          rejects=[{"source": "bad.wav", "reason": "undecodable"}])

    return make


FAST = [{"name": "gain", "gain_db": [-6, 0]}, {"name": "noise", "snr_db": [20, 30]},
        {"name": "time_shift", "shift_s": [-0.1, 0.1]}]


@pytest.fixture
def dataset(tmp_path, tone_dataset):
    return tone_dataset(tmp_path / "in")


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_augment_keeps_originals_and_adds_copies_of_train_clips(dataset, tmp_path):
    before = files(dataset)
    ds = augment(dataset, tmp_path / "out", copies=2, recipe=FAST, seed=3)
    assert files(dataset) == before  # input untouched
    src = Dataset.open(dataset)
    assert len(ds) == 5 + 3 * 2
    originals = [c for c in ds.clips() if c.lineage is None]
    assert originals == src.clips()
    for c in originals:
        assert audio_checksum(ds.load(c)) == c.checksum
    made = [c for c in ds.clips() if c.lineage is not None]
    assert {c.split for c in made} == {"train"}
    assert sorted(c.id for c in made) == sorted(f"c{i}-aug{k}" for i in range(3) for k in (1, 2))
    for c in made:
        y = ds.load(c)
        assert y.shape == (N,)  # same length and rate
        assert np.max(np.abs(y)) <= 1.0
        assert audio_checksum(y) == c.checksum
        assert c.label == "tones"
        assert c.duration == 0.5
        lin = c.lineage
        assert lin["source_clip"] == c.id.split("-")[0]
        assert lin["seed"] == 3
        assert lin["copy"] in (1, 2)
        assert lin["peak_scale"] == 1.0
        assert [r["name"] for r in lin["chain"]] == ["gain", "noise", "time_shift"]
        assert -6 <= lin["chain"][0]["params"]["gain_db"] <= 0
        assert c.source == src.clips()[int(c.id[1])].source
    assert ds.sample_rate == SR
    assert ds.info["clip_seconds"] == 0.5
    assert ds.info["augment"]["copies"] == 2
    assert ds.info["augment"]["recipe"]["name"] == "compose"
    assert ds.rejects() == [{"source": "bad.wav", "reason": "undecodable"}]


def test_same_command_twice_is_bit_identical(dataset, tmp_path):
    # ...whatever the number of worker processes
    augment(dataset, tmp_path / "a", copies=2, seed=7)  # the default recipe
    augment(dataset, tmp_path / "b", copies=2, seed=7, link=False, workers=2)
    augment(dataset, tmp_path / "c", copies=2, seed=8)
    a, b, c = (files(tmp_path / x) for x in "abc")
    assert a == b
    assert set(a) == set(c)
    assert a["clips/c0.wav"] == c["clips/c0.wav"]
    assert a["clips/c0-aug1.wav"] != c["clips/c0-aug1.wav"]


def test_a_clips_result_depends_only_on_seed_id_and_copy(dataset, tmp_path):
    ds = augment(dataset, tmp_path / "a", copies=1, recipe=FAST, seed=1)
    ds2 = augment(dataset, tmp_path / "b", copies=3, recipe=FAST, seed=1, splits="train,test")
    by_id = {c.id: c for c in ds2.clips()}
    for c in ds.clips():
        assert by_id[c.id].checksum == c.checksum


def test_augmenting_an_augmented_dataset_keeps_ids_unique_and_history(dataset, tmp_path):
    once = augment(dataset, tmp_path / "a", copies=1, recipe=FAST)
    twice = augment(once, tmp_path / "b", copies=1, recipe=FAST, seed=1)
    ids = [c.id for c in twice.clips()]
    assert len(ids) == len(set(ids)) == 8 + 6
    assert "c0-aug1-aug1" in ids
    assert twice.info["augment"]["previous"]["seed"] == 0


def test_clip_rng_is_stable_across_processes():
    # a fixed value: a change here would silently change every augmented dataset
    assert clip_rng(0, "c0", 1).random() != clip_rng(0, "c0", 2).random()
    assert clip_rng(0, "c0", 1).random() != clip_rng(1, "c0", 1).random()
    assert clip_rng(0, "c0", 1).random() != clip_rng(0, "c1", 1).random()
    assert clip_rng(0, "c0", 1).random() == 0.05792801511889556  # same under any PYTHONHASHSEED


def test_validation_and_test_only_with_the_flag(dataset, tmp_path):
    ds = augment(dataset, tmp_path / "o", copies=1, recipe=FAST,
                 splits=("train", "validation", "test"))
    made = [c for c in ds.clips() if c.lineage]
    assert sorted(c.split for c in made) == ["test", "train", "train", "train", "validation"]


def test_loud_results_are_scaled_down_not_clipped(tmp_path, tone_dataset):
    src = tone_dataset(tmp_path / "in", amp=0.9, splits=("train",))
    ds = augment(src, tmp_path / "o", copies=1, recipe={"name": "gain", "gain_db": 12.0})
    (c,) = [c for c in ds.clips() if c.lineage]
    scale = c.lineage["peak_scale"]
    assert scale == pytest.approx(1.0 / (0.9 * 10 ** (12 / 20)), rel=1e-3)
    y, x = ds.load(c), Dataset.open(src).load(Dataset.open(src).clips()[0])
    assert np.max(np.abs(y)) <= 1.0
    # a scaled copy of the input, not a clipped one
    np.testing.assert_allclose(y, x * 10 ** (12 / 20) * scale, atol=2e-4)


def test_length_changing_plugin_output_is_fitted_back(dataset, tmp_path):
    def halve(y, sr, *, rng):
        return y[::2], [{"name": "halve", "params": {}}]

    ds = augment(dataset, tmp_path / "o", copies=1, recipe=halve)
    c = next(c for c in ds.clips() if c.lineage)
    assert ds.load(c).shape == (N,)
    assert c.lineage["length_fixed"] == {"from": N // 2}


def test_refuses_to_write_into_its_input(dataset, tmp_path):
    with pytest.raises(ParameterError, match="input dataset"):
        augment(dataset, dataset, copies=1)
    with pytest.raises(ParameterError, match="input dataset"):
        augment(dataset, dataset / "clips" / "more", copies=1)
    augment(dataset, tmp_path / "o", copies=1, recipe=FAST)
    with pytest.raises(ParameterError, match="overwrite"):
        augment(dataset, tmp_path / "o", copies=1, recipe=FAST)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "thesis.tex").write_text("precious")
    with pytest.raises(ParameterError, match="not a pysynth dataset"):
        augment(dataset, tmp_path / "junk", copies=1)


def test_overwrite_replaces_and_removes_stale_clips(dataset, tmp_path):
    augment(dataset, tmp_path / "o", copies=3, recipe=FAST)
    ds = augment(dataset, tmp_path / "o", copies=1, recipe=FAST, overwrite=True)
    assert len(ds) == 8
    assert sorted(p.name for p in (tmp_path / "o" / "clips").iterdir()) == sorted(
        f"{c.id}.wav" for c in ds.clips())


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [({"copies": 0}, "copies"), ({"copies": 1.5}, "copies"), ({"seed": -1}, "seed"),
     ({"splits": "train,dev"}, "splits"), ({"splits": ()}, "splits"),
     ({"workers": 0}, "workers")],
)
def test_bad_arguments(dataset, tmp_path, kwargs, param):
    with pytest.raises(ParameterError, match=param):
        augment(dataset, tmp_path / "o", **{"copies": 1, **kwargs})
    assert not (tmp_path / "o").exists()


def test_missing_dataset(tmp_path):
    with pytest.raises(DatasetError):
        augment(tmp_path / "nothing", tmp_path / "o")


def test_recipe_files_json_and_yaml(dataset, tmp_path):
    noises = tmp_path / "recipes" / "noises"
    save(noises / "n.wav", np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32), SR)
    (tmp_path / "recipes" / "r.yaml").write_text(
        "name: compose\nshuffle: true\naugmenters:\n"
        "  - {name: gain, gain_db: [-3, 3], p: 0.5}\n"
        "  - name: background_noise\n    folder: noises\n    snr_db: [15, 25]\n"
    )
    (tmp_path / "recipes" / "r.json").write_text(json.dumps(FAST))
    ds = augment(dataset, tmp_path / "y", recipe=tmp_path / "recipes" / "r.yaml")
    names = {r["name"] for c in ds.clips() if c.lineage for r in c.lineage["chain"]}
    assert "background_noise" in names
    ds = augment(dataset, tmp_path / "j", recipe=str(tmp_path / "recipes" / "r.json"))
    assert ds.info["augment"]["recipe"]["augmenters"][0]["name"] == "gain"


def test_bad_recipes(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ParameterError, match=r"bad\.json"):
        load_recipe(bad)
    with pytest.raises(ParameterError, match=r"missing\.yaml"):
        load_recipe(tmp_path / "missing.yaml")
    with pytest.raises(UnknownNameError, match="did you mean 'pitch_shift'"):
        build_augmenter({"name": "pitch_shfit"})
    with pytest.raises(ParameterError, match="name"):
        build_augmenter({"gain_db": 3})
    with pytest.raises(ParameterError, match="gain"):
        build_augmenter({"name": "gain", "volume": 3})
    with pytest.raises(ValueError, match="gain_db"):
        build_augmenter({"name": "gain", "gain_db": [0, 99]})


def test_public_api_name_is_callable_even_after_importing_the_module(dataset, tmp_path):
    ds = pysynth.augment(dataset, tmp_path / "o", copies=1, recipe=FAST)
    assert len(ds) == 8


def test_cli(dataset, tmp_path, capsys):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps(FAST))
    out = tmp_path / "o"
    rc = main(["augment", str(dataset), "-o", str(out), "--copies", "2", "--recipe",
               str(recipe), "--seed", "5", "--all-splits", "-q"])
    assert rc == 0
    assert "15 clips (5 original, 10 augmented)" in capsys.readouterr().out
    assert len(Dataset.open(out)) == 15
    rc = main(["augment", str(dataset), "-o", str(dataset), "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("pysynth augment: error:")
    assert "input dataset" in err
    assert len(err.strip().splitlines()) == 1


def test_originals_are_hard_linked_or_copied(dataset, tmp_path):
    augment(dataset, tmp_path / "l", copies=1, recipe=FAST)
    augment(dataset, tmp_path / "c", copies=1, recipe=FAST, link=False)
    src = dataset / "clips" / "c3.wav"
    assert (tmp_path / "l" / "clips" / "c3.wav").samefile(src)
    assert not (tmp_path / "c" / "clips" / "c3.wav").samefile(src)
    assert (tmp_path / "c" / "clips" / "c3.wav").read_bytes() == src.read_bytes()


def test_default_recipe_always_changes_the_clip_and_stays_safe(tmp_path, tone_dataset):
    src = tone_dataset(tmp_path / "in", amp=0.99, splits=("train",) * 2)
    ds = augment(src, tmp_path / "o", copies=4, seed=2)
    originals = {c.id: ds.load(c) for c in ds.clips() if not c.lineage}
    for c in (c for c in ds.clips() if c.lineage):
        y = ds.load(c)
        assert 1 <= len(c.lineage["chain"]) <= 3
        assert y.shape == (N,)
        assert np.max(np.abs(y)) <= 1.0
        assert not np.array_equal(y, originals[c.lineage["source_clip"]])


def _one_shot_faults(recipe, copies: int = 40) -> tuple[int, int]:
    """(copies whose loudest 10 ms lie past 50 ms, copies with a tail above -50 dB of the peak)
    when ``recipe`` augments a decaying 200 Hz tone that starts at its first sample."""
    sr = 16000
    t = np.arange(sr) / sr
    hit = (np.sin(2 * np.pi * 200 * t) * np.exp(-t / 0.08)).astype(np.float32)
    aug = build_augmenter(recipe)
    late = loud_tail = 0
    for i in range(copies):
        y, _ = aug(hit, sr, rng=np.random.default_rng(i))
        frames = np.sqrt(np.mean(y[: len(y) // 160 * 160].reshape(-1, 160) ** 2, axis=1))
        late += int(np.argmax(frames) > 5)
        tail = np.sqrt(np.mean(y[-1600:] ** 2)) / np.max(np.abs(y))
        loud_tail += int(tail > 10 ** (-50 / 20))
    return late, loud_tail


def test_the_default_recipe_keeps_a_one_shots_attack_first_and_its_tail_silent():
    """Augmented sets train generators: no copy of a one-shot starts mid-sound or gains a
    noise floor, where a mix with a circular time shift and added noise (the default before
    2026-11-29) does both."""
    from pysynth.augmentation import DEFAULT_RECIPE

    assert _one_shot_faults(DEFAULT_RECIPE) == (0, 0)
    old = {**DEFAULT_RECIPE, "augmenters": [
        *DEFAULT_RECIPE["augmenters"],
        {"name": "time_shift", "shift_s": [-0.25, 0.25], "mode": "roll"},
        {"name": "noise", "snr_db": [20.0, 40.0], "color": ["white", "pink", "brown"]}]}
    late, loud_tail = _one_shot_faults(old)
    assert late > 0
    assert loud_tail > 0
