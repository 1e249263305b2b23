// The counter-based uniforms and the sampling rule (common.h) as module functions, defined
// by both modules (pysynth._engine and pysynth._engine_cuda) so numpy reference samplers
// can be checked against exactly what the engines compute.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>

#include "boundary.h"
#include "common.h"

namespace pysynth {
namespace py = pybind11;

inline py::array_t<float> uniforms_array(py::object seed_obj, py::object streams_obj, long long t0,
                                         long long n) {
  const uint64_t seed = take_seed(seed_obj);
  if (t0 < 0 || n < 0) throw py::value_error("t0 and n must be >= 0");
  auto streams = take_indices(streams_obj, "streams", 1, 0);
  const py::ssize_t B = streams.shape(0);
  py::array_t<float> out({B, static_cast<py::ssize_t>(n)});
  float* dst = out.mutable_data();
  const int32_t* s = streams.data();
  for (py::ssize_t b = 0; b < B; ++b)
    for (long long i = 0; i < n; ++i)
      dst[b * n + i] =
          uniform01(seed, static_cast<uint32_t>(s[b]), static_cast<uint64_t>(t0 + i));
  return out;
}

inline py::array_t<int32_t> sample_logits_array(
    py::array_t<float, py::array::c_style | py::array::forcecast> logits, double temperature,
    py::array_t<float, py::array::c_style | py::array::forcecast> u, double min_p) {
  if (logits.ndim() != 2) throw py::value_error("logits must be (B, Q)");
  if (u.ndim() != 1 || u.shape(0) != logits.shape(0))
    throw py::value_error("u must be (B,) with B = logits.shape[0]");
  const SamplingRule rule = make_rule(temperature, min_p);
  const py::ssize_t B = logits.shape(0), Q = logits.shape(1);
  if (Q < 1) throw py::value_error("logits must have at least one level");
  py::array_t<int32_t> out(B);
  for (py::ssize_t b = 0; b < B; ++b)
    out.mutable_data()[b] = sample_logits(logits.data() + b * Q, static_cast<int>(Q), rule,
                                          u.data()[b]);
  return out;
}

inline void bind_sampling_rule(py::module_& m) {
  m.def("uniforms", &uniforms_array, py::arg("seed"), py::arg("streams"), py::arg("t0"),
        py::arg("n"),
        "The uniforms generate() uses: float32 (B, n), u[b, i] keyed (seed, streams[b], t0 + i).");
  m.def("sample_logits", &sample_logits_array, py::arg("logits"), py::arg("temperature"),
        py::arg("u"),
        py::arg("min_p") = 0.0,
        "pysynth::sample_logits on each row: inverse-CDF sampling of softmax(logits / T), "
        "truncated to the levels at least min_p times as likely as the most likely, with u.");
}

}  // namespace pysynth
