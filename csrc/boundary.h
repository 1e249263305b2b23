// The boundary between Python and the engines: every binding (CPU and CUDA, every family)
// parses programs (JSON), weight tensors, seeds and index arrays here and nowhere else.
//
// Every check raises pybind11::value_error (ValueError in Python) with a message that names
// the offending key or tensor, so a bad or tampered model gives a clear exception, never a
// crash. The tensor tables themselves are declared once, in wavenet_program.h and
// samplernn_program.h.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common.h"
#include "samplernn_program.h"
#include "wavenet_program.h"

namespace pysynth {
namespace py = pybind11;

// "(2, 3)", "(4,)": a shape as Python writes it. Plain string concatenation, no iostreams:
// on the GPU machine (Python 3.12, an image whose libstdc++ differs from the build's)
// formatting through std::ostringstream crashed the process when this message was made.
inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Parse a program JSON string with Python's json module into a dict.
inline py::dict parse_program(const std::string& program_json, const char* family) {
  py::object obj;
  try {
    obj = py::module_::import("json").attr("loads")(program_json);
  } catch (py::error_already_set& e) {
    throw py::value_error(std::string("program is not valid JSON: ") + e.what());
  }
  if (!py::isinstance<py::dict>(obj)) throw py::value_error("program must be a JSON object");
  py::dict d = obj.cast<py::dict>();
  if (!d.contains("family")) throw py::value_error("program key 'family' is missing");
  if (py::str(d["family"]).cast<std::string>() != family)
    throw py::value_error(std::string("program family must be '") + family + "', got " +
                          py::repr(d["family"]).cast<std::string>());
  return d;
}

inline py::object program_key(const py::dict& d, const char* key) {
  if (!d.contains(key)) throw py::value_error(std::string("program key '") + key + "' is missing");
  return d[key];
}

// An integer program key within [lo, hi].
inline int program_int(const py::dict& d, const char* key, int lo, int hi) {
  py::object v = program_key(d, key);
  if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v))
    throw py::value_error(std::string("program key '") + key + "' must be an integer, got " +
                          py::repr(v).cast<std::string>());
  const long long x = v.cast<long long>();
  if (x < lo || x > hi)
    throw py::value_error(std::string("program key '") + key + "' must be in [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                          std::to_string(x));
  return static_cast<int>(x);
}

