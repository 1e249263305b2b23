// The WaveNet incremental-sampling kernel: one block per stream, weights resident in
// device memory, per-layer ring buffers of past activations in device memory, and the
// steps of a launch in a loop inside the kernel (streams are independent, so no grid-wide
// synchronisation is needed). The per-phase math is csrc/wavenet_step.h.
#include <cuda_runtime.h>

#include <vector>

#include "wavenet_kernel.h"

namespace pysynth {
namespace cuda {

namespace {

// At most 512 threads (wavenet_block_threads), so the compiler keeps registers within
// what a 512-thread block may use.
__global__ void __launch_bounds__(512) wavenet_steps_kernel(wavenet::StepArgs a) {
  extern __shared__ float smem[];
  wavenet::Scratch s = wavenet::carve_scratch(smem, a.dims);
  const int b = blockIdx.x;
  const int tid = threadIdx.x, nth = blockDim.x;
  const int phases = wavenet::num_phases(a.dims);
  for (int step = 0; step < a.n; ++step) {
    for (int p = 0; p < phases; ++p) {
      // The condition is the same for every thread of the block, so the barrier is safe.
      if (!wavenet::phase_needed(a, p, step)) continue;
      wavenet::run_phase(a, s, b, step, p, tid, nth);
      __syncthreads();
    }
  }
}

}  // namespace

int wavenet_block_threads(const wavenet::Dims& d) { return wavenet::block_threads(d); }

size_t wavenet_shared_bytes(const wavenet::Dims& d) {
  return sizeof(float) * static_cast<size_t>(wavenet::scratch_floats(d, wavenet::block_threads(d)));
}

std::string wavenet_launch(const wavenet::StepArgs& a) {
  if (a.n <= 0 || a.B <= 0) return std::string();
  const size_t smem = wavenet_shared_bytes(a.dims);
  cudaError_t err = cudaSuccess;
  if (smem > 48 * 1024) {
    err = cudaFuncSetAttribute(wavenet_steps_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(smem));
    if (err != cudaSuccess) return std::string("cudaFuncSetAttribute: ") + cudaGetErrorString(err);
  }
  wavenet_steps_kernel<<<a.B, wavenet_block_threads(a.dims), smem>>>(a);
  err = cudaGetLastError();
  if (err != cudaSuccess) return std::string("kernel launch: ") + cudaGetErrorString(err);
  err = cudaDeviceSynchronize();
  if (err != cudaSuccess) return std::string("kernel run: ") + cudaGetErrorString(err);
  return std::string();
}

void wavenet_emulate(const wavenet::StepArgs& a) {
  const int nth = wavenet_block_threads(a.dims);
  const int phases = wavenet::num_phases(a.dims);
  std::vector<float> smem(static_cast<size_t>(wavenet::scratch_floats(a.dims, nth)));
  for (int b = 0; b < a.B; ++b) {
    wavenet::Scratch s = wavenet::carve_scratch(smem.data(), a.dims);
    for (int step = 0; step < a.n; ++step) {
      for (int p = 0; p < phases; ++p) {
        if (!wavenet::phase_needed(a, p, step)) continue;
        for (int tid = nth - 1; tid >= 0; --tid) wavenet::run_phase(a, s, b, step, p, tid, nth);
      }
    }
  }
}

}  // namespace cuda
}  // namespace pysynth
