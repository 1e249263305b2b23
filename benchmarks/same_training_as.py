"""Check that training gives bit-identical models to an earlier commit (for changes meant to
keep behaviour, such as a restructure).

Usage (from the repository root, with pysynth installed)::

    python benchmarks/same_training_as.py 8b46844

It synthesizes the demo's corpus, curates it, then trains a tiny WaveNet and a tiny SampleRNN
for 2 epochs with the same seed twice: once with the installed pysynth, once with the Python
code of the given commit (read with ``git archive``; its compiled engine is not needed, since
training and export do not sample). It prints each model's validation NLL and whether every
exported tensor is equal, and exits non-zero if any differs.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: trains both families with the code first on sys.path.
_TRAIN = r"""
import sys
old = sys.argv[1]
if old != "-":
    sys.meta_path = [f for f in sys.meta_path if "ScikitBuild" not in type(f).__name__]
    sys.path[:0] = [old + "/src", old, old + "/plugins/wavenet", old + "/plugins/samplernn"]
import numpy as np
from pysynth.errors import ParameterError
from pysynth.modelfile import load_model
from pysynth.training import export, train

dataset, out = sys.argv[2], sys.argv[3]
common = {"steps_per_epoch": 15, "validation_steps": 2, "sample_every": 0, "tensorboard": False,
          "batch_size": 4}
wavenet = {"dilations": [1, 2, 4, 8], "residual_channels": 16, "dilation_channels": 16,
           "skip_channels": 32, "output_channels": 32}
saved = {}
for arch, model in (("wavenet", wavenet), ("samplernn", {"frame_sizes": [4, 16], "dim": 32,
                                                           "seq_len": 64})):
    for length_key in ("seq_len", "window"):  # WaveNet's training length was "window" once
        run = f"{out}/{arch}-{length_key}"
        extra = {length_key: 256} if arch == "wavenet" else {}
        try:
            result = train(dataset, arch=arch, run=run, preset="small",
                           overrides={**model, **extra, **common}, epochs=2, seed=5, verbose=0)
            break
        except ParameterError:
            continue
    mf = load_model(export(run, f"{out}/{arch}.pysynth"))
    saved[arch] = {"nll": result["best_val_nll_bits"], **mf.tensors}
np.save(f"{out}/tensors.npy", saved, allow_pickle=True)
"""


def _extract(rev: str, into: Path) -> None:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")


def main(rev: str) -> int:
    import numpy as np

    import pysynth
    from pysynth.demo.corpus import make_corpus

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_corpus(tmp / "source", per_instrument=4, seed=0, seconds=0.5)
        pysynth.curate([tmp / "source"], tmp / "dataset", sr=16000, clip_seconds=0.5, seed=0,
                       progress=False)
        _extract(rev, tmp / "old")
        results = {}
        for name, code in (("installed", "-"), (rev, str(tmp / "old"))):
            out = tmp / f"out-{len(results)}"
            out.mkdir()
            subprocess.run([sys.executable, "-c", _TRAIN, code, str(tmp / "dataset"), str(out)],
                           check=True, capture_output=True, text=True, cwd=tmp)
            results[name] = np.load(out / "tensors.npy", allow_pickle=True).item()
        a, b = results.values()
        same = True
        for arch in a:
            equal = sorted(a[arch]) == sorted(b[arch]) and all(
                np.array_equal(a[arch][k], b[arch][k]) for k in a[arch])
            same &= equal
            print(f"{arch}: validation NLL {a[arch]['nll']:.6f} (installed) vs "
                  f"{b[arch]['nll']:.6f} ({rev}); {len(a[arch]) - 1} tensors "
                  f"{'bit-identical' if equal else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