inline std::vector<int> program_int_list(const py::dict& d, const char* key, int lo, int hi) {
  py::object v = program_key(d, key);
  if (!py::isinstance<py::list>(v) && !py::isinstance<py::tuple>(v))
    throw py::value_error(std::string("program key '") + key + "' must be a list of integers");
  std::vector<int> out;
  for (py::handle item : v) {
    if (py::isinstance<py::bool_>(item) || !py::isinstance<py::int_>(item))
      throw py::value_error(std::string("program key '") + key + "' must hold integers, got " +
                            py::repr(item).cast<std::string>());
    const long long x = item.cast<long long>();
    if (x < lo || x > hi)
      throw py::value_error(std::string("program key '") + key + "' values must be in [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                            std::to_string(x));
    out.push_back(static_cast<int>(x));
  }
  if (out.empty()) throw py::value_error(std::string("program key '") + key + "' is empty");
  return out;
}

inline bool program_bool(const py::dict& d, const char* key) {
  py::object v = program_key(d, key);
  if (!py::isinstance<py::bool_>(v))
    throw py::value_error(std::string("program key '") + key + "' must be true or false, got " +
                          py::repr(v).cast<std::string>());
  return v.cast<bool>();
}

// A string program key, one of `choices`.
inline std::string program_choice(const py::dict& d, const char* key,
                                  const std::vector<std::string>& choices) {
  py::object v = program_key(d, key);
  const std::string s = py::isinstance<py::str>(v) ? v.cast<std::string>() : std::string();
  for (const auto& c : choices)
    if (s == c) return s;
  std::string names;
  for (const auto& c : choices) names += (names.empty() ? "'" : ", '") + c + "'";
  throw py::value_error(std::string("program key '") + key + "' must be one of " + names +
                        ", got " + py::repr(v).cast<std::string>());
}

// Fetch tensors[name] as a C-contiguous float32 copy after checking presence, dtype (any
// real number type is cast), shape and finiteness.
inline std::vector<float> take_tensor(const py::dict& tensors, const std::string& name,
                                      const std::vector<int64_t>& shape) {
  if (!tensors.contains(name.c_str()))
    throw py::value_error("missing tensor '" + name + "' (expected shape " + shape_str(shape) +
                          ")");
  py::object obj = tensors[name.c_str()];
  py::array raw = py::array::ensure(obj);
  if (!raw) throw py::value_error("tensor '" + name + "' is not an array");
  const char kind = raw.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u')
    throw py::value_error("tensor '" + name + "' has dtype " +
                          py::str(raw.dtype()).cast<std::string>() +
                          "; expected float32 (or a real number type castable to it)");
  std::vector<int64_t> got(raw.shape(), raw.shape() + raw.ndim());
  if (got != shape)
    throw py::value_error("tensor '" + name + "' has shape " + shape_str(got) + ", expected " +
                          shape_str(shape));
  auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(raw);
  if (!arr) throw py::value_error("tensor '" + name + "' cannot be converted to float32");
  std::vector<float> out(arr.data(), arr.data() + arr.size());
  for (float x : out)
    if (!std::isfinite(x))
      throw py::value_error("tensor '" + name + "' contains NaN or infinite values");
  return out;
}

// A random seed: any Python integer (numpy integers included) in [0, 2^64).
inline uint64_t take_seed(py::handle obj) {
  PyObject* idx = PyNumber_Index(obj.ptr());
  if (!idx) {
    PyErr_Clear();
    throw py::type_error("seed must be an integer, got " + py::repr(obj).cast<std::string>());
  }
  py::object as_int = py::reinterpret_steal<py::object>(idx);
  if (as_int < py::int_(0))
    throw py::value_error("seed must be >= 0, got " + py::repr(obj).cast<std::string>());
  const unsigned long long v = PyLong_AsUnsignedLongLong(as_int.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error("seed must be < 2**64, got " + py::repr(obj).cast<std::string>());
  }
  return static_cast<uint64_t>(v);
}

// An int32 index array of the given rank with values in [0, hi) (hi <= 0: no upper bound).
inline py::array_t<int32_t, py::array::c_style> take_indices(py::object obj, const char* what,
                                                            int ndim, int64_t hi) {
  py::array raw = py::array::ensure(obj);
  if (!raw) throw py::value_error(std::string(what) + " must be an integer array");
  const char kind = raw.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::value_error(std::string(what) + " must be an integer array, got dtype " +
                          py::str(raw.dtype()).cast<std::string>());
  if (raw.ndim() != ndim)
    throw py::value_error(std::string(what) + " must have " + std::to_string(ndim) +
                          (ndim == 1 ? " dimension" : " dimensions") + ", got " +
                          std::to_string(raw.ndim()));
  // Range-check before the cast so int64 values outside int32 are not silently wrapped.
  py::array_t<int64_t, py::array::c_style | py::array::forcecast> wide =
      py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(raw);
  const int64_t* p = wide.data();
  for (py::ssize_t i = 0; i < wide.size(); ++i) {
    if (p[i] < 0 || (hi > 0 && p[i] >= hi))
      throw py::value_error(std::string(what) + " values must be in [0, " +
                            (hi > 0 ? std::to_string(hi) : std::string("2^31")) + "), got " +
                            std::to_string(p[i]));
    if (p[i] > INT32_MAX)
      throw py::value_error(std::string(what) + " value too large: " + std::to_string(p[i]));
  }
  return py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(raw);
}

// Every tensor of `table`, checked as take_tensor does.
inline std::map<std::string, std::vector<float>> take_tensors(const py::dict& tensors,
                                                             const TensorTable& table) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, shape] : table) out[name] = take_tensor(tensors, name, shape);
  return out;
}

