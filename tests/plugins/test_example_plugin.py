"""The example third-party plugin, registered through real entry-point metadata.

The test builds a temporary environment where the plugin is "installed": a
``.dist-info`` folder whose entry_points.txt is generated from the example's own
pyproject.toml, plus its source on the path. pysynth then finds it exactly as it would
after ``pip install examples/pysynth-example-plugin``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pysynth-example-plugin"


def fake_install(site: Path, name: str, version: str, entry_points: dict) -> None:
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


def run_with_site(site: Path, code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(EXAMPLE / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture
def plugin_site(tmp_path):
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    fake_install(tmp_path, project["name"], project["version"], project["entry-points"])
    return tmp_path


def test_example_plugin_components_work_through_the_registries(plugin_site):
    code = """
import json
import numpy as np
from pysynth.registry import augmenters, visualizers
crush = augmenters.get("bitcrush")(bits=3)
t = np.arange(8000) / 8000
y = (0.9 * np.sin(2 * np.pi * 5 * t)).astype(np.float32)
z, records = crush(y, 8000, rng=np.random.default_rng(0))
rp = visualizers.get("random_projection")(seed=1)
X = np.random.default_rng(0).standard_normal((20, 6))
emb = rp.fit_transform(X)
new = rp.transform(X[:3])
print(json.dumps({
    "levels": len(np.unique(z)), "records": records,
    "aug_origin": augmenters.entry("bitcrush").origin,
    "vis_origin": visualizers.entry("random_projection").origin,
    "emb_shape": list(emb.shape), "same": bool(np.allclose(new, emb[:3])),
}))
"""
    r = run_with_site(plugin_site, code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["levels"] <= 2**3 + 1  # 3 bits: at most 9 distinct values in [-1, 1]
    assert out["levels"] >= 5  # and a sine at 0.9 amplitude uses most of them
    assert out["records"] == [{"name": "bitcrush", "params": {"bits": 3}}]
    assert out["aug_origin"] == "pysynth-example-plugin"
    assert out["vis_origin"] == "pysynth-example-plugin"
    assert out["emb_shape"] == [20, 2]
    assert out["same"]


def test_pysynth_plugins_lists_example_and_reports_broken_plugin(plugin_site):
    fake_install(
        plugin_site, "broken-plugin", "1.0",
        {"pysynth.augmenters": {"explode": "no_such_module_anywhere:Thing"}},
    )
    r = run_with_site(
        plugin_site, "import sys; from pysynth.cli import main; sys.exit(main(['plugins']))"
    )
    assert r.returncode == 0, r.stderr
    assert "bitcrush" in r.stdout
    assert "random_projection" in r.stdout
    assert "pysynth-example-plugin" in r.stdout
    assert "failed to load" in r.stdout
    assert "explode from broken-plugin" in r.stdout
    assert "no_such_module_anywhere" in r.stdout
    # the built-ins still load
    assert "gain" in r.stdout
    assert "wavenet" in r.stdout
