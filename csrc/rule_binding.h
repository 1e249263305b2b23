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
                                         long long n, bool pairs) {
  const uint64_t seed = take_seed(seed_obj);
  if (t0 < 0 || n < 0) throw py::value_error("t0 and n must be >= 0");
  auto streams = take_indices(streams_obj, "streams", 1, 0);
  const py::ssize_t B = streams.shape(0);
  const int w = pairs ? 2 : 1;
  py::array_t<float> out = pairs ? py::array_t<float>({B, static_cast<py::ssize_t>(n), py::ssize_t{2}})
                                 : py::array_t<float>({B, static_cast<py::ssize_t>(n)});
  float* dst = out.mutable_data();
  const int32_t* s = streams.data();
  for (py::ssize_t b = 0; b < B; ++b)
    for (long long i = 0; i < n; ++i) {
      const uint32_t sb = static_cast<uint32_t>(s[b]);
      const uint64_t t = static_cast<uint64_t>(t0 + i);
      dst[(b * n + i) * w] = uniform01(seed, sb, t);
      if (pairs) dst[(b * n + i) * w + 1] = uniform_open01(seed, sb, t);
    }
  return out;
}

inline py::array_t<int32_t> sample_mixture_array(
    py::array_t<float, py::array::c_style | py::array::forcecast> params, double temperature,
    py::array_t<float, py::array::c_style | py::array::forcecast> u, double min_p, int levels) {
  if (params.ndim() != 2 || params.shape(1) < 3 || params.shape(1) % 3 != 0)
    throw py::value_error("params must be (B, 3K) with K >= 1");
  if (u.ndim() != 2 || u.shape(0) != params.shape(0) || u.shape(1) != 2)
    throw py::value_error("u must be (B, 2) with B = params.shape[0]");
  if (levels < 2) throw py::value_error("levels must be >= 2");
  const SamplingRule rule = make_rule(temperature, min_p);
  const py::ssize_t B = params.shape(0), W = params.shape(1);
  py::array_t<int32_t> out(B);
  for (py::ssize_t b = 0; b < B; ++b)
    out.mutable_data()[b] = sample_mixture(params.data() + b * W, static_cast<int>(W / 3), levels,
                                           rule, u.data()[2 * b], u.data()[2 * b + 1]);
  return out;
}

inline py::array_t<float> mixture_nll_array(
    py::array_t<float, py::array::c_style | py::array::forcecast> params,
    py::array_t<int32_t, py::array::c_style | py::array::forcecast> q, int levels) {
  if (params.ndim() != 2 || params.shape(1) < 3 || params.shape(1) % 3 != 0)
    throw py::value_error("params must be (B, 3K) with K >= 1");
  if (q.ndim() != 1 || q.shape(0) != params.shape(0))
    throw py::value_error("q must be (B,) with B = params.shape[0]");
  if (levels < 2) throw py::value_error("levels must be >= 2");
  const py::ssize_t B = params.shape(0), W = params.shape(1);
  py::array_t<float> out(B);
  for (py::ssize_t b = 0; b < B; ++b) {
    const int qb = q.data()[b];
    if (qb < 0 || qb >= levels) throw py::value_error("q must be in [0, levels)");
    out.mutable_data()[b] = mixture_nll_bits(params.data() + b * W, static_cast<int>(W / 3), levels, qb);
  }
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
        py::arg("n"), py::arg("pairs") = false,
        "The uniforms generate() uses: float32 (B, n), u[b, i] keyed (seed, streams[b], t0 + i); "
        "with pairs, (B, n, 2): a mixture output's component and value uniforms of each sample.");
  m.def("sample_mixture", &sample_mixture_array, py::arg("params"), py::arg("temperature"),
        py::arg("u"), py::arg("min_p") = 0.0, py::arg("levels") = 65536,
        "pysynth::sample_mixture on each row of (B, 3K) mixture parameters with u (B, 2).");
  m.def("mixture_nll", &mixture_nll_array, py::arg("params"), py::arg("q"),
        py::arg("levels") = 65536,
        "pysynth::mixture_nll_bits on each row: bits of level q[b] under params[b].");
  m.def("sample_logits", &sample_logits_array, py::arg("logits"), py::arg("temperature"),
        py::arg("u"),
        py::arg("min_p") = 0.0,
        "pysynth::sample_logits on each row: inverse-CDF sampling of softmax(logits / T), "
        "truncated to the levels at least min_p times as likely as the most likely, with u.");
}

}  // namespace pysynth
