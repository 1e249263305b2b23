// Python binding of the SampleRNN engine: pysynth._engine.SampleRNNEngine.
//
// The API is the engine contract of the project (same as WaveNetEngine): construction
// validates the program and every tensor (presence, numeric dtype, shape, finiteness) and
// raises ValueError naming the offending key or tensor; the heavy calls release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <vector>

#include "boundary.h"
#include "samplernn.h"

namespace py = pybind11;
using pysynth::SampleRNNEngine;
using pysynth::SampleRNNProgram;
using pysynth::take_indices;

namespace {

class PySampleRNN {
 public:
  PySampleRNN(const std::string& program_json, const py::dict& tensors, int num_threads) {
    if (num_threads < 0)
      throw py::value_error("num_threads must be >= 0 (0 = all hardware threads), got " +
                            std::to_string(num_threads));
    SampleRNNProgram p = pysynth::parse_samplernn_program(program_json);
    auto store = pysynth::take_tensors(tensors, pysynth::samplernn_tensor_table(p));
    engine_ = std::make_unique<SampleRNNEngine>(std::move(p), std::move(store), num_threads);
  }

  const SampleRNNEngine& eng() const { return *engine_; }

  py::array_t<float> logits(const py::object& q_obj, const py::object& cond) const {
    return score(q_obj, cond, true);
  }

  py::array_t<float> nll(const py::object& q_obj, const py::object& cond) const {
    return score(q_obj, cond, false);
  }

  py::object generate(long long n, const py::object& streams_obj, const py::object& seed_obj,
                      double temperature, double min_p, const py::object& prime_obj, const py::object& cond,
                      long long chunk, const py::object& callback) const {
    const pysynth::SamplingRule rule = pysynth::check_generate_args(n, chunk, temperature, min_p);
    const uint64_t seed = pysynth::take_seed(seed_obj);
    const std::vector<uint32_t> streams = pysynth::take_streams(streams_obj);
    const int B = static_cast<int>(streams.size());
    auto c = pysynth::take_cond(cond, eng().program().conditioning_classes, B);
    const int32_t* cd = c.size() ? c.data() : nullptr;
    auto prime = pysynth::take_prime(prime_obj, eng().program().levels, B);
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
      if (rd) pysynth::copy_block(rd, n, block, nb, len, done);
      done += len;
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (has_cb) callback(pysynth::block_array(block, nb, len));
    };
    {
      py::gil_scoped_release release;
      eng().generate(n, sd, B, seed, rule, pd, P, cd, chunk, emit);
    }
    if (has_cb) return py::none();
    return result;
  }

 private:
  // Teacher-forced logits (B, T, Q), or with want_logits false the NLL in bits (B, T).
  py::array_t<float> score(const py::object& q_obj, const py::object& cond,
                           bool want_logits) const {
    auto q = take_indices(q_obj, "q", 2, eng().program().levels);
    const int B = static_cast<int>(q.shape(0));
    auto c = pysynth::take_cond(cond, eng().program().conditioning_classes, B);
    const int32_t* cd = c.size() ? c.data() : nullptr;
    const int64_t T = q.shape(1);
    std::vector<py::ssize_t> shape = {B, static_cast<py::ssize_t>(T)};
    if (want_logits) shape.push_back(eng().program().levels);
    py::array_t<float> out(shape);
    const int32_t* qd = q.data();
    float* od = out.mutable_data();
    {
      py::gil_scoped_release release;
      eng().score(qd, B, T, cd, want_logits ? od : nullptr, want_logits ? nullptr : od);
    }
    return out;
  }

  std::unique_ptr<SampleRNNEngine> engine_;
};

}  // namespace

namespace pysynth {

void bind_samplernn(py::module_& m) {
  py::class_<PySampleRNN>(m, "SampleRNNEngine",
                          "Compiled CPU sampler for 'samplernn' programs (docs/architecture.md).")
      .def(py::init<const std::string&, const py::dict&, int>(), py::arg("program_json"),
           py::arg("tensors"), py::arg("num_threads") = 0,
           "Validate the program and tensors (ValueError naming the tensor) and build the engine.")
      .def_property_readonly("levels", [](const PySampleRNN& e) { return e.eng().program().levels; })
      .def_property_readonly("num_threads", [](const PySampleRNN& e) { return e.eng().num_threads(); })
      .def_property_readonly("frame_sizes",
                             [](const PySampleRNN& e) { return e.eng().program().frame_sizes; })
      .def_property_readonly("flops_per_sample",
                             [](const PySampleRNN& e) { return e.eng().flops_per_sample(); },
                             "Matrix-product FLOPs per sample per stream (frame tiers amortised).")
      .def_property_readonly("dim", [](const PySampleRNN& e) { return e.eng().program().dim; })
      .def("logits", &PySampleRNN::logits, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced logits (B, T, Q): logits[:, t] predicts q[:, t] from q[:, <t].")
      .def("nll", &PySampleRNN::nll, py::arg("q"), py::arg("cond") = py::none(),
           "Teacher-forced -log2 p(q[t] | q[<t]) in bits, shape (B, T).")
      .def("generate", &PySampleRNN::generate, py::arg("n"), py::kw_only(), py::arg("streams"),
           py::arg("seed"), py::arg("temperature") = 1.0, py::arg("min_p") = 0.0, py::arg("prime") = py::none(),
           py::arg("cond") = py::none(), py::arg("chunk") = 16000,
           py::arg("callback") = py::none(),
           "Generate n new samples per stream after the (teacher-forced) prime; int32 (B, n), "
           "or None when each completed block is passed to callback instead.");
}

}  // namespace pysynth