// The condition of B streams for a model with `classes` conditioning classes (0: none):
// None for an unconditioned model, else one class id per stream in [0, classes). Empty
// array when there is no condition.
inline py::array_t<int32_t, py::array::c_style> take_cond(py::object cond, int classes, int B) {
  if (cond.is_none()) {
    if (classes > 0)
      throw py::value_error("this model is conditioned on " + std::to_string(classes) +
                            " classes: pass cond, one class id per stream");
    return py::array_t<int32_t, py::array::c_style>();
  }
  if (classes == 0) throw py::value_error("cond was given but this model is not conditioned");
  auto c = take_indices(cond, "cond", 1, classes);
  if (c.shape(0) != B)
    throw py::value_error("cond must have one class id per stream (" + std::to_string(B) +
                          "), got " + std::to_string(c.shape(0)));
  return c;
}

// The streams of a generate() call: at least one non-negative int32 id.
inline std::vector<uint32_t> take_streams(py::object obj) {
  auto streams = take_indices(obj, "streams", 1, 0);
  if (streams.shape(0) < 1) throw py::value_error("streams must name at least one stream");
  return std::vector<uint32_t>(streams.data(), streams.data() + streams.shape(0));
}

// The optional prime of a generate() call: None, or (B, P) indices in [0, levels).
inline py::array_t<int32_t, py::array::c_style> take_prime(py::object obj, int levels, int B) {
  if (obj.is_none()) return py::array_t<int32_t, py::array::c_style>();
  auto prime = take_indices(obj, "prime", 2, levels);
  if (prime.shape(0) != B)
    throw py::value_error("prime must have one row per stream (" + std::to_string(B) +
                          "), got " + std::to_string(prime.shape(0)));
  return prime;
}

// Copy a (b, len) row-major block of generated indices into columns [offset, offset + len)
// of the (b, n) result of a generate() call.
inline void copy_block(int32_t* dst, int64_t n, const int32_t* block, int b, int64_t len,
                       int64_t offset) {
  for (int i = 0; i < b; ++i)
    std::memcpy(dst + static_cast<size_t>(i) * n + offset, block + static_cast<size_t>(i) * len,
                sizeof(int32_t) * len);
}

// A (b, len) block of generated indices as a new int32 array, for a generate() callback
// (the engine reuses its block, so the callback gets a copy). Needs the GIL.
inline py::array_t<int32_t> block_array(const int32_t* block, int b, int64_t len) {
  py::array_t<int32_t> arr({static_cast<py::ssize_t>(b), static_cast<py::ssize_t>(len)});
  std::memcpy(arr.mutable_data(), block, sizeof(int32_t) * b * len);
  return arr;
}

// Ctrl-C and other pending signals abort a long computation between slices of work
// (called with the GIL released; takes it for the check).
inline void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// The sampling rule from Python's numbers, checked: temperature finite and >= 0, min_p in
// [0, 1].
inline SamplingRule make_rule(double temperature, double min_p) {
  if (!std::isfinite(temperature) || temperature < 0)
    throw py::value_error("temperature must be a finite number >= 0, got " +
                          std::to_string(temperature));
  if (!(min_p >= 0.0 && min_p <= 1.0))
    throw py::value_error("min_p must be a number in [0, 1], got " + std::to_string(min_p));
  SamplingRule rule;
  rule.temperature = static_cast<float>(temperature);
  rule.min_p = static_cast<float>(min_p);
  return rule;
}

// The scalar arguments every generate() checks; returns its sampling rule.
inline SamplingRule check_generate_args(int64_t n, int64_t chunk, double temperature,
                                        double min_p) {
  if (n < 0) throw py::value_error("n must be >= 0, got " + std::to_string(n));
  if (chunk < 1) throw py::value_error("chunk must be >= 1, got " + std::to_string(chunk));
  return make_rule(temperature, min_p);
}

// ---- the programs of each family ------------------------------------------------------

// The optional output keys every family shares: absent or "softmax" (0, the softmax over
// the levels), or "mol16" with `mixtures` K >= 1 components over 65,536 linear levels.
inline int parse_output(const py::dict& d, int levels) {
  if (!d.contains("output") || program_choice(d, "output", {"softmax", "mol16"}) == "softmax")
    return 0;
  const int k = program_int(d, "mixtures", 1, 256);
  if (levels != 65536)
    throw py::value_error("program key 'levels' must be 65536 with output 'mol16', got " +
                          std::to_string(levels));
  return k;
}

