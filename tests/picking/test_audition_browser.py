"""The audition page in a real browser: headless Chromium (Debian package) driven by Selenium.

A click on a clip must start that clip's audio, the keyboard must move, play and mark, and
the export button must download the marks that ``pysynth pick --marks`` then copies out.
Skipped only when Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import pysynth
from pysynth.picking import copy_marked

pytestmark = pytest.mark.browser

BROWSER_WINDOW = "1400,900"  # the driver fixture's (tests/conftest.py)


def player_state(driver, timeout=10.0):
    """The player's state once it plays (or the last state seen after ``timeout``)."""
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


def wait_for_file(path: Path, timeout=10.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not path.is_file():
        time.sleep(0.1)
    return path


def test_play_mark_and_export(driver, downloads, known_clips, reference, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out = tmp_path / "picked"
    result = pysynth.pick(known_clips, reference, out, k=4)
    driver.get(result.page.as_uri())
    data = driver.execute_script("return window.pysynthAudition.data;")
    files = [c["file"] for c in data["clips"]]
    assert sorted(files) == sorted(p.name for p in result.kept)
    assert data["dataset"]["labels"] == ["high", "low"]
    assert len(data["dataset"]["cell"]) == 24  # every real clip sits on the dataset's map

    # a click plays that clip
    tile = driver.find_element(By.CSS_SELECTOR, f'.tile[data-file="{files[2]}"]')
    tile.click()
    state = player_state(driver)
    assert state["clip"] == files[2], state
    assert not state["paused"], state
    assert state["t"] > 0, state
    assert state["src"] == data["clips"][2]["audio"]
    assert driver.find_element(By.ID, "now").text == files[2]

    # the keyboard: K keeps the selected clip, an arrow moves, D discards, Space plays
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("k")
    body.send_keys(Keys.ARROW_RIGHT)
    moved = int(driver.switch_to.active_element.get_attribute("data-index"))
    assert moved != 2
    body.send_keys("d")
    driver.execute_script("document.getElementById('player').pause();")
    driver.switch_to.active_element.send_keys(Keys.SPACE)
    state = player_state(driver)
    assert state["clip"] == files[moved], state
    assert "keep" in tile.get_attribute("class")
    assert driver.find_element(By.ID, "counts").text == "1 kept, 1 discarded, 2 unmarked"

    # clicking a dataset cell plays a real clip (linked beside the page, relative URL)
    cell = next(c for c in driver.find_elements(By.CSS_SELECTOR, ".dcell")
                if "real clip" in c.get_attribute("title"))
    cell.click()
    state = player_state(driver)
    assert state["kind"] == "dataset", state
    assert state["src"].endswith(".wav")
    assert not state["paused"], state

    # export downloads the marks, which pysynth pick --marks copies out
    driver.find_element(By.ID, "export").click()
    marks = wait_for_file(downloads / "marks.json")
    got = json.loads(marks.read_text())
    assert got["format"] == "pysynth-marks"
    assert got["keep"] == [files[2]]
    assert got["discard"] == [files[moved]]
    copied = copy_marked(out, marks, tmp_path / "chosen")
    assert [p.name for p in copied] == [files[2]]
