// pybind11 entry point for pysynth._engine: the compiled CPU sampling engine.
//
// Each family binds itself (bind_wavenet in wavenet_bind.cpp, bind_samplernn in its own
// file); this file adds what every family shares: the counter-based uniforms and the
// sampling rule (rule_binding.h), each family's tensor table (boundary.h) and the matrix
// product for tests (gemm_bind.cpp).
#include <pybind11/pybind11.h>

#include <thread>

#include "boundary.h"
#include "rule_binding.h"

namespace py = pybind11;

#ifndef PYSYNTH_VERSION
#define PYSYNTH_VERSION "dev"
#endif

namespace pysynth {
void bind_wavenet(py::module_& m);    // wavenet_bind.cpp
void bind_samplernn(py::module_& m);  // samplernn_bind.cpp
void bind_gemm(py::module_& m);       // gemm_bind.cpp
}  // namespace pysynth

namespace {
// A trivial check that the module was built and loads: sums 0..n-1 in C++.
long long self_test(long long n) {
  long long s = 0;
  for (long long i = 0; i < n; ++i) s += i;
  return s;
}
}  // namespace

PYBIND11_MODULE(_engine, m) {
  m.doc() = "pysynth compiled sampling engine (CPU)";
  m.attr("__version__") = PYSYNTH_VERSION;
  m.def("self_test", &self_test, py::arg("n") = 10,
        "Sum of 0..n-1 computed in C++; proves the extension is built and importable.");
  m.def("hardware_threads", []() { return std::thread::hardware_concurrency(); });
  pysynth::bind_sampling_rule(m);
  m.def("tensor_table", &pysynth::tensor_table_dict, py::arg("family"), py::arg("program_json"),
        "The tensors a program of the family needs, {name: shape}, in the engine's order "
        "(validates the program like the engine constructors).");
  pysynth::bind_wavenet(m);
  pysynth::bind_samplernn(m);
  pysynth::bind_gemm(m);
}
