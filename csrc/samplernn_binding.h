// The Python class SampleRNNEngine of both modules (pysynth._engine on the CPU,
// pysynth._engine_cuda on a GPU): one wrapper template over the engine type, so the two
// validate calls identically (boundary.h), release the GIL while computing, and re-acquire
// it only to deliver blocks, to poll for Ctrl-C and on errors. Each module adds its
// constructor and its own properties (samplernn_bind.cpp, cuda/module.cu).
//
// Engine must offer program(), and score() and generate() with the signatures of
// SampleRNNEngine (samplernn.h).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <utility>
#include <vector>

#include "boundary.h"
#include "samplernn_program.h"

namespace pysynth {
namespace py = pybind11;

template <class Engine>
class SampleRNNBinding {
 public:
  explicit SampleRNNBinding(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}

  const Engine& engine() const { return *engine_; }
  const SampleRNNProgram& program() const { return engine_->program(); }

  py::array_t<float> logits(const py::object& q_obj, const py::object& cond) const {
    return score(q_obj, cond, true);
  }

  py::array_t<float> nll(const py::object& q_obj, const py::object& cond) const {
    return score(q_obj, cond, false);
  }

  py::object generate(long long n, const py::object& streams_obj, const py::object& seed_obj,
                      double temperature, double min_p, const py::object& prime_obj,
                      const py::object& cond, long long chunk, const py::object& callback) const {
    const SamplingRule rule = check_generate_args(n, chunk, temperature, min_p);
    const uint64_t seed = take_seed(seed_obj);
    const std::vector<uint32_t> streams = take_streams(streams_obj);
    const int B = static_cast<int>(streams.size());
    auto c = take_cond(cond, program().conditioning_classes, B);
    const int32_t* cd = c.size() ? c.data() : nullptr;
    auto prime = take_prime(prime_obj, program().levels, B);
    const int64_t P = prime.size() ? prime.shape(1) : 0;
    const uint32_t* sd = streams.data();
    const int32_t* pd = P > 0 ? prime.data() : nullptr;
    const bool has_cb = !callback.is_none();
    py::array_t<int32_t> result;
    int32_t* rd = nullptr;
    if (!has_cb) {
      result = py::array_t<int32_t>({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(n)});
      rd = result.mutable_data();
    }
    int64_t done = 0;
    auto emit = [&](const int32_t* block, int nb, int64_t len) {
      if (rd) copy_block(rd, n, block, nb, len, done);
      done += len;
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (has_cb) callback(block_array(block, nb, len));
    };
    {
      py::gil_scoped_release release;
      engine_->generate(n, sd, B, seed, rule, pd, P, cd, chunk, emit);
    }
    if (has_cb) return py::none();
    return result;
  }

 private:
  // Teacher-forced logits (B, T, Q), or with want_logits false the NLL in bits (B, T).
  py::array_t<float> score(const py::object& q_obj, const py::object& cond,
                           bool want_logits) const {
    auto q = take_indices(q_obj, "q", 2, program().levels);
    const int B = static_cast<int>(q.shape(0));
    auto c = take_cond(cond, program().conditioning_classes, B);
    const int32_t* cd = c.size() ? c.data() : nullptr;
    const int64_t T = q.shape(1);
    std::vector<py::ssize_t> shape = {B, static_cast<py::ssize_t>(T)};
    if (want_logits) shape.push_back(program().width());
    py::array_t<float> out(shape);
    const int32_t* qd = q.data();
    float* od = out.mutable_data();
    {
      py::gil_scoped_release release;
      engine_->score(qd, B, T, cd, want_logits ? od : nullptr, want_logits ? nullptr : od);
    }
    return out;
  }

  std::unique_ptr<Engine> engine_;
};

// The class SampleRNNEngine with everything both modules share; the caller adds py::init
// and the properties of its engine.
template <class Engine>
py::class_<SampleRNNBinding<Engine>> bind_samplernn_engine(py::module_& m, const char* doc) {
  using S = SampleRNNBinding<Engine>;
  py::class_<S> c(m, "SampleRNNEngine", doc);
  c.def_property_readonly("levels", [](const S& e) { return e.program().levels; })
      .def_property_readonly("frame_sizes", [](const S& e) { return e.program().frame_sizes; })
      .def_property_readonly("flops_per_sample",
                             [](const S& e) { return e.program().flops_per_sample(); },
                             "Matrix-product FLOPs per sample per stream (frame tiers amortised).")
      .def_property_readonly("dim", [](const S& e) { return e.program().dim; })
      .def_property_readonly("conditioning_classes",
                             [](const S& e) { return e.program().conditioning_classes; })
      .def("logits", &S::logits, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced logits (B, T, Q): logits[:, t] predicts q[:, t] from q[:, <t].")
      .def("nll", &S::nll, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced -log2 p(q[t] | q[<t]) in bits, shape (B, T).")
      .def("generate", &S::generate, py::arg("n"), py::kw_only(), py::arg("streams"),
           py::arg("seed"), py::arg("temperature") = 1.0, py::arg("min_p") = 0.0,
           py::arg("prime") = py::none(), py::arg("cond") = py::none(), py::arg("chunk") = 16000,
           py::arg("callback") = py::none(),
           "Generate n new samples per stream after the (teacher-forced) prime; int32 (B, n), "
           "or None when each completed block is passed to callback instead.");
  return c;
}

}  // namespace pysynth
