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
#include <type_traits>
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
// C[MR x 16 NP] = (accumulate ? C : 0) + bias + A[MR x K] @ [P_0 .. P_{NP-1}] over NP
// consecutive panels. Every column accumulates sum_k a_k w_k from zero in k order and only
// then adds (C + bias), so a row's result is the same whatever MR and NP.
template <int MR, int NP>
inline void micro(int K, const float* A, std::ptrdiff_t lda, const float* P,
                  std::ptrdiff_t panel_stride, const float* bias, float* C, std::ptrdiff_t ldc,
                  bool accumulate) {
  __m256 s[MR][2 * NP];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < 2 * NP; ++j) s[i][j] = _mm256_setzero_ps();
  const float* a_row[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) a_row[i] = A + i * lda;
#pragma GCC unroll 2
  for (int k = 0; k < K; ++k) {
    __m256 w[2 * NP];
#pragma GCC unroll 16
    for (int p = 0; p < NP; ++p) {
      w[2 * p] = _mm256_load_ps(P + p * panel_stride + k * kPanel);
      w[2 * p + 1] = _mm256_load_ps(P + p * panel_stride + k * kPanel + 8);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(a_row[i] + k);
#pragma GCC unroll 16
      for (int j = 0; j < 2 * NP; ++j) s[i][j] = _mm256_fmadd_ps(a, w[j], s[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < 2 * NP; ++j) {
      float* c = C + i * ldc + j * 8;
      __m256 base = _mm256_load_ps(bias + j * 8);
      if (accumulate) base = _mm256_add_ps(_mm256_loadu_ps(c), base);
      _mm256_storeu_ps(c, _mm256_add_ps(base, s[i][j]));
    }
}
#else
template <int MR, int NP>
inline void micro(int K, const float* A, std::ptrdiff_t lda, const float* P,
                  std::ptrdiff_t panel_stride, const float* bias, float* C, std::ptrdiff_t ldc,
                  bool accumulate) {
  for (int i = 0; i < MR; ++i)
    for (int p = 0; p < NP; ++p) {
      float s[kPanel] = {0};
      for (int k = 0; k < K; ++k) {
        const float a = A[i * lda + k];
        for (int j = 0; j < kPanel; ++j) s[j] += a * P[p * panel_stride + k * kPanel + j];
      }
      for (int j = 0; j < kPanel; ++j) {
        float* c = C + i * ldc + p * kPanel + j;
        const float base = accumulate ? *c + bias[p * kPanel + j] : bias[p * kPanel + j];
        *c = base + s[j];
      }
    }
}
#endif

}  // namespace detail


// C[M x padded_n] = (accumulate ? C : 0) + bias + A[M x K] @ W. C's padding columns receive
// zeros (plus their previous value when accumulating); ldc must be >= W.padded_n().
//
// Row blocks of 6 use one panel (12 accumulators); the 1..5 leftover rows sweep 2 or 4
// panels at a time so that even a single stream keeps 8+ independent FMA chains in flight.
// gemm_packed_panels computes only the column panels [p_begin, p_end), so threads can split
// one product by columns; the arithmetic of each element is the same either way.
inline void gemm_packed_panels(const float* A, std::ptrdiff_t lda, const PackedMatrix& W,
                               float* C, std::ptrdiff_t ldc, int M, bool accumulate, int p_begin,
                               int p_end) {
  using detail::micro;
  const int K = W.K;
  const std::ptrdiff_t ps = static_cast<std::ptrdiff_t>(K) * kPanel;
  const float* P0 = W.panels.data();
  const float* b0 = W.bias.data();
  const int full = M / kRowBlock * kRowBlock;
  for (int p = p_begin; p < p_end; ++p) {
    const float* P = P0 + p * ps;
    for (int i = 0; i < full; i += kRowBlock)
      micro<kRowBlock, 1>(K, A + i * lda, lda, P, ps, b0 + p * kPanel, C + i * ldc + p * kPanel,
                          ldc, accumulate);
  }
  const int rest = M - full;
  if (rest == 0) return;
  const float* Ar = A + full * lda;
  float* Cr = C + full * ldc;
  int p = p_begin;
  auto run = [&](auto mr, auto np) {
    constexpr int MR = decltype(mr)::value, NP = decltype(np)::value;
    for (; p + NP <= p_end; p += NP)
      micro<MR, NP>(K, Ar, lda, P0 + p * ps, ps, b0 + p * kPanel, Cr + p * kPanel, ldc,
                    accumulate);
    for (; p < p_end; ++p)
      micro<MR, 1>(K, Ar, lda, P0 + p * ps, ps, b0 + p * kPanel, Cr + p * kPanel, ldc,
                   accumulate);
  };
  using I1 = std::integral_constant<int, 1>;
  using I2 = std::integral_constant<int, 2>;
  using I4 = std::integral_constant<int, 4>;
  switch (rest) {
    case 5: run(std::integral_constant<int, 5>{}, I1{}); break;
    case 4: run(std::integral_constant<int, 4>{}, I1{}); break;
    case 3: run(std::integral_constant<int, 3>{}, I2{}); break;
    case 2: run(I2{}, I2{}); break;
    default: run(I1{}, I4{}); break;
  }
}

// The whole product (every panel).
inline void gemm_packed(const float* A, std::ptrdiff_t lda, const PackedMatrix& W, float* C,
                        std::ptrdiff_t ldc, int M, bool accumulate) {
  gemm_packed_panels(A, lda, W, C, ldc, M, accumulate, 0, W.num_panels());
}

}  // namespace pysynth
