"""The engines' matrix product (csrc/gemm.h) through _engine.gemm: every compiled float32
microkernel (portable, AVX2, AVX-512) against numpy and bit for bit against each other, so
the AVX2 path stays tested on an AVX-512 machine; rows independent of the batch size."""

from __future__ import annotations

import numpy as np
import pytest

from pysynth import _engine

# (M, K, N): one stream, ragged row blocks, whole blocks, odd K, N off the 16-column panels
SHAPES = [(1, 1, 1), (1, 64, 48), (2, 33, 17), (3, 100, 64), (5, 7, 130), (6, 16, 16),
          (13, 129, 70), (32, 512, 96)]


def operands(m, k, n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    return a, w, b


def test_the_build_kernel_is_listed():
    kernels = _engine.gemm_kernels()
    assert _engine.gemm_kernel in kernels
    assert "portable" in kernels


@pytest.mark.parametrize("shape", SHAPES)
def test_every_kernel_matches_numpy_and_the_others_bit_for_bit(shape):
    a, w, b = operands(*shape)
    exact = a.astype(np.float64) @ w + b
    results = {k: _engine.gemm(a, w, b, kernel=k) for k in _engine.gemm_kernels()}
    for name, c in results.items():
        assert c.shape == exact.shape
        np.testing.assert_allclose(c, exact, rtol=1e-5, atol=1e-5, err_msg=name)
    # each lane runs the same FMA sequence whatever the vector width: identical results
    want = results["portable"]
    for name, c in results.items():
        np.testing.assert_array_equal(c, want, err_msg=name)
    np.testing.assert_array_equal(_engine.gemm(a, w, b), want)


@pytest.mark.parametrize("weights", ["float32", "bf16"])
def test_a_row_does_not_depend_on_the_batch(weights):
    if weights == "bf16" and not _engine.bf16_available():
        pytest.skip("no AVX512_BF16 on this CPU or build")
    a, w, b = operands(19, 200, 80, seed=1)
    whole = _engine.gemm(a, w, b, weights=weights)
    for m in (1, 2, 5, 6, 7, 12, 13):
        for i0 in (0, 19 - m):
            np.testing.assert_array_equal(
                _engine.gemm(a[i0:i0 + m], w, b, weights=weights), whole[i0:i0 + m])


def test_bf16_product_within_bfloat16_rounding():
    if not _engine.bf16_available():
        pytest.skip("no AVX512_BF16 on this CPU or build")
    for shape in SHAPES:
        a, w, b = operands(*shape, seed=2)
        c = _engine.gemm(a, w, b, weights="bf16")
        exact = a.astype(np.float64) @ w + b
        # each operand rounded to 8 significant bits: |error| <= 2 * 2^-8 sum_k |a_k w_k|
        bound = 2.0**-7 * (np.abs(a).astype(np.float64) @ np.abs(w)) + 1e-6
        assert np.all(np.abs(c - exact) <= bound), shape
        # and really rounded (not the float32 product under another name)
        if shape[1] > 1:
            assert not np.array_equal(c, _engine.gemm(a, w, b))


@pytest.mark.parametrize(("kw", "match"), [({"kernel": "avx1024"}, "kernel"),
                                           ({"weights": "int8"}, "weights")])
def test_unknown_kernel_or_weights_named(kw, match):
    a, w, b = operands(2, 4, 4)
    with pytest.raises(ValueError, match=match):
        _engine.gemm(a, w, b, **kw)
