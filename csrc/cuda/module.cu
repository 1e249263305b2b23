// pybind11 module pysynth._engine_cuda: the WaveNet sampling engine on a CUDA device.
//
// Same Python API as pysynth._engine.WaveNetEngine (notes: engine_api.md), plus `device`
// and `emulate`. The weights are uploaded once (plain cudaMalloc); each call allocates the
// per-stream ring buffers on the device and runs the step kernel (wavenet_kernel.cu).
// emulate=True runs the identical phase code on the host instead (for tests without a GPU).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "wavenet_kernel.h"
#include "wavenet_step.h"

namespace py = pybind11;
using pysynth::wavenet::Dims;
using pysynth::wavenet::StepArgs;

namespace {

// Why no device can be used, or an empty string when one can.
std::string device_problem() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return cudaGetErrorString(err);
  }
  if (count <= 0) return "the CUDA runtime reports 0 devices";
  return std::string();
}

bool device_available() { return device_problem().empty(); }

void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(err));
}

// A buffer in device memory (cudaMalloc, never managed memory) or, when emulating, in host
// memory; freed on destruction.
class Buffer {
 public:
  Buffer(size_t bytes, bool emulate) : bytes_(bytes), emulate_(emulate) {
    if (bytes_ == 0) return;
    if (emulate_) {
      ptr_ = std::calloc(bytes_, 1);
      if (ptr_ == nullptr) throw std::bad_alloc();
    } else {
      check_cuda(cudaMalloc(&ptr_, bytes_), "cudaMalloc");
      const cudaError_t err = cudaMemset(ptr_, 0, bytes_);
      if (err != cudaSuccess) {
        cudaFree(ptr_);
        check_cuda(err, "cudaMemset");
      }
    }
  }
  ~Buffer() {
    if (ptr_ == nullptr) return;
    if (emulate_)
      std::free(ptr_);
    else
      cudaFree(ptr_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }

  void upload(const void* src, size_t bytes, size_t offset = 0) {
    if (bytes == 0) return;
    char* dst = static_cast<char*>(ptr_) + offset;
    if (emulate_)
      std::memcpy(dst, src, bytes);
    else
      check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  }
  void download(void* dst, size_t bytes) const {
    if (bytes == 0) return;
    if (emulate_)
      std::memcpy(dst, ptr_, bytes);
    else
      check_cuda(cudaMemcpy(dst, ptr_, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_;
  bool emulate_;
};

using IntArray = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// An integer numpy array of the given rank as C-contiguous int32; ValueError otherwise.
IntArray int_array(const py::handle& obj, int ndim, const char* name) {
  py::array arr = py::array::ensure(obj);
  if (!arr) throw py::value_error(std::string(name) + " must be a numpy integer array");
  const char kind = arr.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::value_error(std::string(name) + " must have an integer dtype, got " +
                          std::string(py::str(arr.dtype())));
  if (arr.ndim() != ndim)
    throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) +
                          " dimensions, got " + std::to_string(arr.ndim()));
  return IntArray::ensure(arr);
}

void check_range(const IntArray& a, int hi, const char* name) {
  const int32_t* p = a.data();
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    if (p[i] < 0 || p[i] >= hi)
      throw py::value_error(std::string(name) + " holds " + std::to_string(p[i]) +
                            ", outside [0, " + std::to_string(hi) + ")");
  }
}

int program_int(const py::dict& prog, const char* key, int lo) {
  if (!prog.contains(key)) throw py::value_error(std::string("program is missing '") + key + "'");
  py::object v = prog[key];
  if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v))
    throw py::value_error(std::string("program '") + key + "' must be an integer");
  const long long x = v.cast<long long>();
  if (x < lo || x > (1LL << 24))
    throw py::value_error(std::string("program '") + key + "' = " + std::to_string(x) +
                          " is out of range (>= " + std::to_string(lo) + ")");
  return static_cast<int>(x);
}

