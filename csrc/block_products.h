// Matrix-vector products split over the threads of one CUDA block, shared by the WaveNet and
// SampleRNN step code (wavenet_step.h, samplernn_step.h); PYSYNTH_HD, so the host emulation
// of each kernel runs the very same arithmetic.
//
// A product with N output columns and K inputs is split into P = split_parts(N, K, nth)
// contiguous input ranges: work item i = p*N + n sums range p of column n (consecutive
// threads read consecutive columns of the row-major (K, N) weight, so reads are coalesced),
// and a later phase adds the P partial sums. A step is then many short chains of loads in
// parallel rather than one long chain per column.
#pragma once

#include <cstdint>

#include "common.h"

namespace pysynth {

PYSYNTH_HD int max_i(int a, int b) { return a > b ? a : b; }
PYSYNTH_HD int min_i(int a, int b) { return a < b ? a : b; }

// Number of k-ranges a product with N columns and K inputs is split into.
PYSYNTH_HD int split_parts(int N, int K, int nth) {
  return max_i(1, min_i(K, nth / N));
}

// part[p*N + n] = sum over k in range p of x(k) * W[k*N + n], with P = split_parts(N, K, nth)
// ranges, for work item i = p*N + n; `relu_x` applies relu to the inputs.
PYSYNTH_HD void partial_products(const float* x, bool relu_x, const float* W, int K, int N,
                                 int P, float* part, int i) {
  const int p = i / N, n = i - p * N;
  const int kc = (K + P - 1) / P;
  const int k0 = p * kc, k1 = min_i(K, k0 + kc);
  float acc = 0.0f;
  for (int k = k0; k < k1; ++k) {
    const float v = relu_x ? reluf(x[k]) : x[k];
    acc += v * W[static_cast<int64_t>(k) * N + n];
  }
  part[i] = acc;
}

// sum_p part[p*N + n]
PYSYNTH_HD float sum_parts(const float* part, int N, int P, int n) {
  float acc = 0.0f;
  for (int p = 0; p < P; ++p) acc += part[p * N + n];
  return acc;
}

}  // namespace pysynth
