// What both CUDA engines do around their kernels, written once: the shared-memory check at
// construction, launches of at most kStepsPerLaunch steps, and the teacher-forced (score) and
// generating passes in windows of W steps whose outputs are copied back per window. Each
// engine supplies its StepArgs (same window fields in both families) and a `run` that
// launches (or emulates) its kernel over the steps `a` names.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "device_memory.cuh"

namespace pysynth {
namespace cuda {

// Refuses a model one stream of which needs more shared memory than the kernel allows (200
// KiB) or, on a device, than the device allows.
inline void check_shared_memory(size_t smem, int device, bool emulate) {
  if (smem > 200 * 1024)
    throw std::invalid_argument("model too wide for the CUDA kernel: one stream needs " +
                                std::to_string(smem) + " bytes of shared memory (limit 200 KiB)");
  if (emulate) return;
  int optin = 0;
  check_cuda(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
             "cudaDeviceGetAttribute");
  if (smem > static_cast<size_t>(optin))
    throw std::invalid_argument("model too wide for CUDA device " + std::to_string(device) +
                                ": one stream needs " + std::to_string(smem) +
                                " bytes of shared memory, the device allows " +
                                std::to_string(optin));
}

// Point `a` at steps t0 .. t0 + n - 1: teacher-forced from `forced` (row stride ld) when it
// is not null, else sampled.
template <class StepArgs>
void window(StepArgs& a, int64_t t0, int n, const int32_t* forced, int64_t ld) {
  a.t0 = t0;
  a.n = n;
  a.forced = forced;
  a.forced_ld = ld;
  a.nforced = forced ? n : 0;
}

// Calls launch(s) for the steps of `a` in pieces of at most kStepsPerLaunch steps (a launch
// must stay short); launch returns an error string, empty on success.
template <class StepArgs, class Launch>
void launch_in_pieces(const StepArgs& a, const char* kernel, Launch launch) {
  static constexpr int kStepsPerLaunch = 1024;
  for (int done = 0; done < a.n; done += kStepsPerLaunch) {
    StepArgs s = a;
    s.n = std::min(kStepsPerLaunch, a.n - done);
    s.t0 = a.t0 + done;
    s.nforced = std::max(0, std::min(a.nforced - done, s.n));
    s.forced = a.forced != nullptr ? a.forced + done : nullptr;
    s.out_col = a.out_col + done;
    const std::string err = launch(s);
    if (!err.empty()) throw std::runtime_error(std::string("CUDA error in the ") + kernel + ": " + err);
  }
}

// The launch of a kernel on `device`, or its error.
template <class Launch>
std::string on_device(int device, Launch launch) {
  const cudaError_t e = cudaSetDevice(device);
  return e != cudaSuccess ? std::string("cudaSetDevice: ") + cudaGetErrorString(e) : launch();
}

// Teacher-forced pass over q (B, T): windows of W steps from q_dev, each run then its N
// output numbers per step copied into logits (B, T, N) and/or turned into NLL in bits
// (B, T) (a mixture of MX logistics when MX > 0, else a softmax over Q levels).
template <class StepArgs, class Run, class Poll>
void score_in_windows(StepArgs a, const Buffer& out, const Buffer& q_dev, const int32_t* q,
                      int B, int64_t T, int W, int N, int Q, int MX, float* logits, float* nll,
                      Run run, Poll poll) {
  std::vector<float> host(static_cast<size_t>(B) * W * N);
  for (int64_t start = 0; start < T; start += W) {
    window(a, start, static_cast<int>(std::min<int64_t>(W, T - start)),
           q_dev.as<int32_t>() + start, T);
    run(a);
    out.download(host.data(), sizeof(float) * host.size());
    // host is (B, W, N) with a.n <= W columns filled.
    for (int b = 0; b < B; ++b) {
      const float* lg = host.data() + static_cast<int64_t>(b) * W * N;
      const int64_t row = static_cast<int64_t>(b) * T + start;
      if (logits) std::memcpy(logits + row * N, lg, sizeof(float) * a.n * N);
      if (nll)
        for (int i = 0; i < a.n; ++i) {
          const float* p = lg + static_cast<int64_t>(i) * N;
          nll[row + i] = MX > 0 ? mixture_nll_bits(p, MX, Q, q[row + i]) : nll_bits(p, Q, q[row + i]);
        }
    }
    poll();
  }
}

// Generating pass: the prime (B, P) teacher-forced from prime_dev, then n sampled steps in
// windows of W, each window's (B, a.n) block handed to emit(block, B, a.n, offset).
template <class StepArgs, class Run, class Emit, class Poll>
void generate_in_windows(StepArgs a, const Buffer& out_q, const Buffer& prime_dev, int64_t P,
                         int B, int W, int64_t n, Run run, Emit emit, Poll poll) {
  for (int64_t start = 0; start < P; start += W) {
    window(a, start, static_cast<int>(std::min<int64_t>(W, P - start)),
           prime_dev.as<int32_t>() + start, P);
    run(a);
    poll();
  }
  std::vector<int32_t> host(static_cast<size_t>(B) * W), block;
  for (int64_t done = 0; done < n; done += W) {
    window(a, P + done, static_cast<int>(std::min<int64_t>(W, n - done)), nullptr, 0);
    run(a);
    // The outputs are laid out (B, W); the last window may fill only a.n columns.
    out_q.download(host.data(), sizeof(int32_t) * host.size());
    const int32_t* out = host.data();
    if (a.n < W) {
      block.resize(static_cast<size_t>(B) * a.n);
      for (int b = 0; b < B; ++b)
        std::memcpy(block.data() + static_cast<int64_t>(b) * a.n,
                    host.data() + static_cast<int64_t>(b) * W, sizeof(int32_t) * a.n);
      out = block.data();
    }
    emit(out, B, a.n, done);
    poll();
  }
}

}  // namespace cuda
}  // namespace pysynth