// A seed as uint64: any Python or numpy integer in [0, 2**64).
uint64_t seed_value(const py::object& s) {
  PyObject* idx = PyNumber_Index(s.ptr());
  if (idx == nullptr) {
    PyErr_Clear();
    throw py::type_error("seed must be an integer, got " + std::string(py::str(py::type::of(s))));
  }
  const unsigned long long x = PyLong_AsUnsignedLongLong(idx);
  Py_DECREF(idx);
  if (x == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error("seed must be in [0, 2**64), got " + std::string(py::str(s)));
  }
  return static_cast<uint64_t>(x);
}

class CudaWaveNetEngine {
 public:
  CudaWaveNetEngine(const std::string& program_json, const py::dict& tensors, int device,
                    bool emulate)
      : device_(device), emulate_(emulate) {
    if (!emulate_) {
      const std::string why = device_problem();
      if (!why.empty()) throw std::runtime_error("no CUDA device available: " + why);
      int count = 0;
      check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
      if (device < 0 || device >= count)
        throw py::value_error("device " + std::to_string(device) + " is out of range: " +
                              std::to_string(count) + " CUDA device(s)");
      check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    }
    parse_program(program_json);
    if (!emulate_) {
      int optin = 0;
      check_cuda(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device_),
                 "cudaDeviceGetAttribute");
      const size_t smem = pysynth::cuda::wavenet_shared_bytes(dims_);
      if (smem > static_cast<size_t>(optin))
        throw py::value_error("model too wide for CUDA device " + std::to_string(device_) +
                              ": one stream needs " + std::to_string(smem) +
                              " bytes of shared memory, the device allows " + std::to_string(optin));
    }
    load_weights(tensors);
  }

  int levels() const { return dims_.Q; }
  long long receptive_field() const {
    long long s = 0;
    for (int d : dilations_) s += d;
    return static_cast<long long>(dims_.K - 1) * s + dims_.K0;
  }
  int device() const { return emulate_ ? -1 : device_; }
  bool emulated() const { return emulate_; }

  py::array_t<float> logits(const py::object& q, const py::object& cond) {
    IntArray qa = int_array(q, 2, "q");
    check_range(qa, dims_.Q, "q");
    const int B = static_cast<int>(qa.shape(0));
    const int64_t T = qa.shape(1);
    std::vector<int32_t> cv = cond_vector(cond, B);
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T),
                            static_cast<py::ssize_t>(dims_.Q)});
    float* dst = out.mutable_data();
    forced_pass(qa, cv, [&](int64_t start, int w, int ld, const float* lg) {
      for (int b = 0; b < B; ++b)
        std::memcpy(dst + (static_cast<int64_t>(b) * T + start) * dims_.Q,
                    lg + static_cast<int64_t>(b) * ld * dims_.Q, sizeof(float) * w * dims_.Q);
    });
    return out;
  }

  py::array_t<float> nll(const py::object& q, const py::object& cond) {
    IntArray qa = int_array(q, 2, "q");
    check_range(qa, dims_.Q, "q");
    const int B = static_cast<int>(qa.shape(0));
    const int64_t T = qa.shape(1);
    std::vector<int32_t> cv = cond_vector(cond, B);
    py::array_t<float> out({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(T)});
    float* dst = out.mutable_data();
    const int32_t* qp = qa.data();
    forced_pass(qa, cv, [&](int64_t start, int w, int ld, const float* lg) {
      for (int b = 0; b < B; ++b)
        for (int i = 0; i < w; ++i)
          dst[b * T + start + i] =
              pysynth::nll_bits(lg + (static_cast<int64_t>(b) * ld + i) * dims_.Q, dims_.Q,
                                qp[b * T + start + i]);
    });
    return out;
  }

  py::object generate(long long n, const py::object& streams, const py::object& seed_obj,
                      double temperature, const py::object& prime, const py::object& cond,
                      long long chunk, const py::object& callback) {
    if (n < 0) throw py::value_error("n must be >= 0, got " + std::to_string(n));
    if (chunk < 1) throw py::value_error("chunk must be >= 1, got " + std::to_string(chunk));
    if (!std::isfinite(temperature) || temperature < 0.0)
      throw py::value_error("temperature must be a finite number >= 0, got " +
                            std::to_string(temperature));
    const uint64_t seed = seed_value(seed_obj);
    IntArray st = int_array(streams, 1, "streams");
    const int B = static_cast<int>(st.shape(0));
    if (B < 1) throw py::value_error("streams must hold at least one stream id");
    std::vector<uint32_t> ids(static_cast<size_t>(B));
    for (int b = 0; b < B; ++b) ids[b] = static_cast<uint32_t>(st.data()[b]);
    int64_t P = 0;
    IntArray pa;
    if (!prime.is_none()) {
      pa = int_array(prime, 2, "prime");
      if (pa.shape(0) != B)
        throw py::value_error("prime has " + std::to_string(pa.shape(0)) + " rows but there are " +
                              std::to_string(B) + " streams");
      check_range(pa, dims_.Q, "prime");
      P = pa.shape(1);
    }
    std::vector<int32_t> cv = cond_vector(cond, B);
    const bool has_cb = !callback.is_none();
    if (has_cb && !PyCallable_Check(callback.ptr()))
      throw py::type_error("callback must be callable or None");
    activate();

    const int W = static_cast<int>(std::min<long long>(chunk, std::max<long long>(n, 1)));
    State state(*this, B, W, cv, ids);
    Buffer prime_dev(sizeof(int32_t) * static_cast<size_t>(B) * P, emulate_);
    if (P > 0) prime_dev.upload(pa.data(), sizeof(int32_t) * static_cast<size_t>(B) * P);
    StepArgs a = state.args(seed, static_cast<float>(temperature));

    // Prime: teacher-forced steps 0 .. P-1, in launches of at most W steps.
    for (int64_t start = 0; start < P; start += W) {
      a.t0 = start;
      a.n = static_cast<int>(std::min<int64_t>(W, P - start));
      a.forced = prime_dev.as<int32_t>() + start;
      a.forced_ld = P;
      a.nforced = a.n;
      run(a);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }

    py::array_t<int32_t> result;
    int32_t* res = nullptr;
    if (!has_cb) {
      result = py::array_t<int32_t>({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(n)});
      res = result.mutable_data();
    }
    std::vector<int32_t> host(static_cast<size_t>(B) * W);
    for (long long done = 0; done < n; done += W) {
      a.t0 = P + done;
      a.n = static_cast<int>(std::min<long long>(W, n - done));
      a.forced = nullptr;
      a.forced_ld = 0;
      a.nforced = 0;
      run(a);
      // The outputs are laid out (B, W); the last window may fill only a.n columns.
      state.out_q.download(host.data(), sizeof(int32_t) * host.size());
      int32_t* block_data = nullptr;
      py::array_t<int32_t> block;
      if (has_cb) {
        block = py::array_t<int32_t>({static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(a.n)});
        block_data = block.mutable_data();
      }
      for (int b = 0; b < B; ++b) {
        int32_t* dst = has_cb ? block_data + static_cast<int64_t>(b) * a.n : res + b * n + done;
        std::memcpy(dst, host.data() + static_cast<int64_t>(b) * W, sizeof(int32_t) * a.n);
      }
      if (has_cb) callback(block);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
    if (has_cb) return py::none();
    return std::move(result);
  }

 private:
  // Device (or emulated) state of one call: rings, input history, per-stream keys, outputs.
  struct State {
    Buffer rings, qhist, cond, ids, out_q, out_logits;
    const CudaWaveNetEngine& eng;
    int B, W;
    bool has_cond;
    State(const CudaWaveNetEngine& e, int B_, int W_, const std::vector<int32_t>& cv,
          const std::vector<uint32_t>& sid, bool want_logits = false)
        : rings(sizeof(float) * static_cast<size_t>(B_) * e.ring_stride_, e.emulate_),
          qhist(sizeof(int32_t) * static_cast<size_t>(B_) * e.dims_.K0, e.emulate_),
          cond(sizeof(int32_t) * cv.size(), e.emulate_),
          ids(sizeof(uint32_t) * static_cast<size_t>(B_), e.emulate_),
          out_q(sizeof(int32_t) * static_cast<size_t>(B_) * W_, e.emulate_),
          out_logits(want_logits ? sizeof(float) * static_cast<size_t>(B_) * W_ * e.dims_.Q : 0,
                     e.emulate_),
          eng(e), B(B_), W(W_), has_cond(!cv.empty()) {
      cond.upload(cv.data(), sizeof(int32_t) * cv.size());
      std::vector<uint32_t> zeros;
      const std::vector<uint32_t>* src = &sid;
      if (sid.empty()) {
        zeros.assign(static_cast<size_t>(B_), 0u);
        src = &zeros;
      }
      ids.upload(src->data(), sizeof(uint32_t) * static_cast<size_t>(B_));
    }
    StepArgs args(uint64_t seed, float temperature) const {
      StepArgs a{};
      a.dims = eng.dims_;
      a.w = eng.w_;
      a.dilation = eng.layer_dil_->as<int>();
      a.ring_offset = eng.layer_off_->as<int64_t>();
      a.ring_stride = eng.ring_stride_;
      a.rings = rings.as<float>();
      a.qhist = qhist.as<int32_t>();
      a.cond = has_cond ? cond.as<int32_t>() : nullptr;
      a.stream_ids = ids.as<uint32_t>();
      a.out_q = out_q.as<int32_t>();
      a.out_logits = out_logits.as<float>();
      a.out_ld = W;
      a.out_col = 0;
      a.seed = seed;
      a.temperature = temperature;
      a.B = B;
      return a;
    }
  };

  // Teacher-forced pass over q (B, T) in windows; per window sink(start, w, ld, logits) with
  // the logits laid out (B, ld, Q) and w <= ld columns filled.
  template <class Sink>
  void forced_pass(const IntArray& qa, const std::vector<int32_t>& cv, Sink sink) {
    const int B = static_cast<int>(qa.shape(0));
    const int64_t T = qa.shape(1);
    if (B == 0 || T == 0) return;
    activate();
    // Windows hold at most ~64 MiB of logits.
    const int64_t cap = std::max<int64_t>(1, (int64_t{16} << 20) / (static_cast<int64_t>(B) * dims_.Q));
    const int W = static_cast<int>(std::min<int64_t>({T, cap, int64_t{1} << 20}));
    State state(*this, B, W, cv, {}, true);
    Buffer q_dev(sizeof(int32_t) * static_cast<size_t>(B) * T, emulate_);
    q_dev.upload(qa.data(), sizeof(int32_t) * static_cast<size_t>(B) * T);
    StepArgs a = state.args(0, 1.0f);
    std::vector<float> host(static_cast<size_t>(B) * W * dims_.Q);
    for (int64_t start = 0; start < T; start += W) {
      a.t0 = start;
      a.n = static_cast<int>(std::min<int64_t>(W, T - start));
      a.forced = q_dev.as<int32_t>() + start;
      a.forced_ld = T;
      a.nforced = a.n;
      run(a);
      state.out_logits.download(host.data(), sizeof(float) * host.size());
      sink(start, a.n, W, host.data());
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  }

  // Runs a.n steps with the GIL released, in launches of at most kStepsPerLaunch steps so
  // that no single launch runs for long.
  void run(const StepArgs& a) {
    static constexpr int kStepsPerLaunch = 1024;
    std::string err;
    {
      py::gil_scoped_release nogil;
      for (int done = 0; done < a.n && err.empty(); done += kStepsPerLaunch) {
        StepArgs s = a;
        s.n = std::min(kStepsPerLaunch, a.n - done);
        s.t0 = a.t0 + done;
        s.nforced = std::max(0, std::min(a.nforced - done, s.n));
        s.forced = a.forced != nullptr ? a.forced + done : nullptr;
        s.out_col = a.out_col + done;
        err = launch(s);
      }
    }
    if (!err.empty()) throw std::runtime_error("CUDA error in the WaveNet step kernel: " + err);
  }

  // Makes this engine's device current (another engine may have switched it) before any
  // allocation or copy of a call.
  void activate() const {
    if (!emulate_) check_cuda(cudaSetDevice(device_), "cudaSetDevice");
  }

  std::string launch(const StepArgs& a) {
    if (emulate_) {
      pysynth::cuda::wavenet_emulate(a);
      return std::string();
    }
    const cudaError_t err = cudaSetDevice(device_);
    if (err != cudaSuccess) return std::string("cudaSetDevice: ") + cudaGetErrorString(err);
    return pysynth::cuda::wavenet_launch(a);
  }

  std::vector<int32_t> cond_vector(const py::object& cond, int B) const {
    if (cond.is_none()) {
      if (dims_.C > 0)
        throw py::value_error("cond is required: the model has " + std::to_string(dims_.C) +
                              " conditioning classes");
      return {};
    }
    if (dims_.C == 0) throw py::value_error("cond given but the model has no conditioning classes");
    IntArray ca = int_array(cond, 1, "cond");
    if (ca.shape(0) != B)
      throw py::value_error("cond has " + std::to_string(ca.shape(0)) + " entries but there are " +
                            std::to_string(B) + " streams");
    check_range(ca, dims_.C, "cond");
    return std::vector<int32_t>(ca.data(), ca.data() + B);
  }

  void parse_program(const std::string& program_json) {
    py::object loaded = py::module_::import("json").attr("loads")(program_json);
    if (!py::isinstance<py::dict>(loaded)) throw py::value_error("program must be a JSON object");
    py::dict prog = loaded;
    if (!prog.contains("family") || py::str(prog["family"]).cast<std::string>() != "wavenet")
      throw py::value_error("program family must be 'wavenet'");
    dims_.Q = program_int(prog, "levels", 2);
    dims_.K0 = program_int(prog, "initial_filter_width", 1);
    dims_.K = program_int(prog, "filter_width", 1);
    dims_.R = program_int(prog, "residual_channels", 1);
    dims_.D = program_int(prog, "dilation_channels", 1);
    dims_.S = program_int(prog, "skip_channels", 1);
    dims_.H = program_int(prog, "output_channels", 1);
    dims_.C = prog.contains("conditioning_classes") ? program_int(prog, "conditioning_classes", 0) : 0;
    if (!prog.contains("dilations") || !py::isinstance<py::list>(prog["dilations"]))
      throw py::value_error("program 'dilations' must be a list of positive integers");
    for (py::handle h : py::list(prog["dilations"])) {
      if (!py::isinstance<py::int_>(h) || h.cast<long long>() < 1 || h.cast<long long>() > (1 << 24))
        throw py::value_error("program 'dilations' must be a list of positive integers");
      dilations_.push_back(h.cast<int>());
    }
    if (dilations_.empty()) throw py::value_error("program 'dilations' must not be empty");
    dims_.L = static_cast<int>(dilations_.size());
    const size_t smem = pysynth::cuda::wavenet_shared_bytes(dims_);
    if (smem > 200 * 1024)
      throw py::value_error("model too wide for the CUDA kernel: one stream needs " +
                            std::to_string(smem) + " bytes of shared memory (limit 200 KiB)");
    std::vector<int64_t> offs;
    ring_stride_ = 0;
    for (int d : dilations_) {
      offs.push_back(ring_stride_);
      ring_stride_ += pysynth::wavenet::ring_len(dims_, d) * dims_.R;
    }
    layer_dil_ = std::make_unique<Buffer>(sizeof(int) * dilations_.size(), emulate_);
    layer_dil_->upload(dilations_.data(), sizeof(int) * dilations_.size());
    layer_off_ = std::make_unique<Buffer>(sizeof(int64_t) * offs.size(), emulate_);
    layer_off_->upload(offs.data(), sizeof(int64_t) * offs.size());
  }

  // Checks every tensor (presence, shape, finiteness) and packs them into one device buffer.
  void load_weights(const py::dict& tensors) {
    const Dims& d = dims_;
    struct Spec {
      std::string name;
      std::vector<py::ssize_t> shape;
      const float** slot;  // where the first layer's pointer goes
      int layer;           // -1: not per-layer
    };
    std::vector<Spec> specs = {
        {"input.table", {d.K0, d.Q, d.R}, &w_.input_table, -1},
        {"input.bias", {d.R}, &w_.input_bias, -1},
    };
    for (int l = 0; l < d.L; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      specs.push_back({p + "conv.weight", {d.K, d.R, 2 * d.D}, &w_.conv_w, l});
      specs.push_back({p + "conv.bias", {2 * d.D}, &w_.conv_b, l});
      if (d.C > 0) specs.push_back({p + "cond.table", {d.C, 2 * d.D}, &w_.cond_table, l});
      specs.push_back({p + "res.weight", {d.D, d.R}, &w_.res_w, l});
      specs.push_back({p + "res.bias", {d.R}, &w_.res_b, l});
      specs.push_back({p + "skip.weight", {d.D, d.S}, &w_.skip_w, l});
      specs.push_back({p + "skip.bias", {d.S}, &w_.skip_b, l});
    }
    specs.push_back({"out1.weight", {d.S, d.H}, &w_.out1_w, -1});
    specs.push_back({"out1.bias", {d.H}, &w_.out1_b, -1});
    specs.push_back({"out2.weight", {d.H, d.Q}, &w_.out2_w, -1});
    specs.push_back({"out2.bias", {d.Q}, &w_.out2_b, -1});

    // Packing order: by kind (per-layer tensors of a kind back to back), so that a kind's
    // layer l sits at base + l * size, as wavenet_step.h expects.
    std::vector<FloatArray> arrays(specs.size());
    std::vector<size_t> order(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return specs[x].slot < specs[y].slot;
    });
    size_t total = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      const Spec& s = specs[i];
      if (!tensors.contains(s.name.c_str()))
        throw py::value_error("missing tensor '" + s.name + "'");
      py::array raw = py::array::ensure(tensors[s.name.c_str()]);
      if (!raw) throw py::value_error("tensor '" + s.name + "' is not an array");
      const char kind = raw.dtype().kind();
      if (kind != 'f' && kind != 'i' && kind != 'u')
        throw py::value_error("tensor '" + s.name + "' has dtype " + std::string(py::str(raw.dtype())) +
                              ", expected float32");
      FloatArray arr = FloatArray::ensure(raw);
      std::vector<py::ssize_t> got(arr.shape(), arr.shape() + arr.ndim());
      if (got != s.shape) throw py::value_error("tensor '" + s.name + "' has shape " + shape_str(got) +
                                                ", expected " + shape_str(s.shape));
      const float* p = arr.data();
      for (py::ssize_t k = 0; k < arr.size(); ++k)
        if (!std::isfinite(p[k])) throw py::value_error("tensor '" + s.name + "' holds NaN or inf");
      arrays[i] = arr;
      total += static_cast<size_t>(arr.size());
    }
    weights_ = std::make_unique<Buffer>(sizeof(float) * total, emulate_);
    const float* base = weights_->as<float>();
    size_t off = 0;
    for (size_t i : order) {
      const Spec& s = specs[i];
      if (s.layer <= 0) *s.slot = base + off;
      weights_->upload(arrays[i].data(), sizeof(float) * arrays[i].size(), sizeof(float) * off);
      off += static_cast<size_t>(arrays[i].size());
    }
    if (d.C == 0) w_.cond_table = nullptr;
  }

  static std::string shape_str(const std::vector<py::ssize_t>& s) {
    std::string r = "(";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + (s.size() == 1 ? ",)" : ")");
  }

  int device_;
  bool emulate_;
  Dims dims_{};
  std::vector<int> dilations_;
  int64_t ring_stride_ = 0;
  pysynth::wavenet::Weights w_{};
  std::unique_ptr<Buffer> weights_, layer_dil_, layer_off_;
};

