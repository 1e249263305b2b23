"""The output folder of an augmentation: checks before writing, the original clips linked or
copied in, ids that stay unique, and clean-up of stale clip files after an overwrite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from ..dataset import CLIPS_DIR, INFO, Clip
from ..errors import DatasetError, ParameterError


def check_out(root: Path, out: Path, *, overwrite: bool) -> None:
    """Refuse an ``out`` inside the input, a file, a foreign folder, or a dataset without
    ``overwrite``."""
    r, o = root.resolve(), out.resolve()
    if o == r or r in o.parents:
        raise ParameterError(
            f"out {str(out)!r} is inside the input dataset {str(root)!r}; augment writes a new "
            "dataset and never modifies its input: choose another folder"
        )
    if o.exists() and not o.is_dir():
        raise ParameterError(f"out {str(out)!r} is a file, not a folder")
    if o.is_dir() and any(o.iterdir()):
        if not (o / INFO).is_file():
            raise ParameterError(
                f"out {str(out)!r} is a non-empty folder that is not a pysynth dataset; "
                "refusing to write into it"
            )
        if not overwrite:
            raise ParameterError(
                f"out {str(out)!r} already holds a dataset; pass overwrite=True "
                "(--overwrite) to replace it"
            )


def check_clip_path(clip: Clip) -> None:
    """Refuse a manifest path that would leave the dataset folder."""
    p = PurePosixPath(clip.path)
    if p.is_absolute() or ".." in p.parts:
        raise DatasetError(f"clip {clip.id!r}: path {clip.path!r} leaves the dataset folder")


def link_or_copy(src: Path, dst: Path, *, link: bool) -> None:
    """Put ``src`` at ``dst`` (hard link, or a copy), atomically.

    Not :func:`pysynth.files.atomic_write_with`: a link needs a temporary name that does not
    exist yet, and that function's chmod of its temporary file would change the input's
    linked inode.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    if link and dst.exists() and os.path.samefile(src, dst):
        return  # already linked (an overwrite); rename() onto the same inode is a no-op
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(src, tmp)
            except OSError:  # another file system, or links not allowed: copy instead
                shutil.copy2(src, tmp)
        else:
            shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not ``taken``."""
    cid, k = base, 2
    while cid in taken:
        cid, k = f"{base}_{k}", k + 1
    return cid


def remove_stale(out: Path, manifest: list[Clip]) -> None:
    """Delete clip files in ``out/clips`` that the new manifest does not name (overwrite)."""
    keep = {(out / c.path).resolve() for c in manifest}
    clips_dir = out / CLIPS_DIR
    if not clips_dir.is_dir():
        return
    for f in clips_dir.rglob("*.wav"):
        if f.resolve() not in keep:
            f.unlink()
