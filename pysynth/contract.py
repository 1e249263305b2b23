"""The contract every architecture plugin keeps, as a test class any plugin's tests subclass.

Subclass :class:`ArchitectureContract` in a pytest module (the class name must start with
``Test``), set :attr:`~ArchitectureContract.arch` and a few tiny
:attr:`~ArchitectureContract.configs`, and pytest runs every check on each config::

    from pysynth.contract import ArchitectureContract
    from my_plugin import MyArch

    class TestMyArchContract(ArchitectureContract):
        arch = MyArch()
        configs = {"tiny": {"width": 8}, "tiny-cond": {"width": 8, "classes": 3}}
        train_overrides = {"width": 8}

The checks: the reference's step-by-step logits equal its vectorised ``logits``; random
programs have exactly the declared tensor shapes; the Keras model's teacher-forced logits
equal the reference's on its exported weights, and the export has the declared shapes; the
compiled engine, for the families it knows, equals the reference; importing the plugin
needs no TensorFlow; a resumed training run equals an uninterrupted one. Checks that need
TensorFlow (or the engine) skip without it. Neither pytest nor TensorFlow is imported here
at module level, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, ClassVar

import numpy as np

from .arch import Architecture, ReferenceModel, get_architecture
from .mixture import output_width


def _skip_without_tensorflow() -> None:
    import pytest

    pytest.importorskip("tensorflow")


def write_tones_dataset(root, *, sr: int = 8000, seconds: float = 0.5):
    """A dataset folder of four sine clips (200 Hz "low", 500 Hz "high"; one of each in the
    train and validation splits): what the resume check trains on. Returns ``root``."""
    from .dataset import write_clips

    t = np.arange(round(sr * seconds)) / sr
    clips = []
    for i, (split, label) in enumerate(
        [("train", "low"), ("train", "high"), ("validation", "low"), ("validation", "high")]
    ):
        freq = 200.0 if label == "low" else 500.0
        y = (0.6 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        clips.append((f"c{i}", y, split, label))
    return write_clips(root, clips, sr=sr)


class ArchitectureContract:
    """The checks every architecture passes; see the module docstring for how to run them."""

    #: the architecture under test (an instance or the class)
    arch: ClassVar[Architecture | type[Architecture]]
    #: name -> config overrides; keep them tiny, every check runs on each
    configs: ClassVar[dict[str, dict[str, Any]]] = {}
    #: model and training keys of the two tiny runs of the resume check
    train_overrides: ClassVar[dict[str, Any]] = {}
    #: sequences the logits checks run on: ``batch`` of ``length`` samples
    batch: ClassVar[int] = 2
    length: ClassVar[int] = 37
    #: relative tolerance of every logits comparison (float32 against float64)
    rtol: ClassVar[float] = 1e-4

    # -- pytest hook: one test per config for every check that takes ``config`` ------------
    def pytest_generate_tests(self, metafunc) -> None:
        if "config" in metafunc.fixturenames:
            names = sorted(self.configs)
            metafunc.parametrize("config", [self.configs[n] for n in names], ids=names)

    # -- helpers ----------------------------------------------------------------------------
    def architecture(self) -> Architecture:
        return get_architecture(self.arch)

    def sequences(self, config, levels: int, seed: int = 0):
        """Random ``q (batch, length)`` and, for a conditioned config, class ids ``cond``."""
        rng = np.random.default_rng(seed)
        q = rng.integers(0, levels, size=(self.batch, self.length))
        classes = self.architecture().conditioning_classes(config)
        cond = rng.integers(0, classes, size=self.batch) if classes > 0 else None
        return q, cond

    def randomize_weights(self, model, seed: int) -> None:
        """Give every trainable weight random values of order ``1/sqrt(fan_in)`` (biases and
        initial states too), so that the logits checks see every tensor."""
        rng = np.random.default_rng(seed)
        for v in model.trainable_weights:
            shape = tuple(v.shape)
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 4
            v.assign((rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))).astype(np.float32))

    def assert_logits_close(self, got: np.ndarray, want: np.ndarray) -> None:
        assert got.shape == want.shape, (got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=self.rtol,
                                   atol=self.rtol * float(np.abs(want).max()))

    # -- the reference and the declared tensors (numpy only) ---------------------------------
    def test_reference_step_equals_logits(self, config):
        arch = self.architecture()
        cfg = arch.make_config(config)
        program, tensors = arch.random_program(cfg, seed=1)
        ref = arch.reference(program, tensors)
        q, cond = self.sequences(cfg, ref.levels)
        fast = ref.logits(q, cond)
        assert fast.shape == (self.batch, self.length, ref.width)
        assert np.std(fast) > 0.05  # random weights give informative logits
        self.assert_logits_close(fast, ReferenceModel.logits(ref, q, cond))

    def test_random_program_has_declared_tensor_shapes(self, config):
        arch = self.architecture()
        cfg = arch.make_config(config)
        program, tensors = arch.random_program(cfg, seed=5)
        assert program == arch.program(cfg)
        assert json.loads(json.dumps(program)) == program  # plain JSON
        assert program["family"] == arch.family
        assert {k: v.shape for k, v in tensors.items()} == arch.tensor_shapes(program)
        assert all(v.dtype == np.float32 for v in tensors.values())
        _, again = arch.random_program(cfg, seed=5)
        _, other = arch.random_program(cfg, seed=6)
        assert all(np.array_equal(tensors[k], again[k]) for k in tensors)
        assert any(not np.array_equal(tensors[k], other[k]) for k in tensors)

    # -- the Keras model ---------------------------------------------------------------------
    def test_keras_logits_equal_reference(self, config):
        _skip_without_tensorflow()
        import keras

        arch = self.architecture()
        cfg = arch.make_config(config)
        keras.utils.set_random_seed(0)
        model = arch.build(cfg)
        self.randomize_weights(model, seed=1)
        program, tensors = arch.export(model, cfg)
        want = arch.reference(program, tensors).logits(*self.sequences(cfg, program["levels"]))
        got = arch.teacher_forced_logits(model, cfg, *self.sequences(cfg, program["levels"]))
        assert np.std(want) > 0.05  # random weights give informative logits
        self.assert_logits_close(got, want)

    def test_exported_tensors_have_declared_shapes(self, config):
        _skip_without_tensorflow()
        arch = self.architecture()
        cfg = arch.make_config(config)
        program, tensors = arch.export(arch.build(cfg), cfg)
        assert program == arch.program(cfg)
        assert {k: tuple(v.shape) for k, v in tensors.items()} == arch.tensor_shapes(program)
        assert all(v.dtype == np.float32 for v in tensors.values())

    # -- the compiled engine -----------------------------------------------------------------
    def test_engine_logits_equal_reference(self, config):
        import pytest

        from .modelfile import ModelFile
        from .sampling import make_engine

        arch = self.architecture()
        cfg = arch.make_config(config)
        program, tensors = arch.random_program(cfg, seed=2)
        engine = make_engine(ModelFile(program, tensors), device="cpu", threads=1)
        if engine is None:
            pytest.skip(f"the compiled engine does not run the {program['family']!r} family")
        q, cond = self.sequences(cfg, program["levels"], seed=3)
        want = arch.reference(program, tensors).logits(q, cond)
        self.assert_logits_close(engine.logits(q.astype(np.int32), cond), want)

    # -- packaging ---------------------------------------------------------------------------
    def test_import_needs_no_tensorflow(self):
        """Import the plugin, make a config and run its reference with TensorFlow and Keras
        made unimportable: reading model files and sampling need only the core install."""
        arch = self.architecture()
        overrides = next(iter(self.configs.values()), {})
        program, _ = arch.random_program(arch.make_config(overrides), seed=0)
        code = (
            "import json, sys\n"
            "sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
            f"import {type(arch).__module__.split('.')[0]}\n"
            "from pysynth.arch import get_architecture\n"
            f"arch = get_architecture({arch.name!r})\n"
            f"cfg = arch.make_config(json.loads({json.dumps(overrides)!r}))\n"
            "ref = arch.reference(*arch.random_program(cfg, seed=0))\n"
            "cond = [0] if arch.conditioning_classes(cfg) > 0 else None\n"
            "print(json.dumps(ref.logits([[1, 2, 3]], cond).shape))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout) == [1, 3, output_width(program)]

    # -- training ----------------------------------------------------------------------------
    def test_resume_equals_uninterrupted(self, tmp_path):
        _skip_without_tensorflow()
        from .modelfile import load_model
        from .training import export, train

        arch = self.architecture()
        data = write_tones_dataset(tmp_path / "dataset")
        opts = {"steps_per_epoch": 3, "validation_steps": 1, "sample_every": 0,
                "tensorboard": False, **self.train_overrides}
        whole, parts = tmp_path / "whole", tmp_path / "parts"
        train(data, arch=arch, run=whole, overrides=opts, epochs=2, seed=3, verbose=0)
        train(data, arch=arch, run=parts, overrides=opts, epochs=1, seed=3, verbose=0)
        result = train(data, arch=arch, run=parts, overrides=opts, epochs=2, resume=True,
                       seed=3, verbose=0)
        assert result["epochs"] == 2
        a = load_model(export(whole, tmp_path / "a.pysynth", checkpoint=2))
        b = load_model(export(parts, tmp_path / "b.pysynth", checkpoint=2))
        assert a.program == b.program
        assert sorted(a.tensors) == sorted(b.tensors)
        for name in a.tensors:
            np.testing.assert_allclose(b.tensors[name], a.tensors[name], rtol=1e-6, atol=1e-7,
                                       err_msg=name)
