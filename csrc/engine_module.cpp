// pybind11 entry point for pysynth._engine: the compiled CPU sampling engine.
//
// Each family binds itself (bind_wavenet in wavenet_bind.cpp, bind_samplernn in its own
// file); this file holds the pieces every family shares: the counter-based uniforms and the
// sampling rule, exposed so numpy reference samplers can be checked against them.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <thread>

#include "common.h"
#include "tensors.h"

namespace py = pybind11;

#ifndef PYSYNTH_VERSION
#define PYSYNTH_VERSION "dev"
#endif

namespace pysynth {
void bind_wavenet(py::module_& m);
}  // namespace pysynth
void bind_samplernn(py::module_& m);  // csrc/samplernn_bind.cpp

namespace {
// A trivial check that the module was built and loads: sums 0..n-1 in C++.
long long self_test(long long n) {
  long long s = 0;
  for (long long i = 0; i < n; ++i) s += i;
  return s;
}

py::array_t<float> uniforms(py::object seed_obj, py::object streams_obj, long long t0, long long n) {
  const uint64_t seed = pysynth::take_seed(seed_obj);
  if (t0 < 0 || n < 0) throw py::value_error("t0 and n must be >= 0");
  auto streams = pysynth::take_indices(streams_obj, "streams", 1, 0);
  const py::ssize_t B = streams.shape(0);
  py::array_t<float> out({B, static_cast<py::ssize_t>(n)});
  float* dst = out.mutable_data();
  const int32_t* s = streams.data();
  for (py::ssize_t b = 0; b < B; ++b)
    for (long long i = 0; i < n; ++i)
      dst[b * n + i] = pysynth::uniform01(seed, static_cast<uint32_t>(s[b]),
                                          static_cast<uint64_t>(t0 + i));
  return out;
}

py::array_t<int32_t> sample_logits(py::array_t<float, py::array::c_style | py::array::forcecast> logits,
                                   double temperature,
                                   py::array_t<float, py::array::c_style | py::array::forcecast> u) {
  if (logits.ndim() != 2) throw py::value_error("logits must be (B, Q)");
  if (u.ndim() != 1 || u.shape(0) != logits.shape(0))
    throw py::value_error("u must be (B,) with B = logits.shape[0]");
  if (!std::isfinite(temperature) || temperature < 0)
    throw py::value_error("temperature must be a finite number >= 0");
  const py::ssize_t B = logits.shape(0), Q = logits.shape(1);
  if (Q < 1) throw py::value_error("logits must have at least one level");
  py::array_t<int32_t> out(B);
  for (py::ssize_t b = 0; b < B; ++b)
    out.mutable_data()[b] = pysynth::sample_logits(logits.data() + b * Q, static_cast<int>(Q),
                                                   static_cast<float>(temperature), u.data()[b]);
  return out;
}
}  // namespace

PYBIND11_MODULE(_engine, m) {
  m.doc() = "pysynth compiled sampling engine (CPU)";
  m.attr("__version__") = PYSYNTH_VERSION;
  m.def("self_test", &self_test, py::arg("n") = 10,
        "Sum of 0..n-1 computed in C++; proves the extension is built and importable.");
  m.def("hardware_threads", []() { return std::thread::hardware_concurrency(); });
  m.def("uniforms", &uniforms, py::arg("seed"), py::arg("streams"), py::arg("t0"), py::arg("n"),
        "The uniforms generate() uses: float32 (B, n), u[b, i] keyed (seed, streams[b], t0 + i).");
  m.def("sample_logits", &sample_logits, py::arg("logits"), py::arg("temperature"), py::arg("u"),
        "pysynth::sample_logits on each row: inverse-CDF sampling of softmax(logits / T) with u.");
  pysynth::bind_wavenet(m);
  bind_samplernn(m);
}
