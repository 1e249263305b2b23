"""Each built-in curator on signals whose right answer is known; bad parameters next to good."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import soundfile as sf

import pysynth
from pysynth.curation import (
    ClipRecord,
    Curator,
    Rejected,
    Segment,
    build_pipeline,
    load_recipe,
)
from pysynth.curation.curators.base import frame_rms_db
from pysynth.curation.curators.cut import Cut
from pysynth.curation.curators.decode import Decode
from pysynth.curation.curators.dedupe import Dedupe, fingerprint
from pysynth.curation.curators.normalize import Normalize
from pysynth.curation.curators.reject import Reject
from pysynth.curation.curators.split import Split, deal_by_duration
from pysynth.curation.curators.split_silence import SplitSilence
from pysynth.curation.curators.trim import Trim
from pysynth.errors import ParameterError, UnknownNameError
from pysynth.registry import curators

SR = 16000


def seg(y, sr=SR, offset=0.0, source="s.wav"):
    return Segment(np.asarray(y, dtype=np.float32), sr, source, offset, "lab")


def test_all_builtins_are_registered():
    assert set(curators.names()) >= {"decode", "reject", "trim", "split_silence", "normalize",
                                     "cut", "dedupe", "split"}
    assert curators.entry("trim").origin == "pysynth (built-in)"


# -- decode -------------------------------------------------------------------------------


@pytest.mark.parametrize("native", [8000, 16000, 44100, 48000])
def test_decode_resamples_and_mixes_down(sine, tmp_path, native):
    stereo = np.stack([sine(440, seconds=2.0, sr=native),
                       sine(440, seconds=2.0, sr=native, amp=0.1)], axis=1)
    sf.write(tmp_path / "a.wav", stereo, native, subtype="FLOAT")
    blocks = list(Decode(sr=SR).blocks(str(tmp_path / "a.wav"), source="a", label=""))
    y = np.concatenate([b.y for b in blocks])
    assert len(y) == pytest.approx(2 * SR, abs=2)
    mid = y[SR // 2: SR // 2 + SR // 4]
    assert np.max(np.abs(mid)) == pytest.approx(0.3, abs=0.01)  # mean of 0.5 and 0.1
    spectrum = np.abs(np.fft.rfft(y[:SR]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)


def test_decode_blocks_are_aligned_and_seamless(sine, tmp_path):
    y = sine(330, seconds=25.3, sr=44100)
    sf.write(tmp_path / "long.wav", y, 44100, subtype="FLOAT")
    whole = np.concatenate([b.y for b in Decode(sr=SR, block_seconds=100).blocks(
        str(tmp_path / "long.wav"), source="x", label="")])
    dec = Decode(sr=SR, block_seconds=7.0, align_seconds=3.0)
    blocks = list(dec.blocks(str(tmp_path / "long.wav"), source="x", label=""))
    assert [len(b.y) for b in blocks[:-1]] == [9 * SR] * 2  # 7 s rounded up to 3 s multiple
    assert [b.offset for b in blocks] == [0.0, 9.0, 18.0]
    np.testing.assert_array_equal(np.concatenate([b.y for b in blocks]), whole)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"RIFF\x00\x00", "undecodable"), (b"hello world", "undecodable")],
)
def test_decode_rejects_broken_files(tmp_path, content, reason):
    (tmp_path / "x.wav").write_bytes(content)
    with pytest.raises(Rejected) as info:
        list(Decode().blocks(str(tmp_path / "x.wav"), source="x", label=""))
    assert info.value.reason == reason


def test_decode_rejects_inf_in_a_late_block(sine, tmp_path):
    y = sine(200, seconds=3.0)
    y[int(2.5 * SR)] = np.inf
    sf.write(tmp_path / "x.wav", y, SR, subtype="FLOAT")
    gen = Decode(block_seconds=1.0).blocks(str(tmp_path / "x.wav"), source="x", label="")
    with pytest.raises(Rejected, match=r"2\.500 s") as info:
        list(gen)
    assert info.value.reason == "non_finite"


# -- reject -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda sine: sine(440, seconds=0.01), "too_short"),
        (lambda sine: np.zeros(SR), "silent"),
        (lambda sine: sine(440, seconds=1.0, amp=0.002), "silent"),  # -54 dBFS peak
        (lambda sine: np.clip(sine(440, seconds=1.0, amp=3.0), -1, 1), "clipped"),
        (lambda sine: np.full(SR, np.nan), "non_finite"),
    ],
)
def test_reject_reasons(sine, make, reason):
    with pytest.raises(Rejected) as info:
        Reject().apply(seg(make(sine)))
    assert info.value.reason == reason


def test_reject_keeps_good_audio_and_thresholds_are_parameters(sine):
    good = sine(440, seconds=1.0, amp=0.9)
    assert Reject().apply(seg(good))[0].y is not None
    quiet = sine(440, seconds=1.0, amp=0.002)
    assert len(Reject(silence_db=-60).apply(seg(quiet))) == 1
    clipped = np.clip(sine(440, seconds=1.0, amp=3.0), -1, 1)
    assert len(Reject(max_clipped=1).apply(seg(clipped))) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"silence_db": 3}, "silence_db"), ({"max_clipped": 2}, "max_clipped"),
     ({"min_seconds": -1}, "min_seconds"), ({"clip_level": 0}, "clip_level")],
)
def test_reject_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Reject(**kwargs)


# -- trim and split_silence -----------------------------------------------------------------


def test_trim_removes_leading_and_trailing_silence(sine):
    y = np.concatenate([np.zeros(SR // 2), sine(440, seconds=1.0), 1e-5 * np.ones(SR // 4)])
    (out,) = Trim().apply(seg(y, offset=10.0))
    assert out.offset == pytest.approx(10.5, abs=0.01)
    assert out.duration == pytest.approx(1.0, abs=0.011)
    assert Trim().apply(seg(sine(440, seconds=1.0)))[0].duration == pytest.approx(1.0)
    with pytest.raises(Rejected, match="silent"):
        Trim().apply(seg(np.zeros(SR)))


def test_split_silence_finds_three_bursts(sine):
    gap = np.zeros(SR // 2)
    short_gap = np.zeros(SR // 10)  # too short to split
    y = np.concatenate([sine(300, seconds=0.4), gap, sine(500, seconds=0.3), short_gap,
                        sine(500, seconds=0.3), gap, sine(800, seconds=0.2), gap])
    parts = SplitSilence(min_silence_seconds=0.3).apply(seg(y))
    assert len(parts) == 3
    assert [round(p.offset, 2) for p in parts] == [0.0, 0.9, 2.1]
    assert [round(p.duration, 2) for p in parts] == [0.4, 0.7, 0.2]


def test_frame_rms_db_of_a_full_scale_sine(sine):
    db = frame_rms_db(sine(1000, seconds=0.1, amp=1.0), 160)
    np.testing.assert_allclose(db, -3.0103, atol=0.01)


# -- normalize ----------------------------------------------------------------------------


def test_normalize_peak_and_loudness(sine):
    y = sine(440, seconds=1.0, amp=0.1)
    (p,) = Normalize(mode="peak", target_db=-6).apply(seg(y))
    assert np.max(np.abs(p.y)) == pytest.approx(10 ** (-6 / 20), rel=1e-4)
    assert p.meta["gain_db"] == pytest.approx(20 - 6, abs=0.01)
    (lo,) = Normalize(mode="loudness", target_db=-20).apply(seg(y))
    rms = np.sqrt(np.mean(lo.y.astype(np.float64) ** 2))
    assert 20 * np.log10(rms) == pytest.approx(-20, abs=0.01)
    # a spiky signal: loudness gain is limited by the peak ceiling
    spiky = np.zeros(SR, np.float32)
    spiky[::1000] = 0.5
    (sp,) = Normalize(mode="loudness", target_db=-10, max_peak_db=-1).apply(seg(spiky))
    assert np.max(np.abs(sp.y)) == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    with pytest.raises(ParameterError, match="mode"):
        Normalize(mode="lufs")
    # without a target each mode has its own default: -1 dBFS peak, -20 dBFS loudness
    (d,) = Normalize(mode="loudness").apply(seg(y))
    assert 20 * np.log10(np.sqrt(np.mean(d.y.astype(np.float64) ** 2))) == pytest.approx(-20, abs=0.01)
    (e,) = Normalize().apply(seg(y))
    assert np.max(np.abs(e.y)) == pytest.approx(10 ** (-1 / 20), rel=1e-4)


# -- cut ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "clip", "hop", "n"),
    [(3.5, 1.0, None, 3), (3.0, 1.0, None, 3), (3.0, 1.0, 0.5, 5), (2.0, 0.5, 0.25, 7)],
)
def test_cut_counts_and_offsets(sine, seconds, clip, hop, n):
    y = sine(440, seconds=seconds)
    clips = Cut(clip_seconds=clip, hop_seconds=hop).apply(seg(y, offset=2.0))
    assert len(clips) == n
    step = hop or clip
    assert [c.offset for c in clips] == pytest.approx([2.0 + i * step for i in range(n)])
    assert all(len(c.y) == round(clip * SR) for c in clips)


def test_cut_pads_or_drops_one_shots(sine):
    shot = sine(440, seconds=0.3)
    (padded,) = Cut(clip_seconds=1.0).apply(seg(shot))
    assert len(padded.y) == SR
    np.testing.assert_array_equal(padded.y[: len(shot)], shot)
    assert not padded.y[len(shot):].any()
    with pytest.raises(Rejected, match="short='drop'"):
        Cut(clip_seconds=1.0, short="drop").apply(seg(shot))
    with pytest.raises(Rejected, match="min_seconds"):
        Cut(clip_seconds=1.0, min_seconds=0.5).apply(seg(shot))
    with pytest.raises(ParameterError, match="short"):
        Cut(short="loop")
    with pytest.raises(ParameterError, match="clip_seconds"):
        Cut(clip_seconds=0)


# -- dedupe -------------------------------------------------------------------------------


def _record(i, y, source, checksum=None):
    rec = ClipRecord(id=f"c{i}", path=f"clips/c{i}.wav", source=source, offset=0.0,
                     duration=len(y) / SR, checksum=checksum or f"sum{i}", label="")
    Dedupe().annotate(seg(y), rec)
    return rec


def test_fingerprint_separates_different_sounds_and_ignores_faint_noise(sine):
    rng = np.random.default_rng(0)
    a = sine(440, seconds=1.0)
    b = sine(880, seconds=1.0)
    noisy = a + 1e-3 * rng.standard_normal(SR).astype(np.float32)
    fa, fb, fn = fingerprint(a, SR), fingerprint(b, SR), fingerprint(noisy, SR)
    assert np.linalg.norm(fa) == pytest.approx(1.0, abs=1e-5)
    assert 1 - fa @ fn < 0.001
    assert 1 - fa @ fb > 0.5
    assert not fingerprint(np.zeros(SR), SR).any()


def test_dedupe_exact_and_near_with_matches(sine):
    rng = np.random.default_rng(0)
    a, b = sine(440, seconds=1.0), sine(1300, seconds=1.0)
    recs = [
        _record(0, a, "a.wav", "X"),
        _record(1, a, "b.wav", "X"),  # exact copy in another file
        _record(2, a + 1e-3 * rng.standard_normal(SR), "c.wav"),  # near copy
        _record(3, b, "d.wav"),
        _record(4, a, "a.wav", "X"),  # same audio again within a.wav: kept by default
    ]
    kept, dropped = Dedupe().select(recs)
    assert [r.id for r in kept] == ["c0", "c4", "c3"]
    why = {r.id: (j.reason, j.info["matched"]) for r, j in dropped}
    assert why == {"c1": ("duplicate", "c0"), "c2": ("near_duplicate", "c0")}
    kept, dropped = Dedupe(within_source=True).select(recs)
    assert {r.id for r, _ in dropped} == {"c1", "c2", "c4"}
    kept, dropped = Dedupe(near_threshold=None).select(recs)
    assert {r.id for r, _ in dropped} == {"c1"}
    kept, dropped = Dedupe(exact=False, near_threshold=None).select(recs)
    assert dropped == []


@pytest.mark.parametrize("batch", [1, 7])
def test_dedupe_batches_do_not_change_the_result(monkeypatch, batch):
    import pysynth.curation.curators.dedupe as dd

    rng = np.random.default_rng(5)
    base = rng.standard_normal((40, dd.TIME_SLOTS * dd.BANDS)).astype(np.float32)
    recs = []
    for i in range(120):  # 40 distinct fingerprints, each seen about 3 times with jitter
        v = base[i % 40] + 0.02 * rng.standard_normal(base.shape[1]).astype(np.float32)
        v -= v.mean()
        rec = ClipRecord(f"c{i:03d}", "", f"s{i % 17}.wav", float(i), 1.0, f"k{i % 50}", "")
        rec.features["fingerprint"] = (v / np.linalg.norm(v)).astype(np.float16)
        recs.append(rec)
    expected = Dedupe().select(list(recs))
    monkeypatch.setattr(dd, "_BATCH", batch)
    got = Dedupe().select(list(recs))
    assert [r.id for r in got[0]] == [r.id for r in expected[0]]
    assert [(r.id, j.reason, j.info["matched"]) for r, j in got[1]] == [
        (r.id, j.reason, j.info["matched"]) for r, j in expected[1]]
    assert len(expected[0]) < 60  # there were duplicates to find


# -- split --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fractions", "counts"),
    [(10, (0.8, 0.1, 0.1), [8, 1, 1]), (3, (0.8, 0.1, 0.1), [1, 1, 1]),
     (2, (0.8, 0.1, 0.1), [2, 0, 0]), (7, (0.5, 0.5, 0.0), [4, 3, 0]),
     (100, (0.7, 0.2, 0.1), [70, 20, 10]), (0, (0.8, 0.1, 0.1), [0, 0, 0])],
)
def test_equal_recordings_are_dealt_by_count(n, fractions, counts):
    which = deal_by_duration({f"s{i}": 2.0 for i in range(n)}, fractions, seed=0)
    assert [list(which.values()).count(k) for k in ("train", "validation", "test")] == counts


def _one_shots_and_a_session(long_seconds, seed=0):
    """The issue's folder: 130 one-shots of 0.3 to 1.5 s and one long session recording."""
    rng = np.random.default_rng(seed)
    recs = [ClipRecord(f"o{i}", "", f"shots/o{i}.wav", 0.0, float(d), f"{i}", "")
            for i, d in enumerate(rng.uniform(0.3, 1.5, size=130))]
    recs += [ClipRecord(f"l{i}", "", "sessions/jam.wav", float(i), 1.0, f"l{i}", "")
             for i in range(long_seconds)]
    return recs


