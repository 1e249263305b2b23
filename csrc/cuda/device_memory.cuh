// Device memory and device detection shared by the CUDA engines (wavenet_engine.cu,
// samplernn_engine.cu): plain cudaMalloc buffers (never managed memory) that hold host
// memory instead when an engine emulates its kernel on the host.
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace pysynth {
namespace cuda {

// Why no device can be used, or an empty string when one can.
inline std::string device_problem() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return cudaGetErrorString(err);
  }
  if (count <= 0) return "the CUDA runtime reports 0 devices";
  return std::string();
}

inline void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(err));
}

// The device an engine runs on, checked: throws std::runtime_error when no device can be
// used and std::invalid_argument when `device` is out of range; makes it current.
inline void select_device(int device) {
  const std::string why = device_problem();
  if (!why.empty()) throw std::runtime_error("no CUDA device available: " + why);
  int count = 0;
  check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (device < 0 || device >= count)
    throw std::invalid_argument("device " + std::to_string(device) + " is out of range: " +
                                std::to_string(count) + " CUDA device(s)");
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
}

// A buffer in device memory or, when emulating, in host memory; zeroed, freed on destruction.
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

}  // namespace cuda
}  // namespace pysynth
