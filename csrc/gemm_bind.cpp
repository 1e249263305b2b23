// pysynth._engine.gemm and friends: the engine's matrix product as it runs inside the
// engines (packed panels, the build's or a named microkernel, float32 or bf16 weights), so
// tests can check every compiled kernel against numpy and against each other.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "gemm.h"

namespace py = pybind11;

namespace pysynth {

namespace {

FloatKernel parse_kernel(const std::string& name) {
  for (FloatKernel k : {FloatKernel::portable, FloatKernel::avx2, FloatKernel::avx512})
    if (name == kernel_name(k)) {
      if (!kernel_available(k))
        throw py::value_error("kernel '" + name + "' is not compiled in this engine");
      return k;
    }
  throw py::value_error("kernel must be 'portable', 'avx2' or 'avx512', got '" + name + "'");
}

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// C = bias + A @ W for A (M, K), W (K, N), bias (N,) or None.
py::array_t<float> gemm(const FloatArray& a, const FloatArray& w, const py::object& bias,
                        const std::string& kernel, const std::string& weights) {
  if (a.ndim() != 2 || w.ndim() != 2 || a.shape(1) != w.shape(0))
    throw py::value_error("gemm needs a (M, K) and w (K, N)");
  const int M = static_cast<int>(a.shape(0)), K = static_cast<int>(a.shape(1)),
            N = static_cast<int>(w.shape(1));
  FloatArray b;
  if (!bias.is_none()) {
    b = bias.cast<FloatArray>();
    if (b.ndim() != 1 || b.shape(0) != N) throw py::value_error("bias must have shape (N,)");
  }
  const FloatKernel fk = kernel.empty() ? kFloatKernel : parse_kernel(kernel);
  PackedMatrix W;
  W.pack(w.data(), N, K, N, bias.is_none() ? nullptr : b.data(), parse_weight_format(weights));
  const int ldc = W.padded_n();
  std::vector<float> c(static_cast<size_t>(M) * ldc);
  gemm_packed_panels_with(fk, a.data(), K, W, c.data(), ldc, M, false, 0, W.num_panels());
  py::array_t<float> out({M, N});
  for (int i = 0; i < M; ++i)
    std::copy_n(&c[static_cast<size_t>(i) * ldc], N, out.mutable_data(i, 0));
  return out;
}

}  // namespace

void bind_gemm(py::module_& m) {
  m.attr("gemm_kernel") = kernel_name(kFloatKernel);
  m.def("gemm_kernels", []() {
    std::vector<std::string> names;
    for (FloatKernel k : {FloatKernel::portable, FloatKernel::avx2, FloatKernel::avx512})
      if (kernel_available(k)) names.push_back(kernel_name(k));
    return names;
  }, "The float32 microkernels compiled in this engine (gemm_kernel is the one engines use).");
  m.def("bf16_available", &bf16_available,
        "Whether engines accept weights='bf16' (AVX512_BF16 compiled in and on this CPU).");
  m.def("gemm", &gemm, py::arg("a"), py::arg("w"), py::arg("bias") = py::none(), py::kw_only(),
        py::arg("kernel") = "", py::arg("weights") = "float32",
        "bias + a @ w through the engines' packed product (kernel: '' = the build's, or one "
        "of gemm_kernels(); weights: 'float32' or 'bf16').");
}

}  // namespace pysynth