def _shares(recs):
    total = sum(r.duration for r in recs)
    return [sum(r.duration for r in recs if r.split == k) / total
            for k in ("train", "validation", "test")]


@pytest.mark.parametrize("seed", range(8))
def test_split_shares_are_fractions_of_the_audio(seed):
    # 180 s of 258 s in one recording: it must go to train, the one-shots fill the rest
    recs = _one_shots_and_a_session(180, seed)
    Split(seed=seed).select(recs)
    assert {r.split for r in recs if r.source == "sessions/jam.wav"} == {"train"}
    assert _shares(recs) == pytest.approx([0.8, 0.1, 0.1], abs=0.05)


def test_split_warns_naming_the_recording_too_large_to_place():
    # 900 s of ~1017 s: train cannot stay near 80 %, and the warning says which file is why
    recs = _one_shots_and_a_session(900)
    with pytest.warns(UserWarning, match=r"sessions/jam\.wav alone is 900\.0 s, 88 % of the "
                                         r"audio \(in train\)"):
        Split().select(recs)
    assert _shares(recs)[0] > 0.85


def test_split_is_silent_when_the_shares_hold(recwarn):
    Split().select(_one_shots_and_a_session(180))
    assert not [w for w in recwarn if "splits hold" in str(w.message)]


def test_split_is_deterministic_by_source_and_seeded():
    recs = [ClipRecord(f"c{i}", "", f"s{i % 20}.wav", 0.0, 1.0, f"{i}", "") for i in range(100)]
    Split(seed=3).select(recs)
    first = [r.split for r in recs]
    by_src = {}
    for r in recs:
        assert by_src.setdefault(r.source, r.split) == r.split
    assert sorted(by_src.values()).count("validation") == 2
    Split(seed=3).select(recs)
    assert [r.split for r in recs] == first
    Split(seed=4).select(recs)
    assert [r.split for r in recs] != first


