// Optional CUDA module pysynth._engine_cuda: built only when CMake finds a CUDA compiler.
#include <pybind11/pybind11.h>
#include <cuda_runtime.h>

namespace py = pybind11;

namespace {
__global__ void iota_kernel(int* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = i;
}

bool device_available() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}
}  // namespace

PYBIND11_MODULE(_engine_cuda, m) {
  m.doc() = "pysynth CUDA sampling kernels";
  m.def("device_available", &device_available, "True when a CUDA device can be used.");
  m.def("iota_check", [](int n) {
    int* d = nullptr;
    if (cudaMalloc(&d, sizeof(int) * n) != cudaSuccess) throw std::runtime_error("cudaMalloc failed");
    iota_kernel<<<(n + 127) / 128, 128>>>(d, n);
    std::vector<int> h(n);
    cudaMemcpy(h.data(), d, sizeof(int) * n, cudaMemcpyDeviceToHost);
    cudaFree(d);
    long long s = 0;
    for (int v : h) s += v;
    return s;
  });
}
