// pybind11 wrapper of the WaveNet engine (pysynth._engine.WaveNetEngine), see
// /work/notes/engine_api.md: validates everything at the boundary, releases the GIL while
// computing, and re-acquires it only to deliver blocks, to poll for Ctrl-C and on errors.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "tensors.h"
#include "wavenet.h"

namespace py = pybind11;

namespace pysynth {

namespace {

WaveNetProgram parse_wavenet_program(const std::string& json) {
  py::dict d = parse_program(json, "wavenet");
  WaveNetProgram p;
  const int big = 1 << 20;
  p.levels = program_int(d, "levels", 2, 65536);
  p.initial_filter_width = program_int(d, "initial_filter_width", 1, 4096);
  p.filter_width = program_int(d, "filter_width", 1, 64);
  p.dilations = program_int_list(d, "dilations", 1, big);
  p.residual_channels = program_int(d, "residual_channels", 1, 65536);
  p.dilation_channels = program_int(d, "dilation_channels", 1, 65536);
  p.skip_channels = program_int(d, "skip_channels", 1, 65536);
  p.output_channels = program_int(d, "output_channels", 1, 65536);
  p.conditioning_classes =
      d.contains("conditioning_classes") ? program_int(d, "conditioning_classes", 0, big) : 0;
  return p;
}

// Ctrl-C and other pending signals abort a long computation between slices of work.
void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

py::array_t<int32_t, py::array::c_style> check_cond(const WaveNetProgram& p, py::object cond,
                                                    int B) {
  const int C = p.conditioning_classes;
  if (cond.is_none()) {
    if (C > 0)
      throw py::value_error("this model is conditioned on " + std::to_string(C) +
                            " classes: pass cond, one class id per stream");
    return py::array_t<int32_t, py::array::c_style>();
  }
  if (C == 0) throw py::value_error("cond was given but this model is not conditioned");
  auto c = take_indices(cond, "cond", 1, C);
  if (c.shape(0) != B)
    throw py::value_error("cond must have one class id per stream (" + std::to_string(B) +
                          "), got " + std::to_string(c.shape(0)));
  return c;
}

class PyWaveNetEngine {
 public:
  PyWaveNetEngine(const std::string& program_json, py::dict tensors, int num_threads) {
    if (num_threads < 0)
      throw py::value_error("num_threads must be >= 0 (0 = all hardware threads), got " +
                            std::to_string(num_threads));
    WaveNetProgram p = parse_wavenet_program(program_json);
    std::map<std::string, std::vector<float>> t;
    for (auto& [name, shape] : wavenet_tensor_specs(p)) t[name] = take_tensor(tensors, name, shape);
    engine_ = std::make_unique<WaveNetEngine>(std::move(p), t, num_threads);
  }

  const WaveNetProgram& program() const { return engine_->program(); }
  int num_threads() const { return engine_->num_threads(); }

