"""The map page in a real browser: headless Chromium (Debian package) driven by Selenium.

A click on a point must start that clip's audio; hover must show the clip's name; legend
entries hide what they name; arrow keys step to the nearest clip and play it; a box selection
downloads the right clips. Skipped only when Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

import pysynth

pytestmark = pytest.mark.browser

SR = 16000


def clean_and_noisy(dataset_of, sine, root, n=8, seconds=1.0):
    """``n`` sines of rising pitch; every other one has noise added (labelled "noisy")."""
    clips = []
    for i in range(n):
        y = sine(150 * (i + 1), sr=SR, seconds=seconds, amp=0.4)
        if i % 2:
            y = y + 0.1 * np.random.default_rng(i).normal(size=y.size).astype(np.float32)
        clips.append((f"clip-{i}", y, "train", "noisy" if i % 2 else "clean"))
    return dataset_of(root, clips, sr=SR, info={"clip_seconds": seconds})


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
            " clip: a.dataset.clip, kind: a.dataset.kind, index: a.dataset.index,"
            " err: a.error && a.error.code};")
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


# -- the page as an instrument (issue 19) --------------------------------------------------


def instrument(dataset_of, sine, tmp_path, *, copies=True, seconds=0.3):
    """Six clips (3 clean, 3 noisy) with two augmented copies of clip-0, and two models'
    generated clips (one of them near-silent); returns ``(dataset, generated folder)``."""
    from pysynth.dataset import Dataset, write_dataset

    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", n=6, seconds=seconds)
    if copies:
        d = Dataset.open(ds)
        clips = d.clips()
        for k in range(2):
            name = f"clip-0-aug{k}"
            pysynth.audio.save(ds / "clips" / f"{name}.wav",
                               (0.8 - 0.2 * k) * d.load(clips[0]), SR)
            c = type(clips[0])(**{**clips[0].__dict__, "id": name, "path": f"clips/{name}.wav",
                                  "lineage": {"source_clip": "clip-0", "copy": k}})
            c.checksum = pysynth.dataset.audio_checksum(pysynth.audio.load(ds / c.path)[0])
            clips.append(c)
        write_dataset(ds, clips, dict(d.info))
    gen = tmp_path / "gen"
    gen.mkdir()
    shutil.copy(ds / "clips" / "clip-2.wav", gen / "wavenet-00.wav")
    pysynth.audio.save(gen / "wavenet-01.wav", sine(500, sr=SR, seconds=seconds, amp=0.3), SR)
    pysynth.audio.save(gen / "samplernn-00.wav", sine(800, sr=SR, seconds=seconds, amp=0.3), SR)
    quiet = 1e-4 * np.random.default_rng(0).normal(size=int(SR * seconds)).astype(np.float32)
    pysynth.audio.save(gen / "samplernn-01.wav", quiet, SR)
    return ds, gen


def legend_click(driver, key):
    driver.find_element("css selector", f'#legend [data-key="{key}"]').click()


def visible(driver, kind, i):
    return driver.execute_script("return window.pysynthMap.visible(arguments[0], arguments[1]);",
                                 kind, i)


def test_legend_entries_show_and_hide_what_they_name(driver, tmp_path, dataset_of, sine):
    ds, gen = instrument(dataset_of, sine, tmp_path)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio="none", overlay=gen, color_by="label")
    driver.get(page.as_uri())
    data = driver.execute_script("return window.pysynthMap.data;")
    copies = [i for i, cid in enumerate(res.ids) if "-aug" in cid]
    noisy = [i for i, lab in enumerate(res.labels) if lab == "noisy"]
    clean = [i for i, lab in enumerate(res.labels) if lab == "clean" and i not in copies]
    models = data["overlay"]["models"]
    assert models == ["samplernn", "wavenet"]
    of = {m: [i for i, k in enumerate(data["overlay"]["model"]) if models[k] == m] for m in models}

    # augmented copies start hidden, and the legend says so
    assert not any(visible(driver, "clip", i) for i in copies)
    assert "off" in driver.find_element("css selector", '#legend [data-key="copies"]') \
        .get_attribute("class")
    legend_click(driver, "copies")
    assert all(visible(driver, "clip", i) for i in copies)

    # a label: its clips go, and a click where one was plays nothing
    k = data["colorings"]["label"]["names"].index("noisy")
    legend_click(driver, f"cat:{k}")
    assert not any(visible(driver, "clip", i) for i in noisy)
    assert all(visible(driver, "clip", i) for i in clean)
    hidden_id = res.ids[noisy[0]]
    tip = click_point(driver, "clip", noisy[0])
    assert not tip.startswith(hidden_id)
    assert not driver.find_element("id", "now").text.startswith(hidden_id)
    legend_click(driver, f"cat:{k}")
    assert all(visible(driver, "clip", i) for i in noisy)

    # a split (colour by split): every clip is in train
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "colorby")).select_by_value("split")
    legend_click(driver, "cat:0")
    assert not any(visible(driver, "clip", i) for i in clean + noisy)
    Select(driver.find_element("id", "colorby")).select_by_value("label")  # filters reset
    assert all(visible(driver, "clip", i) for i in clean + noisy)

    # one model, then all generated clips
    legend_click(driver, f"model:{models.index('wavenet')}")
    assert not any(visible(driver, "overlay", i) for i in of["wavenet"])
    assert all(visible(driver, "overlay", i) for i in of["samplernn"])
    legend_click(driver, "generated")
    assert not any(visible(driver, "overlay", i) for i in range(4))

    # each model's swatch is its own marker; the help speaks of generated clips
    srcs = [driver.find_element("css selector", f'#legend [data-key="model:{j}"] img')
            .get_attribute("src") for j in range(2)]
    assert srcs[0] != srcs[1]
    assert "Generated clips have one marker per model" in driver.find_element("id", "help").text


def test_a_page_without_generated_clips_speaks_of_none(driver, tmp_path, dataset_of, sine):
    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", n=4, seconds=0.3)
    page = tmp_path / "map.html"
    pysynth.map(ds, html=page, reducer="pca", audio="none")
    driver.get(page.as_uri())
    side = driver.find_element("id", "side").text.lower()
    assert "generated" not in side
    assert "star" not in side
    assert "nearby clips sound similar" in side


def test_arrow_keys_step_to_the_nearest_clip_and_space_replays(driver, tmp_path, dataset_of,
                                                              sine):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ds, gen = instrument(dataset_of, sine, tmp_path)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio="inline", overlay=gen)
    driver.get(page.as_uri())
    m = len(res.overlay_paths)
    shown = [("clip", i) for i, cid in enumerate(res.ids) if "-aug" not in cid] + \
        [("overlay", i) for i in range(m)]
    at = {h: driver.execute_script("return window.pysynthMap.screenPosition(arguments[0], "
                                   "arguments[1]);", *h) for h in shown}

    def expected(frm, dx, dy):  # the nearest in that direction: along + 2 x across, 45 degrees
        best, score = frm, float("inf")
        for h in shown:
            ax, ay = at[h]["x"] - at[frm]["x"], at[h]["y"] - at[frm]["y"]
            along, across = ax * dx + ay * dy, abs(ax * dy - ay * dx)
            if h != frm and along > 0 and across <= along and along + 2 * across < score:
                best, score = h, along + 2 * across
        return best

    start = min(shown, key=lambda h: at[h]["x"])  # the leftmost point
    click_point(driver, *start)
    assert wait_playing(driver)["index"] == str(start[1])
    body = driver.find_element("tag name", "body")
    here = start
    for key, d in [(Keys.ARROW_RIGHT, (1, 0)), (Keys.ARROW_RIGHT, (1, 0)),
                   (Keys.ARROW_UP, (0, -1)), (Keys.ARROW_LEFT, (-1, 0))]:
        want = expected(here, *d)
        ActionChains(driver).send_keys_to_element(body, key).perform()
        got = driver.execute_script("return window.pysynthMap.playing();")
        assert (got["kind"], got["i"]) == want
        here = want
    state = wait_playing(driver)
    assert (state["kind"], state["index"]) == (here[0], str(here[1]))
    assert not state["paused"]

    # when it ends the page says so; space plays it again
    deadline = time.monotonic() + 10
    while driver.find_element("id", "state").text != "Played" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.find_element("id", "state").text == "Played"
    ActionChains(driver).send_keys_to_element(body, Keys.SPACE).perform()
    state = wait_playing(driver)
    assert (state["kind"], state["index"]) == (here[0], str(here[1]))
    assert not state["paused"]
    assert driver.find_element("id", "state").text == "Playing"

    # a near-silent clip warns before you hear nothing
    quiet = [p.name for p in res.overlay_paths].index("samplernn-01.wav")
    driver.execute_script("window.pysynthMap.play('overlay', arguments[0]);", quiet)
    warn = driver.find_element("id", "warn")
    assert warn.is_displayed()
    assert "near-silent" in warn.text


def test_a_box_selection_exports_the_clips_inside(driver, downloads, tmp_path, dataset_of, sine):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ds, gen = instrument(dataset_of, sine, tmp_path, copies=False)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio="none", overlay=gen)
    driver.get(page.as_uri())
    canvas = driver.find_element(By.ID, "map")
    rect = driver.execute_script("return arguments[0].getBoundingClientRect();", canvas)
    shown = [("clip", i) for i in range(len(res))] + \
        [("overlay", i) for i in range(len(res.overlay_paths))]
    at = {h: driver.execute_script("return window.pysynthMap.screenPosition(arguments[0], "
                                   "arguments[1]);", *h) for h in shown}
    xs = sorted(p["x"] for p in at.values())
    gap = max(range(2, len(xs) - 3), key=lambda i: xs[i + 1] - xs[i])
    cut = (xs[gap] + xs[gap + 1]) / 2  # a box around the leftmost points, cut at a gap
    left, top = xs[0] - 8, min(p["y"] for p in at.values()) - 8
    bottom = max(p["y"] for p in at.values()) + 8
    inside = {h for h in shown if at[h]["x"] < cut}
    assert 3 <= len(inside) < len(shown)

    cx, cy = rect["left"] + rect["width"] / 2, rect["top"] + rect["height"] / 2
    ActionChains(driver).move_to_element_with_offset(canvas, round(left - cx), round(top - cy)) \
        .key_down(Keys.SHIFT).click_and_hold().move_by_offset(10, 10) \
        .move_by_offset(round(cut - left - 10), round(bottom - top - 10)).release() \
        .key_up(Keys.SHIFT).perform()
    assert driver.find_element(By.ID, "nsel").text == str(len(inside))
    assert driver.find_element(By.ID, "now").text == "(nothing)"  # selecting plays nothing
    driver.find_element(By.ID, "export").click()
    out = downloads / "selection.json"
    deadline = time.monotonic() + 10
    while not out.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    sel = json.loads(out.read_text())
    out.unlink()
    assert sel["format"] == "pysynth-map-selection"
    want_clips = sorted(res.ids[i] for kind, i in inside if kind == "clip")
    want_gen = sorted(res.overlay_paths[i].name for kind, i in inside if kind == "overlay")
    assert sorted(c["id"] for c in sel["clips"]) == want_clips
    assert sorted(g["id"] for g in sel["generated"]) == want_gen
    # and it copies out: the exported file is what --selection reads
    (tmp_path / "selection.json").write_text(json.dumps(sel))
    copied = pysynth.mapping.copy_selection(tmp_path / "selection.json", tmp_path / "picked")
    assert sorted(p.name for p in copied) == sorted([f"{c}.wav" for c in want_clips] + want_gen)


def test_play_on_hover_plays_the_clip_under_the_pointer(driver, tmp_path, dataset_of, sine):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", n=4, seconds=0.3)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio="inline")
    driver.get(page.as_uri())
    canvas = driver.find_element(By.ID, "map")
    rect = driver.execute_script("return arguments[0].getBoundingClientRect();", canvas)

    def hover(i):
        pos = driver.execute_script("return window.pysynthMap.screenPosition('clip', "
                                    "arguments[0]);", i)
        ActionChains(driver).move_to_element_with_offset(
            canvas, round(pos["x"] - rect["left"] - rect["width"] / 2),
            round(pos["y"] - rect["top"] - rect["height"] / 2)).perform()

    hover(1)
    assert driver.find_element(By.ID, "now").text == "(nothing)"  # off by default
    driver.find_element(By.ID, "hoverplay").click()
    hover(2)
    state = wait_playing(driver)
    assert state["clip"] == res.ids[2]
    assert not state["paused"]


def test_generated_clips_on_one_spot_are_spread_so_none_hides_another(driver, tmp_path,
                                                                       dataset_of, sine):
    ds = clean_and_noisy(dataset_of, sine, tmp_path / "ds", n=4, seconds=0.3)
    gen = tmp_path / "gen"
    gen.mkdir()
    for name in ("wavenet-00.wav", "wavenet-01.wav", "samplernn-00.wav"):  # one clip, thrice
        shutil.copy(ds / "clips" / "clip-1.wav", gen / name)
    page = tmp_path / "map.html"
    res = pysynth.map(ds, html=page, reducer="pca", audio="none", overlay=gen)
    assert np.ptp(res.overlay_coords, axis=0).max() == 0  # the same place on the map
    driver.get(page.as_uri())
    at = [driver.execute_script("return window.pysynthMap.screenPosition('overlay', "
                                "arguments[0]);", i) for i in range(3)]
    gaps = [np.hypot(a["x"] - b["x"], a["y"] - b["y"]) for j, a in enumerate(at)
            for b in at[j + 1:]]
    assert min(gaps) >= 2 * 9  # a marker's radius is 9 px at this zoom
