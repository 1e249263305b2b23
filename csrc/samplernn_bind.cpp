// Python binding of the SampleRNN engine: pysynth._engine.SampleRNNEngine.
//
// The API is the engine contract of the project (same as WaveNetEngine): construction
// validates the program and every tensor (presence, numeric dtype, shape, finiteness) and
// raises ValueError naming the offending key or tensor; the heavy calls release the GIL.
#include <pybind11/stl.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <memory>

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "common.h"
#include "samplernn.h"

namespace py = pybind11;
using pysynth::SampleRNNEngine;
using pysynth::SampleRNNProgram;

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "(";
  for (size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

py::object require(const py::dict& prog, const char* key) {
  if (!prog.contains(key))
    throw py::value_error(std::string("SampleRNN program: key '") + key + "' is missing");
  return prog[key];
}

int as_int(const py::object& v, const std::string& what, int lo) {
  if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v))
    throw py::value_error("SampleRNN program: " + what + " must be an integer, got " +
                          py::repr(v).cast<std::string>());
  const long long x = v.cast<long long>();
  if (x < lo || x > (1LL << 30))
    throw py::value_error("SampleRNN program: " + what + " must be >= " + std::to_string(lo) +
                          ", got " + std::to_string(x));
  return static_cast<int>(x);
}

SampleRNNProgram parse_program(const std::string& program_json) {
  py::object loaded = py::module_::import("json").attr("loads")(program_json);
  if (!py::isinstance<py::dict>(loaded))
    throw py::value_error("SampleRNN program: expected a JSON object");
  py::dict prog = loaded;
  SampleRNNProgram p;
  const std::string family = py::str(require(prog, "family"));
  if (family != "samplernn")
    throw py::value_error("SampleRNN program: family must be 'samplernn', got '" + family + "'");
  p.levels = as_int(require(prog, "levels"), "levels", 2);
  py::object fs = require(prog, "frame_sizes");
  if (!py::isinstance<py::list>(fs) || py::len(fs) == 0)
    throw py::value_error("SampleRNN program: frame_sizes must be a non-empty list");
  for (auto item : fs) {
    const int f = as_int(py::reinterpret_borrow<py::object>(item), "frame_sizes entry", 1);
    if (!p.frame_sizes.empty() && (f <= p.frame_sizes.back() || f % p.frame_sizes.back() != 0))
      throw py::value_error(
          "SampleRNN program: frame_sizes must ascend, each a multiple of the one before; got " +
          py::repr(fs).cast<std::string>());
    p.frame_sizes.push_back(f);
  }
  p.dim = as_int(require(prog, "dim"), "dim", 1);
  const std::string rnn = py::str(require(prog, "rnn_type"));
  if (rnn != "gru" && rnn != "lstm")
    throw py::value_error("SampleRNN program: rnn_type must be 'gru' or 'lstm', got '" + rnn + "'");
  p.lstm = rnn == "lstm";
  py::object layers = require(prog, "rnn_layers");
  if (py::isinstance<py::list>(layers)) {
    if (py::len(layers) != p.frame_sizes.size())
      throw py::value_error("SampleRNN program: rnn_layers must have one entry per frame tier");
    for (auto item : layers)
      p.rnn_layers.push_back(as_int(py::reinterpret_borrow<py::object>(item), "rnn_layers", 1));
  } else {
    p.rnn_layers.assign(p.frame_sizes.size(), as_int(layers, "rnn_layers", 1));
  }
  py::object skip = require(prog, "skip_connections");
  if (!py::isinstance<py::bool_>(skip))
    throw py::value_error("SampleRNN program: skip_connections must be true or false");
  p.skip_connections = skip.cast<bool>();
  p.mlp_layers = as_int(require(prog, "mlp_layers"), "mlp_layers", 0);
  return p;
}

