// Batched small matrix products for the sampling engine: C[M x N] (+)= A[M x K] @ W[K x N].
//
// Row-major everywhere; M is the batch of streams (1..128), W is a weight matrix laid out
// (in, out) as exported. This first version is plain loops ordered so the compiler
// vectorises the inner loop over N; the engine engineer replaces it with a blocked kernel.
#pragma once

#include <cstddef>

namespace pysynth {

inline void gemm_rowmajor(const float* A, std::ptrdiff_t lda, const float* W, std::ptrdiff_t ldw,
                          float* C, std::ptrdiff_t ldc, int M, int K, int N, bool accumulate) {
  for (int i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (!accumulate)
      for (int n = 0; n < N; ++n) c[n] = 0.0f;
    const float* a = A + i * lda;
    for (int k = 0; k < K; ++k) {
      const float av = a[k];
      const float* w = W + k * ldw;
      for (int n = 0; n < N; ++n) c[n] += av * w[n];
    }
  }
}

}  // namespace pysynth