@pytest.mark.parametrize(
    ("fractions", "match"),
    [((0.5, 0.5), "3 numbers"), ((0.5, 0.4, 0.0), "sum to 1"), ((1.2, -0.1, -0.1), "fractions")],
)
def test_split_bad_fractions(fractions, match):
    with pytest.raises(ParameterError, match=match):
        Split(fractions=fractions)


# -- recipes ------------------------------------------------------------------------------


def test_recipe_forms_and_files(tmp_path):
    steps = [("decode", {}), ("trim", {"trim_db": 40}), ("cut", {"clip_seconds": 2})]
    assert load_recipe(["decode", {"trim": {"trim_db": 40}},
                        {"curator": "cut", "clip_seconds": 2}]) == steps
    (tmp_path / "r.yaml").write_text(
        "steps:\n  - decode\n  - trim: {trim_db: 40}\n  - curator: cut\n    clip_seconds: 2\n")
    assert load_recipe(tmp_path / "r.yaml") == steps
    (tmp_path / "r.json").write_text(
        '["decode", {"trim": {"trim_db": 40}}, {"cut": {"clip_seconds": 2}}]')
    assert load_recipe(str(tmp_path / "r.json")) == steps


def test_build_pipeline_fills_options_and_checks_order():
    pipe = build_pipeline([("decode", {}), ("cut", {"clip_seconds": 2.0}), ("split", {})],
                          {"sr": 8000, "clip_seconds": 1.0, "seed": 7})
    assert pipe[0].sr == 8000
    assert pipe[1].clip_seconds == 2.0  # the recipe wins over the options
    assert pipe[2].seed == 7
    with pytest.raises(ParameterError, match="start with exactly one decode"):
        build_pipeline([("trim", {}), ("decode", {})], {})
    with pytest.raises(ParameterError, match="must come before"):
        build_pipeline([("decode", {}), ("split", {}), ("trim", {})], {})
    with pytest.raises(ParameterError, match="has no parameter top_db"):
        build_pipeline([("decode", {}), ("trim", {"top_db": 3})], {})
    with pytest.raises(UnknownNameError, match="did you mean 'trim'"):
        build_pipeline([("decode", {}), ("trimm", {})], {})


