"""The model file: round trip, and clear errors for damaged or foreign files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from pysynth.errors import ModelFileError
from pysynth.modelfile import FORMAT_VERSION, load_model, save_model

PROGRAM = {"family": "toy", "levels": 4, "sample_rate": 8000}


def tensors():
    rng = np.random.default_rng(0)
    return {"a.weight": rng.standard_normal((3, 4)).astype(np.float32), "b": np.arange(5.0)}


def test_roundtrip(tmp_path):
    path = save_model(tmp_path / "m.pysynth", PROGRAM, tensors(), {"epoch": 3})
    m = load_model(path)
    assert m.program == PROGRAM
    assert m.family == "toy"
    assert m.metadata == {"epoch": 3}
    np.testing.assert_array_equal(m.tensors["a.weight"], tensors()["a.weight"])
    assert m.tensors["b"].dtype == np.float32  # float64 stored as float32


def test_missing_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.pysynth")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


@pytest.mark.parametrize("keep", [0, 5, 100, -20])
def test_truncated_file(tmp_path, keep):
    path = save_model(tmp_path / "m.pysynth", PROGRAM, tensors())
    raw = path.read_bytes()
    path.write_bytes(raw[:keep])
    with pytest.raises(ModelFileError):
        load_model(path)


def test_tampered_weights_fail_checksum(tmp_path):
    path = save_model(tmp_path / "m.pysynth", PROGRAM, tensors())
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(path)


def _rewrite_header(path, change):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    change(header["__metadata__"])
    new = json.dumps(header).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


def test_other_format_version(tmp_path):
    path = save_model(tmp_path / "m.pysynth", PROGRAM, tensors())
    _rewrite_header(path, lambda meta: meta.update(version=str(FORMAT_VERSION + 1)))
    with pytest.raises(ModelFileError, match="version 2 is not supported"):
        load_model(path)


def test_not_a_pysynth_file(tmp_path):
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(3, np.float32)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ModelFileError, match="not a pysynth model file"):
        load_model(tmp_path / "other.safetensors")
    (tmp_path / "text.pysynth").write_text("hello, I am a text file")
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "text.pysynth")


def test_nan_weights_are_refused(tmp_path):
    t = tensors()
    t["a.weight"][0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        save_model(tmp_path / "m.pysynth", PROGRAM, t)
    assert not (tmp_path / "m.pysynth").exists()
