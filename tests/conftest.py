"""Fixtures shared by the whole suite: synthesized signals, tiny datasets, tiny trained runs.

The tests run against the *installed* pysynth (``pip install .`` or ``pip install -e .``),
never against the source folder: the package lives at the repository's top level
(``pysynth/``), and ``python -m pytest`` puts the current folder first on ``sys.path``, where
the source package has no compiled engine. So the repository root is taken off the path
before anything imports pysynth.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT]
# The same for the Python processes the tests start (`python -m pysynth ...`, `python -c`):
# without this they would put their working folder, often the repository root, first.
os.environ["PYTHONSAFEPATH"] = "1"

import numpy as np  # noqa: E402 - after the path fix above
import pytest  # noqa: E402

SR = 16000


def make_sine(freq: float = 440.0, *, sr: int = SR, seconds: float = 0.5, amp: float = 0.5,
              phase: float = 0.0) -> np.ndarray:
    """A float32 sine: the signal whose right answer every audio test can state exactly."""
    t = np.arange(round(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def make_dataset(root, clips, *, sr: int = SR, info: dict | None = None, rejects=None):
    """:func:`pysynth.dataset.write_clips`: a dataset folder from ``(id, y, split, label)``
    tuples, 16 kHz unless ``sr`` says otherwise. Returns ``root``."""
    from pysynth.dataset import write_clips

    return write_clips(root, clips, sr=sr, info=info, rejects=rejects)


@pytest.fixture(scope="session")
def sine():
    """The :func:`make_sine` function (fixtures are how test modules share helpers here).
    Session-scoped, so that module- and session-scoped fixtures can use it too."""
    return make_sine


@pytest.fixture(scope="session")
def dataset_of():
    """The :func:`make_dataset` function: ``dataset_of(root, [(id, y, split, label), ...])``.
    Session-scoped, like ``sine``, so that module-scoped datasets can be made with it."""
    return make_dataset


@pytest.fixture(scope="session")
def tones(tmp_path_factory):
    """Four sine clips, 200 Hz ("low") and 500 Hz ("high"), one of each in train and in
    validation (1 s at 16 kHz): a signal both model families learn exactly in a few epochs.
    The contract harness's resume check writes the same clips, 0.5 s at 8 kHz. Session-wide
    and read-only: copy it to change it."""
    from pysynth.contract import write_tones_dataset

    return write_tones_dataset(tmp_path_factory.mktemp("tones") / "dataset", sr=SR, seconds=1.0)


# -- tiny trained runs ----------------------------------------------------------------------

#: A WaveNet small enough to train in seconds on CPU (receptive field 17 samples), with
#: samples every 2 epochs and one conditioning class per clip label ("high", "low").
TINY = {
    "levels": 256, "dilations": [1, 2, 4, 8], "residual_channels": 16,
    "dilation_channels": 16, "skip_channels": 32, "output_channels": 32, "seq_len": 128,
    "batch_size": 4, "steps_per_epoch": 30, "learning_rate": 0.01,
    "sample_every": 2, "sample_count": 2, "sample_seconds": 0.05, "tensorboard": False,
    "conditioning_classes": -1,
}


@pytest.fixture
def tiny():
    """A fresh copy of the tiny WaveNet's overrides (model and training keys)."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in TINY.items()}


@pytest.fixture(scope="session")
def wavenet_run(tones, tmp_path_factory):
    """``(run, result)``: the tiny WaveNet trained 2 epochs on ``tones``, uninterrupted, with
    TensorBoard logs, seed 3. Read-only: the resume and export tests compare against it."""
    pytest.importorskip("tensorflow")
    from pysynth.training import train

    run = tmp_path_factory.mktemp("runs") / "a"
    result = train(tones, arch="wavenet", run=run, overrides={**TINY, "tensorboard": True},
                   epochs=2, seed=3, verbose=0)
    return run, result


# -- a headless browser for the page tests (Debian's chromium and chromedriver) ------------

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                 if Path(p).exists()), shutil.which("chromium"))
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver",) if Path(p).exists()),
                    shutil.which("chromedriver"))


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    """Where the browser saves what a page downloads (exported marks or selection)."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(request, downloads):
    """Headless Chromium driven by Selenium, saving downloads to ``downloads``; the window is
    the test module's ``BROWSER_WINDOW`` ("1200,800" without one). Skips the module's tests
    when Chromium or chromedriver is not installed."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("headless browser test needs chromium and chromedriver installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    window = getattr(request.module, "BROWSER_WINDOW", "1200,800")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                f"--window-size={window}", "--allow-file-access-from-files"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    # headless Chromium downloads only where it is told to
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow",
                                                   "downloadPath": str(downloads)})
    yield d
    d.quit()
