// pybind11 entry point for pysynth._engine: the compiled CPU sampling engine.
#include <pybind11/pybind11.h>
#include <thread>

namespace py = pybind11;

#ifndef PYSYNTH_VERSION
#define PYSYNTH_VERSION "dev"
#endif

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
}
