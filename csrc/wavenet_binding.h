// The Python class WaveNetEngine of both modules (pysynth._engine on the CPU,
// pysynth._engine_cuda on a GPU): one wrapper template over the engine type, so the two
// validate calls identically (boundary.h), release the GIL while computing, and re-acquire
// it only to deliver blocks, to poll for Ctrl-C and on errors. Each module adds its
// constructor and its own properties (wavenet_bind.cpp, cuda/module.cu).
//
// Engine must offer program(), and score() and generate() with the signatures of
// WaveNetEngine (wavenet.h).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <utility>
#include <vector>

#include "boundary.h"
#include "wavenet_program.h"

namespace pysynth {
namespace py = pybind11;

template <class Engine>
class WaveNetBinding {
 public:
  using IndexArray = py::array_t<int32_t, py::array::c_style>;

  explicit WaveNetBinding(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}

  const Engine& engine() const { return *engine_; }
  const WaveNetProgram& program() const { return engine_->program(); }

  py::array_t<float> logits(py::object q_obj, py::object cond_obj) const {
    return score(q_obj, cond_obj, true);
  }

  py::array_t<float> nll(py::object q_obj, py::object cond_obj) const {
    return score(q_obj, cond_obj, false);
  }

  py::object generate(int64_t n, py::object streams_obj, py::object seed_obj, double temperature,
                      double min_p, py::object prime_obj, py::object cond_obj, int64_t chunk,
                      py::object callback) const {
    const SamplingRule rule = check_generate_args(n, chunk, temperature, min_p);
    const uint64_t seed = take_seed(seed_obj);
    const std::vector<uint32_t> ids = take_streams(streams_obj);
    const int B = static_cast<int>(ids.size());
    IndexArray prime = take_prime(prime_obj, program().levels, B);
    const int64_t P = prime.size() ? prime.shape(1) : 0;
    IndexArray c = take_cond(cond_obj, program().conditioning_classes, B);
    if (!callback.is_none() && !PyCallable_Check(callback.ptr()))
      throw py::type_error("callback must be callable or None");

    const int32_t* pp = P > 0 ? prime.data() : nullptr;
    const int32_t* cp = c.size() ? c.data() : nullptr;
    if (callback.is_none()) {
      py::array_t<int32_t> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(n)});
      int32_t* dst = out.mutable_data();
      BlockSink sink = [dst, n](const int32_t* block, int b, int64_t len, int64_t offset) {
        copy_block(dst, n, block, b, len, offset);
      };
      {
        py::gil_scoped_release nogil;
        engine_->generate(n, ids.data(), B, seed, rule, pp, P, cp, chunk, sink, check_signals);
      }
      return std::move(out);
    }
    // A raw pointer (kept alive by `callback`): a lambda capturing a pybind11 type would
    // have greater visibility than its field, which -Wattributes flags.
    PyObject* cb = callback.ptr();
    BlockSink sink = [cb](const int32_t* block, int b, int64_t len, int64_t) {
      py::gil_scoped_acquire gil;
      py::handle fn(cb);
      fn(block_array(block, b, len));
    };
    {
      py::gil_scoped_release nogil;
      engine_->generate(n, ids.data(), B, seed, rule, pp, P, cp, chunk, sink, check_signals);
    }
    return py::none();
  }

 private:
  // Teacher-forced logits (B, T, Q), or with want_logits false the NLL in bits (B, T).
  py::array_t<float> score(py::object q_obj, py::object cond_obj, bool want_logits) const {
    auto q = take_indices(q_obj, "q", 2, program().levels);
    if (q.shape(0) < 1) throw py::value_error("q must hold at least one sequence");
    const int B = static_cast<int>(q.shape(0));
    const int64_t T = q.shape(1);
    IndexArray c = take_cond(cond_obj, program().conditioning_classes, B);
    std::vector<py::ssize_t> shape = {B, static_cast<py::ssize_t>(T)};
    if (want_logits) shape.push_back(program().width());
    py::array_t<float> out(shape);
    float* dst = out.mutable_data();
    const int32_t* qp = q.data();
    const int32_t* cp = c.size() ? c.data() : nullptr;
    {
      py::gil_scoped_release nogil;
      engine_->score(qp, B, T, cp, want_logits ? dst : nullptr, want_logits ? nullptr : dst,
                     check_signals);
    }
    return out;
  }

  std::unique_ptr<Engine> engine_;
};

// The class WaveNetEngine with everything both modules share; the caller adds py::init
// and the properties of its engine.
template <class Engine>
py::class_<WaveNetBinding<Engine>> bind_wavenet_engine(py::module_& m, const char* doc) {
  using W = WaveNetBinding<Engine>;
  py::class_<W> c(m, "WaveNetEngine", doc);
  c.def_property_readonly("levels", [](const W& e) { return e.program().levels; })
      .def_property_readonly("receptive_field",
                             [](const W& e) { return e.program().receptive_field(); })
      .def_property_readonly("conditioning_classes",
                             [](const W& e) { return e.program().conditioning_classes; })
      .def_property_readonly("flops_per_sample",
                             [](const W& e) { return e.program().flops_per_sample(); })
      .def("logits", &W::logits, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced logits (B, T, Q) of int sequences q (B, T); logits[:, t] predicts "
           "q[:, t] from q[:, <t].")
      .def("nll", &W::nll, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced -log2 p(q[t] | q[<t]) per sample, float32 (B, T).")
      .def("generate", &W::generate, py::arg("n"), py::kw_only(), py::arg("streams"),
           py::arg("seed"), py::arg("temperature") = 1.0, py::arg("min_p") = 0.0, py::arg("prime") = py::none(),
           py::arg("cond") = py::none(), py::arg("chunk") = 16000,
           py::arg("callback") = py::none(),
           "Generate n new samples per stream after the prime; returns int32 (B, n), or None "
           "when blocks are delivered to callback(int32 (B, <=chunk)).");
  return c;
}

}  // namespace pysynth