// A numeric array (float32 or castable), C-contiguous float32, checked for shape and NaN/inf.
std::vector<float> take_tensor(const py::dict& tensors, const std::string& name,
                               const std::vector<int64_t>& shape) {
  if (!tensors.contains(name))
    throw py::value_error("SampleRNN tensor '" + name + "' is missing (expected shape " +
                          shape_str(shape) + ")");
  py::object np = py::module_::import("numpy");
  py::object raw = np.attr("asarray")(tensors[name.c_str()]);
  const std::string kind = py::str(raw.attr("dtype").attr("kind"));
  if (kind != "f" && kind != "i" && kind != "u")
    throw py::value_error("SampleRNN tensor '" + name + "' has dtype " +
                          py::str(raw.attr("dtype")).cast<std::string>() +
                          "; expected float32 (or a numeric dtype castable to it)");
  auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(raw);
  if (!arr) throw py::value_error("SampleRNN tensor '" + name + "' cannot be read as float32");
  std::vector<int64_t> got(arr.shape(), arr.shape() + arr.ndim());
  if (got != shape)
    throw py::value_error("SampleRNN tensor '" + name + "' has shape " + shape_str(got) +
                          "; expected " + shape_str(shape));
  const float* d = arr.data();
  const size_t n = static_cast<size_t>(arr.size());
  for (size_t k = 0; k < n; ++k)
    if (!std::isfinite(d[k]))
      throw py::value_error("SampleRNN tensor '" + name + "' contains NaN or infinite values");
  return std::vector<float>(d, d + n);
}

// An integer index array of rank `ndim`, values in [0, levels) -> C-contiguous int32.
py::array_t<int32_t> take_indices(const py::object& obj, const char* name, int ndim, int levels) {
  py::object np = py::module_::import("numpy");
  py::object raw = np.attr("asarray")(obj);
  const std::string kind = py::str(raw.attr("dtype").attr("kind"));
  if (kind != "i" && kind != "u")
    throw py::value_error(std::string(name) + " must be an integer array, got dtype " +
                          py::str(raw.attr("dtype")).cast<std::string>());
  const int got = raw.attr("ndim").cast<int>();
  if (got != ndim)
    throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) +
                          " dimensions, got shape " + py::str(raw.attr("shape")).cast<std::string>());
  if (raw.attr("size").cast<long long>() > 0) {
    // levels <= 0: any non-negative int32 (stream ids)
    const long long top = levels > 0 ? levels : (1LL << 31);
    const long long lo = raw.attr("min")().cast<long long>();
    const long long hi = raw.attr("max")().cast<long long>();
    if (lo < 0 || hi >= top)
      throw py::value_error(std::string(name) + " values must lie in [0, " +
                            std::to_string(top) + "), got range [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + "]");
  }
  return py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(raw);
}

void reject_cond(const py::object& cond) {
  if (!cond.is_none())
    throw py::value_error("cond: SampleRNN programs take no global condition; pass cond=None");
}

class PySampleRNN {
 public:
  PySampleRNN(const std::string& program_json, const py::dict& tensors, int num_threads) {
    if (num_threads < 0)
      throw py::value_error("num_threads must be >= 0 (0 = all hardware threads), got " +
                            std::to_string(num_threads));
    SampleRNNProgram p = parse_program(program_json);
    std::map<std::string, std::vector<float>> store;
    for (const auto& spec : pysynth::samplernn_tensor_specs(p))
      store[spec.first] = take_tensor(tensors, spec.first, spec.second);
    engine_ = std::make_unique<SampleRNNEngine>(std::move(p), std::move(store), num_threads);
  }

  const SampleRNNEngine& eng() const { return *engine_; }

