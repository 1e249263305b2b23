// Launchers of the SampleRNN step kernel (samplernn_kernel.cu), used by the engine
// (samplernn_engine.cu).
#pragma once

#include <string>

#include "samplernn_step.h"

namespace pysynth {
namespace cuda {

// Runs a.n steps of a.B streams on the current CUDA device (one block of `threads` threads
// per stream, `smem` bytes of shared memory each, the steps in a loop inside the kernel) and
// waits for them. Pointers in `a` are device pointers. Returns an empty string on success,
// else the CUDA error text.
std::string samplernn_launch(const samplernn::StepArgs& a, int threads, size_t smem);

// The same steps with each stream spread over `blocks` blocks (the products split over
// blocks * threads threads): one launch per phase, queued back to back on the current
// device's default stream (a launch boundary is the barrier), then one wait. `scratch` is
// device memory, scratch_stride floats per stream (scratch_floats for blocks * threads);
// `host_tiers` is a host copy of a.w.tiers, from which the host decides which phases run.
std::string samplernn_launch_wide(const samplernn::StepArgs& a, int threads, int blocks,
                                  float* scratch, int64_t scratch_stride,
                                  const samplernn::TierWeights* host_tiers);

// Runs the same phases on the host, thread ids in a loop (descending, so a phase that read
// what a lower thread id of the same phase writes would be caught by the tests). Pointers
// in `a` are host pointers. Slow; for tests on machines without a GPU.
void samplernn_emulate(const samplernn::StepArgs& a, int threads, size_t smem);

// samplernn_launch_wide's phases on the host (all blocks * threads thread ids of a stream in
// one loop, descending; scratch is host memory).
void samplernn_emulate_wide(const samplernn::StepArgs& a, int threads, int blocks,
                            float* scratch, int64_t scratch_stride);

}  // namespace cuda
}  // namespace pysynth
