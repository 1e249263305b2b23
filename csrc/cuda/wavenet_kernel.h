// Launchers of the WaveNet step kernel (wavenet_kernel.cu), used by the engine (wavenet_engine.cu).
#pragma once

#include <string>

#include "wavenet_step.h"

namespace pysynth {
namespace cuda {

// Threads per block for these sizes: enough to cover the widest phase, a multiple of 32.
int wavenet_block_threads(const wavenet::Dims& d);

// Bytes of shared memory one block needs (the per-stream Scratch).
size_t wavenet_shared_bytes(const wavenet::Dims& d);

// Runs a.n steps of a.B streams on the current CUDA device (one block per stream, the
// steps in a loop inside the kernel) and waits for them. Pointers in `a` are device
// pointers. Returns an empty string on success, else the CUDA error text.
std::string wavenet_launch(const wavenet::StepArgs& a);

// Runs the same phases on the host, thread ids in a loop (descending, so a phase that read
// what a lower thread id of the same phase writes would be caught by the tests). Pointers
// in `a` are host pointers. Slow; for tests on machines without a GPU.
void wavenet_emulate(const wavenet::StepArgs& a);

}  // namespace cuda
}  // namespace pysynth
