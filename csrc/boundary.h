// Validation of what Python hands the engine: the program (JSON) and named weight arrays.
//
// Every check raises pybind11::value_error (ValueError in Python) with a message that names
// the offending key or tensor, so a bad or tampered model gives a clear exception, never a
// crash. Shared by every engine family's binding.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace pysynth {
namespace py = pybind11;

inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "(";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
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
  if (!d.contains("family") || py::str(d["family"]).cast<std::string>() != family)
    throw py::value_error(std::string("program family must be '") + family + "', got " +
                          (d.contains("family") ? py::repr(d["family"]).cast<std::string>()
                                                : std::string("none")));
  return d;
}

// An integer program key within [lo, hi].
inline int program_int(const py::dict& d, const char* key, int lo, int hi) {
  if (!d.contains(key)) throw py::value_error(std::string("program is missing key '") + key + "'");
  py::object v = d[key];
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
  if (!d.contains(key)) throw py::value_error(std::string("program is missing key '") + key + "'");
  py::object v = d[key];
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
    throw py::value_error(std::string(what) + " must hold integers, got dtype " +
                          py::str(raw.dtype()).cast<std::string>());
  if (raw.ndim() != ndim)
    throw py::value_error(std::string(what) + " must have " + std::to_string(ndim) +
                          " dimension(s), got " + std::to_string(raw.ndim()));
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

}  // namespace pysynth
