"""Render the evaluation corpus: real instrument recordings from Debian's fluid-soundfont-gm.

The sound-quality work (issue 13) is measured on recordings, not synthesized tones: the
FluidR3 General MIDI soundfont holds sampled drum kits and instruments. This script renders
them with ``fluidsynth`` into one-shot WAVs and curates each set with ``pysynth.curate``::

    apt-get install fluidsynth fluid-soundfont-gm
    python benchmarks/quality/corpus.py /tmp/corpus            # every set
    python benchmarks/quality/corpus.py /tmp/corpus --sets drums

Sets (each a labelled pysynth dataset at 16 kHz, 1-s clips unless said):

* ``drums``: kick, snare, hihat, tom, cymbal one-shots from the soundfont's 8 drum kits, at
  several velocities and small pitch bends (about 680 clips, like the issue's held-out set).
* ``pitched``: single notes of six instruments (piano, organ, nylon guitar, violin,
  flute, tubular bells) over three octaves: plucked, struck and sustained sounds.
* ``phrases``: 4-s arpeggio phrases of the same instruments (clips of 4 s): notes in time.

The audio is never committed: it is rendered into OUT. Rendering is deterministic (fixed
seed for velocities and bends).
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RENDER_SR = 44100
SLOT = 2.5  # seconds between events in a render: the longest tail fits before the next

#: General MIDI percussion keys of each drum category
DRUM_KEYS = {
    "kick": [35, 36],
    "snare": [38, 40],
    "hihat": [42, 44, 46],
    "tom": [41, 43, 45, 47, 48, 50],
    "cymbal": [49, 51, 52, 55, 57, 59],
}
#: the soundfont's drum kits (bank 128 programs)
DRUM_KITS = [0, 8, 16, 24, 25, 32, 40, 48]
#: pitched instruments: GM program numbers
INSTRUMENTS = {"piano": 0, "organ": 19, "guitar": 24, "violin": 40, "flute": 73, "bells": 14}


# -- a minimal Standard MIDI File writer ----------------------------------------------------
# Written by hand (about 30 lines) rather than adding a MIDI library as a dependency of a
# benchmark script: format 0, one track, note/program/bend/controller events only.

TICKS = 480  # per quarter note; at 120 bpm one tick is 1/960 s


def _varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def midi_file(events: list[tuple[float, bytes]], end: float) -> bytes:
    """A format-0 SMF at 120 bpm from ``(seconds, message bytes)`` events."""
    track = bytearray()
    now = 0
    for t, msg in [*sorted(events, key=lambda e: e[0]), (end, b"\xff\x2f\x00")]:
        tick = round(t * 2 * TICKS)
        track += _varlen(tick - now) + msg
        now = tick
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def note(ch: int, key: int, vel: int, t: float, dur: float) -> list[tuple[float, bytes]]:
    return [(t, bytes([0x90 | ch, key, vel])), (t + dur, bytes([0x80 | ch, key, 0]))]


BEND_RANGE = 12  # semitones, set with RPN 0 at the start of each render


def bend_range(ch: int) -> list[tuple[float, bytes]]:
    """RPN 0 (pitch bend sensitivity) = :data:`BEND_RANGE` semitones."""
    return [(0.0, bytes([0xB0 | ch, 101, 0])), (0.0, bytes([0xB0 | ch, 100, 0])),
            (0.0, bytes([0xB0 | ch, 6, BEND_RANGE])), (0.0, bytes([0xB0 | ch, 38, 0]))]


def bend(ch: int, semitones: float, t: float) -> tuple[float, bytes]:
    """Pitch bend by ``semitones`` (within +-BEND_RANGE)."""
    v = int(np.clip(8192 + semitones / BEND_RANGE * 8192, 0, 16383))
    return (t, bytes([0xE0 | ch, v & 0x7F, v >> 7]))


def render(events, end: float, out_wav: Path) -> np.ndarray:
    """Render events with fluidsynth (no reverb or chorus: events must not bleed)."""
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "x.mid"
        mid.write_bytes(midi_file(events, end))
        cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6",
               "-r", str(RENDER_SR), "-F", str(out_wav), str(SOUNDFONT), str(mid)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    y, sr = sf.read(out_wav, dtype="float32", always_2d=True)
    assert sr == RENDER_SR
    return y.mean(axis=1)


def cut_slots(y: np.ndarray, n: int, seconds: float, slot: float = SLOT) -> list[np.ndarray]:
    """The ``n`` events of a render, each ``seconds`` long from its slot start."""
    size = int(seconds * RENDER_SR)
    step = int(slot * RENDER_SR)
    return [y[i * step : i * step + size] for i in range(n)]


# -- the sets --------------------------------------------------------------------------------


def drums(raw: Path, rng: np.random.Generator) -> int:
    """One render per kit: every key of every category at several velocities and bends."""
    count = 0
    per_category = 136  # about 680 clips in all, balanced
    for cat, keys in DRUM_KEYS.items():
        combos = [(kit, key) for kit in DRUM_KITS for key in keys]
        reps = -(-per_category // len(combos))
        plan = [(kit, key, r) for kit, key in combos for r in range(reps)][:per_category]
        for kit in DRUM_KITS:
            mine = [(key, r) for k, key, r in plan if k == kit]
            if not mine:
                continue
            ev = [(0.0, bytes([0xC9, kit])), *bend_range(9)]
            for i, (key, r) in enumerate(mine):
                t = 0.5 + i * SLOT
                # kits share many samples: the repeats of a (kit, key) are tuned apart (as
                # sample packs tune their drums), a few semitones, so none is a near-copy
                tune = -4.0 + 8.0 * (r + rng.uniform(0.2, 0.8)) / reps
                ev.append(bend(9, float(tune), t - 0.1))
                ev += note(9, key, int(rng.integers(50, 127)), t, 0.3)
            y = render(ev, 0.5 + len(mine) * SLOT, raw / f"_{cat}.wav")
            for i, clip in enumerate(cut_slots(y[int(0.5 * RENDER_SR):], len(mine), 1.6)):
                key, r = mine[i]
                sf.write(raw / cat / f"kit{kit:03d}-key{key}-{r}.wav", clip, RENDER_SR,
                         subtype="PCM_16")
                count += 1
    return count


def pitched(raw: Path, rng: np.random.Generator) -> int:
    """Single notes over three octaves, two velocities; held 0.9 s (released inside 1.6 s)."""
    count = 0
    keys = list(range(48, 84, 2))  # C3..B5, whole tones
    for name, prog in INSTRUMENTS.items():
        ev = [(0.0, bytes([0xC0, prog]))]
        slots = [(k, v) for k in keys for v in (70, 110)]
        for i, (k, v) in enumerate(slots):
            ev += note(0, k, int(v + rng.integers(-8, 9)), 0.5 + i * SLOT, 0.9)
        y = render(ev, 0.5 + len(slots) * SLOT, raw / f"_{name}.wav")
        for i, clip in enumerate(cut_slots(y[int(0.5 * RENDER_SR):], len(slots), 1.6)):
            k, v = slots[i]
            sf.write(raw / name / f"key{k}-vel{v}.wav", clip, RENDER_SR, subtype="PCM_16")
            count += 1
    return count


def phrases(raw: Path, rng: np.random.Generator) -> int:
    """Arpeggios (major and minor triads up and down) at 120-160 bpm, 4 s each."""
    count = 0
    slot, n = 5.0, 24
    for name, prog in INSTRUMENTS.items():
        ev = [(0.0, bytes([0xC0, prog]))]
        for i in range(n):
            root = int(rng.integers(48, 72))
            third = 4 if rng.random() < 0.5 else 3
            pattern = [0, third, 7, 12, 7, third] * 3
            beat = 60.0 / float(rng.uniform(120, 160)) / 2
            for j, step in enumerate(pattern):
                t = 0.5 + i * slot + j * beat
                if t + beat > 0.5 + i * slot + 4.0:
                    break
                ev += note(0, root + step, int(rng.integers(70, 115)), t, beat * 0.9)
        y = render(ev, 0.5 + n * slot, raw / f"_{name}.wav")
        clips = cut_slots(y[int(0.5 * RENDER_SR):], n, 4.2, slot)
        for i, clip in enumerate(clips):
            sf.write(raw / name / f"phrase{i:02d}.wav", clip, RENDER_SR, subtype="PCM_16")
            count += 1
    return count


SETS = {"drums": (drums, 1.0), "pitched": (pitched, 1.0), "phrases": (phrases, 4.0)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="output folder (raw renders and curated datasets)")
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    ap.add_argument("--sr", type=int, default=16000, help="dataset sample rate (default 16000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if shutil.which("fluidsynth") is None or not SOUNDFONT.is_file():
        print("corpus: needs fluidsynth and fluid-soundfont-gm "
              "(apt-get install fluidsynth fluid-soundfont-gm)", file=sys.stderr)
        return 2
    import pysynth

    for name in args.sets.split(","):
        make, seconds = SETS[name]
        raw = args.out / "raw" / name
        shutil.rmtree(raw, ignore_errors=True)
        labels = DRUM_KEYS if name == "drums" else INSTRUMENTS
        for label in labels:
            (raw / label).mkdir(parents=True, exist_ok=True)
        n = make(raw, np.random.default_rng([args.seed, len(name)]))
        for tmp in raw.glob("_*.wav"):
            tmp.unlink()
        print(f"corpus: rendered {n} {name} recordings into {raw}", file=sys.stderr)
        summary = pysynth.curate([raw], args.out / name, sr=args.sr, clip_seconds=seconds,
                                 seed=args.seed, progress=False)
        print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
