// The SampleRNN incremental-sampling kernel: one block per stream, weights resident in
// device memory, RNN states, conditioning rows and the sample history in device memory,
// and the steps of a launch in a loop inside the kernel (streams are independent, so no
// grid-wide synchronisation is needed). The per-phase math is csrc/samplernn_step.h.
#include <cuda_runtime.h>

#include <vector>

#include "samplernn_kernel.h"

namespace pysynth {
namespace cuda {

namespace {

// At most 512 threads (samplernn::block_threads), so the compiler keeps registers within
// what a 512-thread block may use.
__global__ void __launch_bounds__(512) samplernn_steps_kernel(samplernn::StepArgs a) {
  extern __shared__ float smem[];
  samplernn::Scratch s = samplernn::carve_scratch(smem, a.dims);
  const int b = blockIdx.x;
  const int tid = threadIdx.x, nth = blockDim.x;
  const int phases = samplernn::num_phases(a);
  for (int step = 0; step < a.n; ++step) {
    for (int p = 0; p < phases; ++p) {
      // The condition is the same for every thread of the block, so the barrier is safe.
      if (!samplernn::phase_needed(a, p, step)) continue;
      samplernn::run_phase(a, s, b, step, p, tid, nth);
      __syncthreads();
    }
  }
}

// One phase of one step, each stream (blockIdx.y) spread over gridDim.x blocks.
__global__ void __launch_bounds__(512) samplernn_phase_kernel(samplernn::StepArgs a,
                                                              float* scratch,
                                                              int64_t scratch_stride, int step,
                                                              int phase) {
  const int b = blockIdx.y;
  samplernn::Scratch s = samplernn::carve_scratch(scratch + b * scratch_stride, a.dims);
  const int tid = blockIdx.x * blockDim.x + threadIdx.x, nth = gridDim.x * blockDim.x;
  samplernn::run_phase(a, s, b, step, phase, tid, nth);
}

}  // namespace

std::string samplernn_launch_wide(const samplernn::StepArgs& a, int threads, int blocks,
                                  float* scratch, int64_t scratch_stride,
                                  const samplernn::TierWeights* host_tiers) {
  if (a.n <= 0 || a.B <= 0) return std::string();
  samplernn::StepArgs h = a;  // for the host's phase schedule only
  h.w.tiers = host_tiers;
  const int phases = samplernn::num_phases(h);
  const dim3 grid(blocks, a.B);
  for (int step = 0; step < a.n; ++step)
    for (int p = 0; p < phases; ++p) {
      if (!samplernn::phase_needed(h, p, step)) continue;
      samplernn_phase_kernel<<<grid, threads>>>(a, scratch, scratch_stride, step, p);
    }
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return std::string("kernel launch: ") + cudaGetErrorString(err);
  err = cudaDeviceSynchronize();
  if (err != cudaSuccess) return std::string("kernel run: ") + cudaGetErrorString(err);
  return std::string();
}

void samplernn_emulate_wide(const samplernn::StepArgs& a, int threads, int blocks,
                            float* scratch, int64_t scratch_stride) {
  const int phases = samplernn::num_phases(a), nth = threads * blocks;
  for (int step = 0; step < a.n; ++step)
    for (int p = 0; p < phases; ++p) {
      if (!samplernn::phase_needed(a, p, step)) continue;
      for (int b = 0; b < a.B; ++b) {
        samplernn::Scratch s = samplernn::carve_scratch(scratch + b * scratch_stride, a.dims);
        for (int tid = nth - 1; tid >= 0; --tid)
          samplernn::run_phase(a, s, b, step, p, tid, nth);
      }
    }
}

std::string samplernn_launch(const samplernn::StepArgs& a, int threads, size_t smem) {
  if (a.n <= 0 || a.B <= 0) return std::string();
  cudaError_t err = cudaSuccess;
  if (smem > 48 * 1024) {
    err = cudaFuncSetAttribute(samplernn_steps_kernel,
                               cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
    if (err != cudaSuccess) return std::string("cudaFuncSetAttribute: ") + cudaGetErrorString(err);
  }
  samplernn_steps_kernel<<<a.B, threads, smem>>>(a);
  err = cudaGetLastError();
  if (err != cudaSuccess) return std::string("kernel launch: ") + cudaGetErrorString(err);
  err = cudaDeviceSynchronize();
  if (err != cudaSuccess) return std::string("kernel run: ") + cudaGetErrorString(err);
  return std::string();
}

void samplernn_emulate(const samplernn::StepArgs& a, int threads, size_t smem) {
  const int phases = samplernn::num_phases(a);
  std::vector<float> shared(smem / sizeof(float));
  for (int b = 0; b < a.B; ++b) {
    samplernn::Scratch s = samplernn::carve_scratch(shared.data(), a.dims);
    for (int step = 0; step < a.n; ++step) {
      for (int p = 0; p < phases; ++p) {
        if (!samplernn::phase_needed(a, p, step)) continue;
        for (int tid = threads - 1; tid >= 0; --tid)
          samplernn::run_phase(a, s, b, step, p, tid, threads);
      }
    }
  }
}

}  // namespace cuda
}  // namespace pysynth