// The optional predictor order (absent = 0): only a mol16 output has means to shift.
inline int parse_lpc_order(const py::dict& d, int mixtures) {
  if (!d.contains("lpc_order")) return 0;
  const int order = program_int(d, "lpc_order", 0, kMaxLpcOrder);
  if (order > 0 && mixtures == 0)
    throw py::value_error("program key 'lpc_order' needs output 'mol16'");
  return order;
}

// (Their tensor tables: wavenet_tensor_table, samplernn_tensor_table.)

inline WaveNetProgram parse_wavenet_program(const std::string& json) {
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
  // Optional (programs without position input lack both keys); with frames, the hop too.
  p.position_frames =
      d.contains("position_frames") ? program_int(d, "position_frames", 0, big) : 0;
  if (p.position_frames > 0) p.position_hop = program_int(d, "position_hop", 1, 1 << 30);
  p.mixtures = parse_output(d, p.levels);
  p.lpc_order = parse_lpc_order(d, p.mixtures);
  return p;
}

inline SampleRNNProgram parse_samplernn_program(const std::string& json) {
  py::dict d = parse_program(json, "samplernn");
  SampleRNNProgram p;
  const int big = 1 << 30;
  p.levels = program_int(d, "levels", 2, big);
  p.frame_sizes = program_int_list(d, "frame_sizes", 1, big);
  for (size_t i = 1; i < p.frame_sizes.size(); ++i)
    if (p.frame_sizes[i] <= p.frame_sizes[i - 1] || p.frame_sizes[i] % p.frame_sizes[i - 1] != 0)
      throw py::value_error(
          "program key 'frame_sizes' must ascend, each a multiple of the one before; got " +
          py::repr(d["frame_sizes"]).cast<std::string>());
  p.dim = program_int(d, "dim", 1, big);
  p.lstm = program_choice(d, "rnn_type", {"gru", "lstm"}) == "lstm";
  if (py::isinstance<py::int_>(program_key(d, "rnn_layers"))) {
    p.rnn_layers.assign(p.frame_sizes.size(), program_int(d, "rnn_layers", 1, big));
  } else {
    p.rnn_layers = program_int_list(d, "rnn_layers", 1, big);
    if (p.rnn_layers.size() != p.frame_sizes.size())
      throw py::value_error("program key 'rnn_layers' must have one entry per frame tier");
  }
  p.skip_connections = program_bool(d, "skip_connections");
  p.mlp_layers = program_int(d, "mlp_layers", 0, big);
  // Optional keys (old programs and unconditioned ones lack them; absent = 0, off).
  p.conditioning_classes =
      d.contains("conditioning_classes") ? program_int(d, "conditioning_classes", 0, big) : 0;
  p.position_frames = d.contains("position_frames") ? program_int(d, "position_frames", 0, big) : 0;
  if (p.position_frames > 0) p.position_hop = program_int(d, "position_hop", 1, big);
  p.mixtures = parse_output(d, p.levels);
  p.lpc_order = parse_lpc_order(d, p.mixtures);
  if (p.lpc_order > p.frame_sizes.back())
    throw py::value_error("program key 'lpc_order' must be at most the top frame size");
  return p;
}

// The tensor table of a program of `family` as {name: shape tuple}, in table order: what
// _engine.tensor_table returns, so tests can hold the plugins' tensor_shapes to it.
inline py::dict tensor_table_dict(const std::string& family, const std::string& program_json) {
  TensorTable table;
  if (family == "wavenet")
    table = wavenet_tensor_table(parse_wavenet_program(program_json));
  else if (family == "samplernn")
    table = samplernn_tensor_table(parse_samplernn_program(program_json));
  else
    throw py::value_error("no engine runs the family '" + family + "'");
  py::dict out;
  for (const auto& [name, shape] : table) {
    py::tuple t(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
    out[py::str(name)] = t;
  }
  return out;
}

}  // namespace pysynth