def test_build_pipeline_aligns_decode_blocks_to_the_clip_hop():
    """The decode step gets its block alignment from cut's hook, at construction."""
    pipe = build_pipeline([("decode", {}), ("cut", {"clip_seconds": 1.0, "hop_seconds": 0.3}),
                           ("split", {})], {})
    assert pipe[1].block_alignment() == 0.3
    assert pipe[0].align_seconds == 0.3
    assert pipe[0].block_samples() % round(0.3 * SR) == 0
    explicit = build_pipeline([("decode", {"align_seconds": 2.0}), ("cut", {})], {})
    assert explicit[0].align_seconds == 2.0  # the recipe wins
    assert build_pipeline([("decode", {}), ("trim", {})], {})[0].align_seconds is None


@pytest.mark.parametrize(
    ("recipe", "match"),
    [([], "non-empty list"), ({"stepz": []}, "exactly one key"), ([3], "step 0"),
     ([{"trim": 5}], "must be a mapping")],
)
def test_bad_recipes(recipe, match):
    with pytest.raises(ParameterError, match=match):
        load_recipe(recipe)


# -- a third-party curator ----------------------------------------------------------------


@dataclass
class _Dc(Curator):
    """Reject segments with a DC offset (the example of docs/curate.md)."""

    name = "test_dc_offset"
    max_dc: float = 0.05

    def apply(self, seg):
        dc = float(np.mean(seg.y))
        if abs(dc) > self.max_dc:
            raise Rejected("dc_offset", f"mean {dc:.3f} > max_dc {self.max_dc}")
        return [seg]


