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

// Runs the same phases on the host, thread ids in a loop (descending, so a phase that read
// what a lower thread id of the same phase writes would be caught by the tests). Pointers
// in `a` are host pointers. Slow; for tests on machines without a GPU.
void samplernn_emulate(const samplernn::StepArgs& a, int threads, size_t smem);

}  // namespace cuda
}  // namespace pysynth