  py::array_t<float> logits(const py::object& q_obj, const py::object& cond) const {
    reject_cond(cond);
    auto q = take_indices(q_obj, "q", 2, eng().program().levels);
    const int B = static_cast<int>(q.shape(0));
    const int64_t T = q.shape(1);
    const int Q = eng().program().levels;
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T),
                            static_cast<py::ssize_t>(Q)});
    const int32_t* qd = q.data();
    float* od = out.mutable_data();
    {
      py::gil_scoped_release release;
      eng().score(qd, B, T, od, nullptr);
    }
    return out;
  }

  py::array_t<float> nll(const py::object& q_obj, const py::object& cond) const {
    reject_cond(cond);
    auto q = take_indices(q_obj, "q", 2, eng().program().levels);
    const int B = static_cast<int>(q.shape(0));
    const int64_t T = q.shape(1);
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T)});
    const int32_t* qd = q.data();
    float* od = out.mutable_data();
    {
      py::gil_scoped_release release;
      eng().score(qd, B, T, nullptr, od);
    }
    return out;
  }

  py::object generate(long long n, const py::object& streams_obj, const py::object& seed_obj,
                      double temperature, const py::object& prime_obj, const py::object& cond,
                      long long chunk, const py::object& callback) const {
    reject_cond(cond);
    if (n < 0) throw py::value_error("n must be >= 0, got " + std::to_string(n));
    if (chunk < 1) throw py::value_error("chunk must be >= 1, got " + std::to_string(chunk));
    if (!std::isfinite(temperature) || temperature < 0.0)
      throw py::value_error("temperature must be a finite number >= 0, got " +
                            std::to_string(temperature));
    py::int_ seed_int;
    try {  // Python and numpy integers alike
      seed_int = py::module_::import("operator").attr("index")(seed_obj);
    } catch (py::error_already_set&) {
      throw py::value_error("seed must be an integer, got " + py::repr(seed_obj).cast<std::string>());
    }
    if (seed_int < py::int_(0) || seed_int >= py::int_(py::module_::import("builtins")
                                                          .attr("pow")(2, 64)))
      throw py::value_error("seed must lie in [0, 2**64), got " +
                            py::repr(seed_obj).cast<std::string>());
    const uint64_t seed = seed_int.cast<uint64_t>();
    auto streams = take_indices(streams_obj, "streams", 1, 0);
    const int B = static_cast<int>(streams.shape(0));
    if (B < 1) throw py::value_error("streams must name at least one stream");
    {
      const int32_t* s = streams.data();
      for (int b = 0; b < B; ++b)
        if (s[b] < 0) throw py::value_error("streams must be >= 0, got " + std::to_string(s[b]));
    }
    py::array_t<int32_t> prime;
    int64_t P = 0;
    if (!prime_obj.is_none()) {
      prime = take_indices(prime_obj, "prime", 2, eng().program().levels);
      if (prime.shape(0) != B)
        throw py::value_error("prime must have one row per stream: shape (" + std::to_string(B) +
                              ", P), got " + std::to_string(prime.shape(0)) + " rows");
      P = prime.shape(1);
    }
    const int32_t* sd = streams.data();
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
      if (rd) {
        for (int b = 0; b < nb; ++b)
          std::memcpy(rd + static_cast<size_t>(b) * n + done, block + static_cast<size_t>(b) * len,
                      sizeof(int32_t) * len);
      }
      done += len;
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (has_cb) {
        py::array_t<int32_t> out({static_cast<py::ssize_t>(nb), static_cast<py::ssize_t>(len)});
        std::memcpy(out.mutable_data(), block, sizeof(int32_t) * nb * len);
        callback(out);
      }
    };
    {
      py::gil_scoped_release release;
      eng().generate(n, sd, B, seed, static_cast<float>(temperature), pd, P, chunk, emit);
    }
    if (has_cb) return py::none();
    return result;
  }

 private:
  std::unique_ptr<SampleRNNEngine> engine_;
};

}  // namespace

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
           py::arg("seed"), py::arg("temperature") = 1.0, py::arg("prime") = py::none(),
           py::arg("cond") = py::none(), py::arg("chunk") = 16000,
           py::arg("callback") = py::none(),
           "Generate n new samples per stream after the (teacher-forced) prime; int32 (B, n), "
           "or None when each completed block is passed to callback instead.");
}
