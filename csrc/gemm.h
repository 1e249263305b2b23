// Batched small matrix products for the sampling engine: C[M x N] (+)= A[M x K] @ W[K x N].
//
// Row-major everywhere; M is the batch of streams (1..128), W is a weight matrix laid out
// (in, out) as exported. Weights are constant for an engine's lifetime, so they are packed
// once into panels of 16 columns (each panel K x 16, contiguous) and multiplied with a
// register-blocked 6x16 AVX2/FMA microkernel that streams a panel from cache exactly once
// per 6 rows. Every row of C is computed by the same sequence of FMAs whatever M and
// whatever block the row falls in, so a stream's result never depends on the batch size or
// on how streams are split across threads (the engine's reproducibility relies on this).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define PYSYNTH_GEMM_AVX2 1
#endif

namespace pysynth {

// ---- plain reference product (kept for callers outside the engine) --------------------
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

// ---- aligned float storage ---------------------------------------------------------------
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// A zero-initialised float buffer aligned to 64 bytes (one cache line, two AVX registers).
class FloatBuffer {
 public:
  FloatBuffer() = default;
  explicit FloatBuffer(std::size_t n) { resize(n); }
  void resize(std::size_t n) {
    n_ = n;
    std::size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
    if (bytes == 0) bytes = 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    p_.reset(p);
  }
  void zero() { if (p_) std::memset(p_.get(), 0, n_ * sizeof(float)); }
  float* data() { return p_.get(); }
  const float* data() const { return p_.get(); }
  std::size_t size() const { return n_; }
  float& operator[](std::size_t i) { return p_.get()[i]; }
  const float& operator[](std::size_t i) const { return p_.get()[i]; }

 private:
  std::unique_ptr<float, AlignedFree> p_;
  std::size_t n_ = 0;
};

constexpr int kPanel = 16;  // columns per packed panel (two 8-float AVX registers)
constexpr int kRowBlock = 6;  // rows per microkernel call (12 accumulators + 3 temporaries)

inline int round_up(int n, int m) { return (n + m - 1) / m * m; }

// A (K x N) weight matrix with an optional bias, packed into ceil(N/16) panels of K x 16
// floats (zero-padded columns). C buffers multiplied by it must have ldc >= padded_n().
struct PackedMatrix {
  int K = 0, N = 0;
  FloatBuffer panels;  // [panel][k][16]
  FloatBuffer bias;    // padded_n() floats, zeros past N (and all zeros without a bias)
  bool has_bias = false;

  int num_panels() const { return (N + kPanel - 1) / kPanel; }
  int padded_n() const { return num_panels() * kPanel; }

  // W: row-major (K x N) with leading dimension ldw; b: N floats or nullptr.
  void pack(const float* W, std::ptrdiff_t ldw, int k, int n, const float* b) {
    K = k;
    N = n;
    panels.resize(static_cast<std::size_t>(num_panels()) * K * kPanel);
    for (int p = 0; p < num_panels(); ++p) {
      float* dst = panels.data() + static_cast<std::size_t>(p) * K * kPanel;
      const int c0 = p * kPanel, cn = std::min(kPanel, N - c0);
      for (int r = 0; r < K; ++r)
        for (int j = 0; j < cn; ++j) dst[r * kPanel + j] = W[r * ldw + c0 + j];
    }
    bias.resize(padded_n());
    has_bias = b != nullptr;
    if (b)
      for (int j = 0; j < N; ++j) bias[j] = b[j];
  }
};

namespace detail {

#if PYSYNTH_GEMM_AVX2
// C[MR x 16] = (accumulate ? C : 0) + bias + A[MR x K] @ P[K x 16]
template <int MR>
inline void micro_16(int K, const float* A, std::ptrdiff_t lda, const float* P, const float* bias,
                     float* C, std::ptrdiff_t ldc, bool accumulate) {
  __m256 c0[MR], c1[MR];
  const __m256 b0 = _mm256_load_ps(bias), b1 = _mm256_load_ps(bias + 8);
  for (int i = 0; i < MR; ++i) {
    if (accumulate) {
      c0[i] = _mm256_add_ps(_mm256_loadu_ps(C + i * ldc), b0);
      c1[i] = _mm256_add_ps(_mm256_loadu_ps(C + i * ldc + 8), b1);
    } else {
      c0[i] = b0;
      c1[i] = b1;
    }
  }
  // Accumulate the product into fresh registers first, then add: the sum order per
  // element is fixed ((C + bias) + sum_k), independent of MR.
  __m256 s0[MR], s1[MR];
  for (int i = 0; i < MR; ++i) s0[i] = s1[i] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < K; ++k) {
    const __m256 w0 = _mm256_load_ps(P + k * kPanel), w1 = _mm256_load_ps(P + k * kPanel + 8);
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(A + i * lda + k);
      s0[i] = _mm256_fmadd_ps(a, w0, s0[i]);
      s1[i] = _mm256_fmadd_ps(a, w1, s1[i]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(C + i * ldc, _mm256_add_ps(c0[i], s0[i]));
    _mm256_storeu_ps(C + i * ldc + 8, _mm256_add_ps(c1[i], s1[i]));
  }
}
#else
template <int MR>
inline void micro_16(int K, const float* A, std::ptrdiff_t lda, const float* P, const float* bias,
                     float* C, std::ptrdiff_t ldc, bool accumulate) {
  for (int i = 0; i < MR; ++i) {
    float s[kPanel] = {0};
    for (int k = 0; k < K; ++k) {
      const float a = A[i * lda + k];
      for (int j = 0; j < kPanel; ++j) s[j] += a * P[k * kPanel + j];
    }
    for (int j = 0; j < kPanel; ++j) {
      const float base = (accumulate ? C[i * ldc + j] + bias[j] : bias[j]);
      C[i * ldc + j] = base + s[j];
    }
  }
}
#endif

}  // namespace detail

// C[M x padded_n] = (accumulate ? C : 0) + bias + A[M x K] @ W. C's padding columns receive
// zeros (plus their previous value when accumulating); ldc must be >= W.padded_n().
inline void gemm_packed(const float* A, std::ptrdiff_t lda, const PackedMatrix& W, float* C,
                        std::ptrdiff_t ldc, int M, bool accumulate) {
  const int K = W.K;
  for (int p = 0; p < W.num_panels(); ++p) {
    const float* P = W.panels.data() + static_cast<std::size_t>(p) * K * kPanel;
    const float* b = W.bias.data() + p * kPanel;
    float* Cp = C + p * kPanel;
    int i = 0;
    for (; i + kRowBlock <= M; i += kRowBlock)
      detail::micro_16<kRowBlock>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate);
    switch (M - i) {
      case 5: detail::micro_16<5>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate); break;
      case 4: detail::micro_16<4>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate); break;
      case 3: detail::micro_16<3>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate); break;
      case 2: detail::micro_16<2>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate); break;
      case 1: detail::micro_16<1>(K, A + i * lda, lda, P, b, Cp + i * ldc, ldc, accumulate); break;
      default: break;
    }
  }
}

}  // namespace pysynth