  py::array_t<float> logits(py::object q_obj, py::object cond_obj) const {
    auto [q, c] = prepare(q_obj, cond_obj);
    const int B = static_cast<int>(q.shape(0));
    const int64_t T = q.shape(1);
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T),
                            static_cast<py::ssize_t>(program().levels)});
    float* dst = out.mutable_data();
    const int32_t* qp = q.data();
    const int32_t* cp = c.size() ? c.data() : nullptr;
    {
      py::gil_scoped_release nogil;
      engine_->score(qp, B, T, cp, dst, nullptr, check_signals);
    }
    return out;
  }

  py::array_t<float> nll(py::object q_obj, py::object cond_obj) const {
    auto [q, c] = prepare(q_obj, cond_obj);
    const int B = static_cast<int>(q.shape(0));
    const int64_t T = q.shape(1);
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T)});
    float* dst = out.mutable_data();
    const int32_t* qp = q.data();
    const int32_t* cp = c.size() ? c.data() : nullptr;
    {
      py::gil_scoped_release nogil;
      engine_->score(qp, B, T, cp, nullptr, dst, check_signals);
    }
    return out;
  }

  py::object generate(int64_t n, py::object streams_obj, py::object seed_obj, double temperature,
                      py::object prime_obj, py::object cond_obj, int64_t chunk,
                      py::object callback) const {
    if (n < 0) throw py::value_error("n must be >= 0, got " + std::to_string(n));
    if (chunk < 1) throw py::value_error("chunk must be >= 1, got " + std::to_string(chunk));
    if (!std::isfinite(temperature) || temperature < 0)
      throw py::value_error("temperature must be a finite number >= 0, got " +
                            std::to_string(temperature));
    const uint64_t seed = take_seed(seed_obj);
    auto streams = take_indices(streams_obj, "streams", 1, 0);
    const int B = static_cast<int>(streams.shape(0));
    if (B < 1) throw py::value_error("streams must name at least one stream");
    py::array_t<int32_t, py::array::c_style> prime;
    int64_t P = 0;
    if (!prime_obj.is_none()) {
      prime = take_indices(prime_obj, "prime", 2, program().levels);
      if (prime.shape(0) != B)
        throw py::value_error("prime must have one row per stream (" + std::to_string(B) +
                              "), got " + std::to_string(prime.shape(0)));
      P = prime.shape(1);
    }
    auto c = check_cond(program(), cond_obj, B);
    if (!callback.is_none() && !PyCallable_Check(callback.ptr()))
      throw py::type_error("callback must be callable or None");

    std::vector<uint32_t> ids(streams.data(), streams.data() + B);
    const int32_t* pp = P > 0 ? prime.data() : nullptr;
    const int32_t* cp = c.size() ? c.data() : nullptr;
    const float temp = static_cast<float>(temperature);
    if (callback.is_none()) {
      py::array_t<int32_t> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(n)});
      int32_t* dst = out.mutable_data();
      BlockSink sink = [dst, n](const int32_t* block, int b, int64_t len, int64_t offset) {
        for (int i = 0; i < b; ++i)
          std::memcpy(dst + i * n + offset, block + i * len, sizeof(int32_t) * len);
      };
      py::gil_scoped_release nogil;
      engine_->generate(n, ids.data(), B, seed, temp, pp, P, cp, chunk, sink, check_signals);
      return std::move(out);
    }
    BlockSink sink = [&callback](const int32_t* block, int b, int64_t len, int64_t) {
      py::gil_scoped_acquire gil;
      py::array_t<int32_t> arr({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(len)});
      std::memcpy(arr.mutable_data(), block, sizeof(int32_t) * b * len);
      callback(arr);
    };
    {
      py::gil_scoped_release nogil;
      engine_->generate(n, ids.data(), B, seed, temp, pp, P, cp, chunk, sink, check_signals);
    }
    return py::none();
  }

 private:
  std::pair<py::array_t<int32_t, py::array::c_style>, py::array_t<int32_t, py::array::c_style>>
  prepare(py::object q_obj, py::object cond_obj) const {
    auto q = take_indices(q_obj, "q", 2, program().levels);
    if (q.shape(0) < 1) throw py::value_error("q must hold at least one sequence");
    auto c = check_cond(program(), cond_obj, static_cast<int>(q.shape(0)));
    return {q, c};
  }

  std::unique_ptr<WaveNetEngine> engine_;
};

}  // namespace

void bind_wavenet(py::module_& m) {
  py::class_<PyWaveNetEngine>(m, "WaveNetEngine",
                              "Compiled incremental WaveNet sampler (docs/architecture.md).")
      .def(py::init<const std::string&, py::dict, int>(), py::arg("program_json"),
           py::arg("tensors"), py::arg("num_threads") = 0,
           "Validate the program and tensors (presence, dtype, shape, finiteness) and pack "
           "the weights. Raises ValueError naming the bad key or tensor.")
      .def_property_readonly("levels", [](const PyWaveNetEngine& e) { return e.program().levels; })
      .def_property_readonly("receptive_field",
                             [](const PyWaveNetEngine& e) { return e.program().receptive_field(); })
      .def_property_readonly("conditioning_classes",
                             [](const PyWaveNetEngine& e) { return e.program().conditioning_classes; })
      .def_property_readonly("flops_per_sample",
                             [](const PyWaveNetEngine& e) { return e.program().flops_per_sample(); })
      .def_property_readonly("num_threads", &PyWaveNetEngine::num_threads)
      .def("logits", &PyWaveNetEngine::logits, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced logits (B, T, Q) of int sequences q (B, T); logits[:, t] predicts "
           "q[:, t] from q[:, <t].")
      .def("nll", &PyWaveNetEngine::nll, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced -log2 p(q[t] | q[<t]) per sample, float32 (B, T).")
      .def("generate", &PyWaveNetEngine::generate, py::arg("n"), py::kw_only(),
           py::arg("streams"), py::arg("seed"), py::arg("temperature") = 1.0,
           py::arg("prime") = py::none(), py::arg("cond") = py::none(),
           py::arg("chunk") = 16000, py::arg("callback") = py::none(),
           "Generate n new samples per stream after the prime; returns int32 (B, n), or None "
           "when blocks are delivered to callback(int32 (B, <=chunk)).");
}

}  // namespace pysynth