py::array_t<float> uniforms(const py::object& seed, const py::object& streams, long long t0, long long n) {
  if (n < 0 || t0 < 0) throw py::value_error("t0 and n must be >= 0");
  const uint64_t s = seed_value(seed);
  IntArray st = int_array(streams, 1, "streams");
  const py::ssize_t B = st.shape(0);
  py::array_t<float> out({B, static_cast<py::ssize_t>(n)});
  float* o = out.mutable_data();
  for (py::ssize_t b = 0; b < B; ++b)
    for (long long i = 0; i < n; ++i)
      o[b * n + i] = pysynth::uniform01(s, static_cast<uint32_t>(st.data()[b]),
                                        static_cast<uint64_t>(t0 + i));
  return out;
}

py::array_t<int32_t> sample_logits(const py::object& logits, float temperature, const py::object& u) {
  FloatArray lg = FloatArray::ensure(logits);
  FloatArray ua = FloatArray::ensure(u);
  if (!lg || lg.ndim() != 2) throw py::value_error("logits must be a 2-D float array (B, Q)");
  if (!ua || ua.ndim() != 1 || ua.shape(0) != lg.shape(0))
    throw py::value_error("u must be a 1-D float array with one entry per row of logits");
  const py::ssize_t B = lg.shape(0), Q = lg.shape(1);
  if (Q < 1) throw py::value_error("logits must have at least one column");
  py::array_t<int32_t> out(B);
  for (py::ssize_t b = 0; b < B; ++b)
    out.mutable_data()[b] = pysynth::sample_logits(lg.data() + b * Q, static_cast<int>(Q), temperature,
                                                   ua.data()[b]);
  return out;
}

}  // namespace

