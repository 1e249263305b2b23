"""The dataset folder a curation writes: refusing foreign folders, dataset.json, the manifest
and rejects, and clean-up of clip files an earlier run left behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..dataset import CLIPS_DIR, INFO, MANIFEST, REJECTS, Clip, write_dataset
from ..errors import DatasetError
from .recipe import step_name


def check_out(out: Path) -> None:
    """Refuse to write into anything but a missing or empty folder or a pysynth dataset."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is a file, not a dataset folder")
    if out.is_dir():
        entries = [p.name for p in out.iterdir()]
        ours = {INFO, MANIFEST, REJECTS, CLIPS_DIR}
        if entries and not (out / INFO).is_file() and not set(entries) <= ours:
            raise DatasetError(f"{out}: exists and is not a pysynth dataset; refusing to write "
                               "into it (choose an empty or new folder)")


def steps_info(pipeline: list) -> list[dict[str, Any]]:
    """The steps as dataset.json records them: each curator's name and parameters."""
    return [{"curator": step_name(c), **_params(c)} for c in pipeline]


def _params(c: Any) -> dict:
    try:
        p = c.params()
    except Exception:  # a plugin curator without params(): record its name only
        return {}
    return json.loads(json.dumps(p, default=str))


def write_output(out: Path, clips: list[Clip], info: dict, rejects: list[dict]) -> None:
    """Write the manifest, rejects and dataset.json, then delete the clip files of earlier
    runs (and temporaries of interrupted ones) that the new manifest does not list: the
    manifest goes first, so the dataset is never missing a clip."""
    write_dataset(out, clips, info, rejects=rejects)
    keep = {Path(c.path).name for c in clips}
    for p in (out / CLIPS_DIR).iterdir():
        if p.is_file() and p.name not in keep and (p.suffix == ".wav" or p.name.startswith(".")):
            p.unlink(missing_ok=True)