def test_a_registered_custom_curator_runs_in_a_recipe(sine, tmp_path):
    if "test_dc_offset" not in curators:
        curators.register("test_dc_offset", _Dc, origin="tests")
    (tmp_path / "in").mkdir()
    sf.write(tmp_path / "in" / "ok.wav", sine(440, seconds=1.0), SR)
    sf.write(tmp_path / "in" / "dc.wav", sine(440, seconds=1.0, amp=0.3) + 0.4, SR)
    summary = pysynth.curate([tmp_path / "in"], tmp_path / "ds", progress=False, recipe=[
        "decode", {"test_dc_offset": {"max_dc": 0.1}}, "cut", "split"])
    assert summary.rejects == {"dc_offset": 1}
    assert summary.clips == 1


@pytest.mark.parametrize("instrument", ["hat", "kick", "snare"])
def test_near_duplicate_default_keeps_distinct_takes_but_catches_noisy_copies(instrument):
    """Different hits of the same drum are not duplicates; a copy plus faint noise is."""
    from pysynth.demo.corpus import INSTRUMENTS

    sr = 16000
    make = INSTRUMENTS[instrument]
    takes = [make(np.random.default_rng([7, k]), sr, 0.5) for k in range(4)]
    threshold = Dedupe().near_threshold
    fps = [fingerprint(y, sr) for y in takes]
    for i in range(4):
        for j in range(i + 1, 4):
            assert 1 - float(fps[i] @ fps[j]) > threshold
    y = takes[0]
    noisy = y + np.random.default_rng(1).standard_normal(len(y)) * np.std(y) * 10 ** (-40 / 20)
    assert 1 - float(fps[0] @ fingerprint(noisy, sr)) <= threshold


def test_reject_treats_a_pure_dc_offset_as_silence():
    sr = 16000
    dc = np.full(sr, 0.5, dtype=np.float32)
    rej = Reject()
    with pytest.raises(Rejected, match="dBFS") as info:
        rej.apply(Segment(y=dc, sr=sr, source="dc.wav", offset=0.0))
    assert info.value.reason == "silent"
    tone = dc + 0.1 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    assert len(rej.apply(Segment(y=tone, sr=sr, source="tone.wav", offset=0.0))) == 1


def test_cut_refuses_absurd_clip_lengths():
    with pytest.raises(ParameterError, match="clip_seconds"):
        Cut(clip_seconds=1e9)
    with pytest.raises(ParameterError, match="hop_seconds"):
        Cut(clip_seconds=1.0, hop_seconds=1e9)
