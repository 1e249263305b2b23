"""The map page in a real browser: headless Chromium (Debian package) driven by Selenium.

A click on a point must start that clip's audio; hover must show the clip's name.
Skipped only when Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import pysynth

pytestmark = pytest.mark.browser

SR = 16000
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                 if Path(p).exists()), shutil.which("chromium"))
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver",) if Path(p).exists()),
                    shutil.which("chromedriver"))


def clean_and_noisy(dataset_of, sine, root, n=8, seconds=1.0):
    """``n`` sines of rising pitch; every other one has noise added (labelled "noisy")."""
    clips = []
    for i in range(n):
        y = sine(150 * (i + 1), sr=SR, seconds=seconds, amp=0.4)
        if i % 2:
            y = y + 0.1 * np.random.default_rng(i).normal(size=y.size).astype(np.float32)
        clips.append((f"clip-{i}", y, "train", "noisy" if i % 2 else "clean"))
    return dataset_of(root, clips, sr=SR, info={"clip_seconds": seconds})


@pytest.fixture(scope="module")
def driver():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("headless browser test needs chromium and chromedriver installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                "--window-size=1200,800", "--allow-file-access-from-files"):
        opts.add_argument(arg)
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def click_point(driver, kind, i):
    """Hover, then click the screen position of point i (a real mouse event on the canvas)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(By.ID, "map")
    pos = driver.execute_script("return window.pysynthMap.screenPosition(arguments[0], arguments[1]);",
                                kind, i)
    rect = driver.execute_script("return arguments[0].getBoundingClientRect();", canvas)
    dx = pos["x"] - (rect["left"] + rect["width"] / 2)
    dy = pos["y"] - (rect["top"] + rect["height"] / 2)
    ActionChains(driver).move_to_element_with_offset(canvas, round(dx), round(dy)).perform()
    tip = driver.find_element(By.ID, "tip").text
    ActionChains(driver).click().perform()
    return tip


def wait_playing(driver, timeout=10.0):
    state = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script(
            "var a = document.getElementById('player');"
            "return {paused: a.paused, t: a.currentTime, src: a.currentSrc || a.src,"
            " clip: a.dataset.clip, kind: a.dataset.kind, err: a.error && a.error.code};")
        if not state["paused"] and state["t"] > 0:
            return state
        time.sleep(0.1)
    return state


@pytest.mark.parametrize("audio", ["inline", "relative"])
def test_click_plays_the_clicked_clip(driver, tmp_path, dataset_of, sine, audio):
    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds")
    gen = tmp_path / "gen"
    gen.mkdir()
    shutil.copy(ds / "clips" / "clip-3.wav", gen / "generated-3.wav")
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio=audio, overlay=gen, k=2)
    driver.get(page.as_uri())
    data = driver.execute_script("return window.pysynthMap.data;")
    assert data["points"]["id"] == res.ids

    # pick a clip far from the overlay star (which sits exactly on clip-3)
    target = res.ids.index("clip-5")
    tip = click_point(driver, "clip", target)
    assert tip.splitlines()[0] == "clip-5"  # hover shows the name
    state = wait_playing(driver)
    assert state["clip"] == "clip-5", state
    assert not state["paused"], state
    assert state["t"] > 0, state
    expected = data["points"]["audio"][target]
    if audio == "inline":
        assert state["src"] == expected
    else:
        assert state["src"].endswith("/ds/clips/clip-5.wav")
    assert driver.find_element("id", "now").text == "clip-5"

    # the generated clip (a star) plays its own file
    tip = click_point(driver, "overlay", 0)
    assert tip.splitlines()[0] == "generated-3.wav (generated)"
    assert "clip-3" in tip  # its nearest dataset clip is listed
    state = wait_playing(driver)
    assert state["kind"] == "overlay", state
    assert state["clip"] == "generated-3.wav"
    assert not state["paused"], state
    assert state["t"] > 0, state


def test_zoom_and_pan_change_the_view(driver, tmp_path, dataset_of, sine):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", n=6)
    page = tmp_path / "map.html"
    pysynth.map(ds, html=page, reducer="som", audio="none")
    driver.get(page.as_uri())
    canvas = driver.find_element(By.ID, "map")
    before = driver.execute_script("return window.pysynthMap.view();")
    ActionChains(driver).scroll_to_element(canvas).perform()
    driver.execute_script(
        "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: 500,"
        " clientY: 300, bubbles: true, cancelable: true}));", canvas)
    zoomed = driver.execute_script("return window.pysynthMap.view();")
    assert zoomed["k"] > before["k"] * 1.2
    ActionChains(driver).move_to_element_with_offset(canvas, 5, 5).click_and_hold() \
        .move_by_offset(60, 40).release().perform()
    panned = driver.execute_script("return window.pysynthMap.view();")
    assert panned["px"] == pytest.approx(zoomed["px"] + 60, abs=2)
    assert panned["py"] == pytest.approx(zoomed["py"] + 40, abs=2)
    assert driver.find_element(By.ID, "now").text == "(nothing)"  # a drag is not a click