PYBIND11_MODULE(_engine_cuda, m) {
  m.doc() = "pysynth WaveNet sampling engine on a CUDA device (optional module)";
  m.def("device_available", &device_available, "True when a CUDA device can be used.");
  m.def("device_problem", &device_problem,
        "Why no CUDA device can be used ('' when one can): the CUDA runtime's message.");
  m.def("uniforms", &uniforms, py::arg("seed"), py::arg("streams"), py::arg("t0"), py::arg("n"),
        "The uniforms generate() uses: pysynth::uniform01(seed, streams[b], t0 + i), computed on the host.");
  m.def("sample_logits", &sample_logits, py::arg("logits"), py::arg("temperature"), py::arg("u"),
        "pysynth::sample_logits row by row on the host (the rule the kernel applies on the device).");

  py::class_<CudaWaveNetEngine>(m, "WaveNetEngine",
                                "WaveNet incremental sampling on a CUDA device (weights and ring "
                                "buffers resident in device memory). emulate=True runs the kernel's "
                                "phase code on the host, for tests without a GPU.")
      .def(py::init<const std::string&, const py::dict&, int, bool>(), py::arg("program_json"),
           py::arg("tensors"), py::arg("device") = 0, py::kw_only(), py::arg("emulate") = false)
      .def_property_readonly("levels", &CudaWaveNetEngine::levels)
      .def_property_readonly("receptive_field", &CudaWaveNetEngine::receptive_field)
      .def_property_readonly("device", &CudaWaveNetEngine::device)
      .def_property_readonly("emulated", &CudaWaveNetEngine::emulated)
      .def("logits", &CudaWaveNetEngine::logits, py::arg("q"), py::arg("cond") = py::none())
      .def("nll", &CudaWaveNetEngine::nll, py::arg("q"), py::arg("cond") = py::none())
      .def("generate", &CudaWaveNetEngine::generate, py::arg("n"), py::kw_only(), py::arg("streams"),
           py::arg("seed"), py::arg("temperature") = 1.0, py::arg("prime") = py::none(),
           py::arg("cond") = py::none(), py::arg("chunk") = 16000, py::arg("callback") = py::none());
}
