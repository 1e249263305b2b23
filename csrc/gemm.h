// Batched small matrix products for the sampling engine: C[M x N] (+)= A[M x K] @ W[K x N].
//
// Row-major everywhere; M is the batch of streams (1..128), W is a weight matrix laid out
// (in, out) as exported. Weights are constant for an engine's lifetime, so they are packed
// once into panels of 16 columns (each panel K x 16, contiguous) and multiplied with a
// register-blocked microkernel (6 rows x 16 or 32 columns) that streams a panel from cache
// once per 6 rows. Every row of C is computed by the same sequence of FMAs whatever M and
// whatever block the row falls in, so a stream's result never depends on the batch size or
// on how streams are split across threads (the engine's reproducibility relies on this).
//
// Kernels, chosen when the engine is compiled (the build targets the native machine):
// - float32, AVX-512 (with __AVX512F__, unless PYSYNTH_GEMM_FORCE_AVX2 is defined): one
//   16-float register per panel row; each lane runs the very FMA sequence of the AVX2
//   kernel (zero, then fma(a_k, w_k) in k order, then + (C + bias)), so the two give
//   bit-identical results and the choice is only about speed;
// - float32, AVX2/FMA: two 8-float registers per panel row; the portable loop otherwise;
// - bf16 weights (an engine option; with __AVX512BF16__): panels stored as bfloat16 pairs
//   (k, k+1) and multiplied by vdpbf16ps with the rows of A rounded to bfloat16 once per
//   product. Half the bytes per weight, for memory-bound single streams; less accurate.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define PYSYNTH_GEMM_AVX2 1
#endif
#if defined(__AVX512F__) && !defined(PYSYNTH_GEMM_FORCE_AVX2)
#include <immintrin.h>
#define PYSYNTH_GEMM_AVX512 1
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512BF16__)
#include <immintrin.h>
#define PYSYNTH_GEMM_BF16 1
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

// ---- aligned storage -----------------------------------------------------------------------
struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

// A zero-initialised buffer of T aligned to 64 bytes (one cache line, one AVX-512 register).
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n) { resize(n); }
  void resize(std::size_t n) {
    n_ = n;
    std::size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    if (bytes == 0) bytes = 64;
    T* p = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    p_.reset(p);
  }
  void zero() { if (p_) std::memset(p_.get(), 0, n_ * sizeof(T)); }
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_.get()[i]; }
  const T& operator[](std::size_t i) const { return p_.get()[i]; }

 private:
  std::unique_ptr<T, AlignedFree> p_;
  std::size_t n_ = 0;
};
using FloatBuffer = AlignedBuffer<float>;

constexpr int kPanel = 16;  // columns per packed panel (two 8-float AVX registers)
constexpr int kRowBlock = 6;  // rows per microkernel call (12 accumulators + 3 temporaries)

inline int round_up(int n, int m) { return (n + m - 1) / m * m; }

// How an engine stores its packed weights: float32 (exact), or bfloat16 (the "bf16" engine
// option: half the memory traffic, about 3 significant digits per weight and activation).
enum class WeightFormat { float32, bf16 };

// Whether bf16 weights can be used: the engine was compiled with AVX512_BF16 (the build
// targets the native machine) and the CPU running it has the instructions.
inline bool bf16_available() {
#if PYSYNTH_GEMM_BF16
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

// "float32" or "bf16" -> WeightFormat; std::invalid_argument naming the problem otherwise
// (also for bf16 where bf16_available() is false).
inline WeightFormat parse_weight_format(const std::string& name) {
  if (name == "float32") return WeightFormat::float32;
  if (name != "bf16")
    throw std::invalid_argument("weights must be 'float32' or 'bf16', got '" + name + "'");
  if (!bf16_available())
    throw std::invalid_argument(
        "weights='bf16' needs a CPU with AVX512_BF16 (vdpbf16ps) and an engine compiled on "
        "one (-march=native); this engine or CPU has none: use weights='float32'");
  return WeightFormat::bf16;
}

inline const char* weight_format_name(WeightFormat f) {
  return f == WeightFormat::bf16 ? "bf16" : "float32";
}

// A float rounded to bfloat16 (nearest, ties to even), as vcvtneps2bf16 rounds finite
// values; weights are checked finite before packing.
inline uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

// A (K x N) weight matrix with an optional bias, packed into ceil(N/16) panels of K x 16
// (zero-padded columns): float32 panels [panel][k][16], or with WeightFormat::bf16 panels
// of bfloat16 pairs [panel][k/2][16] (low half row 2k, high half row 2k+1, a zero row
// padding an odd K), the layout vdpbf16ps reads. C buffers multiplied by it must have
// ldc >= padded_n().
struct PackedMatrix {
  int K = 0, N = 0;
  WeightFormat format = WeightFormat::float32;
  FloatBuffer panels;               // float32 format
  AlignedBuffer<uint32_t> pairs;    // bf16 format
  FloatBuffer bias;    // padded_n() floats, zeros past N (and all zeros without a bias)
  bool has_bias = false;

  int num_panels() const { return (N + kPanel - 1) / kPanel; }
  int padded_n() const { return num_panels() * kPanel; }
  int k_pairs() const { return (K + 1) / 2; }

  // W: row-major (K x N) with leading dimension ldw; b: N floats or nullptr.
  void pack(const float* W, std::ptrdiff_t ldw, int k, int n, const float* b,
            WeightFormat fmt = WeightFormat::float32) {
    K = k;
    N = n;
    format = fmt;
    if (fmt == WeightFormat::bf16) {
      if (!bf16_available()) throw std::invalid_argument("bf16 weights are not available");
      const int K2 = k_pairs();
      pairs.resize(static_cast<std::size_t>(num_panels()) * K2 * kPanel);
      for (int p = 0; p < num_panels(); ++p) {
        uint32_t* dst = pairs.data() + static_cast<std::size_t>(p) * K2 * kPanel;
        const int c0 = p * kPanel, cn = std::min(kPanel, N - c0);
        for (int r = 0; r < K; ++r)
          for (int j = 0; j < cn; ++j)
            dst[(r / 2) * kPanel + j] |= static_cast<uint32_t>(to_bf16(W[r * ldw + c0 + j]))
                                         << (16 * (r % 2));
      }
    } else {
      panels.resize(static_cast<std::size_t>(num_panels()) * K * kPanel);
      for (int p = 0; p < num_panels(); ++p) {
        float* dst = panels.data() + static_cast<std::size_t>(p) * K * kPanel;
        const int c0 = p * kPanel, cn = std::min(kPanel, N - c0);
        for (int r = 0; r < K; ++r)
          for (int j = 0; j < cn; ++j) dst[r * kPanel + j] = W[r * ldw + c0 + j];
      }
    }
    bias.resize(padded_n());
    has_bias = b != nullptr;
    if (b)
      for (int j = 0; j < N; ++j) bias[j] = b[j];
  }
};

// The float32 microkernels this build has; kFloatKernel is the one products use, except
// where kernel_for (below) measured the AVX2 kernel faster.
enum class FloatKernel { portable, avx2, avx512 };
#if PYSYNTH_GEMM_AVX512
constexpr FloatKernel kFloatKernel = FloatKernel::avx512;
#elif PYSYNTH_GEMM_AVX2
constexpr FloatKernel kFloatKernel = FloatKernel::avx2;
#else
constexpr FloatKernel kFloatKernel = FloatKernel::portable;
#endif

inline const char* kernel_name(FloatKernel k) {
  return k == FloatKernel::avx512 ? "avx512" : k == FloatKernel::avx2 ? "avx2" : "portable";
}

// Whether this build (and CPU) can run kernel k; the tests compare every one available.
inline bool kernel_available(FloatKernel k) {
  switch (k) {
    case FloatKernel::portable: return true;
#if PYSYNTH_GEMM_AVX2
    case FloatKernel::avx2: return true;
#endif
#if defined(__AVX512F__)
    case FloatKernel::avx512: return true;
#endif
    default: return false;
  }
}

namespace detail {

// Every microkernel computes C[MR x 16 NP] = (accumulate ? C : 0) + bias + A[MR x K] @
// [P_0 .. P_{NP-1}] over NP consecutive panels (panel_stride apart). Every column
// accumulates sum_k a_k w_k from zero in k order and only then adds (C + bias), so a row's
// result is the same whatever MR and NP.
struct Portable {
  template <int MR, int NP>
  static void micro(int K, const float* A, std::ptrdiff_t lda, const float* P,
                    std::ptrdiff_t panel_stride, const float* bias, float* C,
                    std::ptrdiff_t ldc, bool accumulate) {
    for (int i = 0; i < MR; ++i)
      for (int p = 0; p < NP; ++p) {
        float s[kPanel] = {0};
        for (int k = 0; k < K; ++k) {
          const float a = A[i * lda + k];
          for (int j = 0; j < kPanel; ++j)
            s[j] = std::fma(a, P[p * panel_stride + k * kPanel + j], s[j]);
        }
        for (int j = 0; j < kPanel; ++j) {
          float* c = C + i * ldc + p * kPanel + j;
          const float base = accumulate ? *c + bias[p * kPanel + j] : bias[p * kPanel + j];
          *c = base + s[j];
        }
      }
  }
  // Panels per call for 1..5 leftover rows, and for a full row block.
  static constexpr int rest_panels(int rows) { return rows <= 2 ? 2 : 1; }
  static constexpr int block_panels = 1;
};

#if PYSYNTH_GEMM_AVX2
struct Avx2 {
  template <int MR, int NP>
  static void micro(int K, const float* A, std::ptrdiff_t lda, const float* P,
                    std::ptrdiff_t panel_stride, const float* bias, float* C,
                    std::ptrdiff_t ldc, bool accumulate) {
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
  // 12 accumulators for a full block of 6 rows; 8+ independent FMA chains for fewer rows.
  static constexpr int rest_panels(int rows) { return rows == 1 ? 4 : rows <= 3 ? 2 : 1; }
  static constexpr int block_panels = 1;
};
#endif

#if defined(__AVX512F__)
struct Avx512 {
  template <int MR, int NP>
  static void micro(int K, const float* A, std::ptrdiff_t lda, const float* P,
                    std::ptrdiff_t panel_stride, const float* bias, float* C,
                    std::ptrdiff_t ldc, bool accumulate) {
    __m512 s[MR][NP];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p) s[i][p] = _mm512_setzero_ps();
    const float* a_row[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) a_row[i] = A + i * lda;
#pragma GCC unroll 2
    for (int k = 0; k < K; ++k) {
      __m512 w[NP];
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p) w[p] = _mm512_load_ps(P + p * panel_stride + k * kPanel);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512 a = _mm512_set1_ps(a_row[i][k]);
#pragma GCC unroll 16
        for (int p = 0; p < NP; ++p) s[i][p] = _mm512_fmadd_ps(a, w[p], s[i][p]);
      }
    }
    store(s, bias, C, ldc, accumulate);
  }

  template <int MR, int NP>
  static void store(const __m512 (&s)[MR][NP], const float* bias, float* C, std::ptrdiff_t ldc,
                    bool accumulate) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p) {
        float* c = C + i * ldc + p * kPanel;
        __m512 base = _mm512_load_ps(bias + p * kPanel);
        if (accumulate) base = _mm512_add_ps(_mm512_loadu_ps(c), base);
        _mm512_storeu_ps(c, _mm512_add_ps(base, s[i][p]));
      }
  }
  // 32 registers: 12 accumulators and 2 weight rows for a full block of 6 rows.
  static constexpr int rest_panels(int rows) { return rows == 1 ? 4 : rows <= 3 ? 4 : 2; }
  static constexpr int block_panels = 2;
};
#endif

// The row/panel blocking shared by every kernel: full blocks of kRowBlock rows, then the
// 1..5 leftover rows sweeping several panels at a time (so that even one stream keeps
// several independent FMA chains in flight). run(MR, NP, row, panel) computes rows
// [row, row + MR) of panels [panel, panel + NP).
template <class Kernel, class Run>
inline void drive(int M, int p_begin, int p_end, const Run& run) {
  const int full = M / kRowBlock * kRowBlock;
  auto sweep = [&](auto mr, int row) {
    constexpr int MR = decltype(mr)::value;
    constexpr int NP = MR == kRowBlock ? Kernel::block_panels : Kernel::rest_panels(MR);
    int p = p_begin;
    for (; p + NP <= p_end; p += NP) run.template run<MR, NP>(row, p);
    for (; p < p_end; ++p) run.template run<MR, 1>(row, p);
  };
  if (Kernel::block_panels == 1) {  // a panel stays in L1 while every block of rows reads it
    for (int p = p_begin; p < p_end; ++p)
      for (int i = 0; i < full; i += kRowBlock) run.template run<kRowBlock, 1>(i, p);
  } else {
    for (int i = 0; i < full; i += kRowBlock)
      sweep(std::integral_constant<int, kRowBlock>{}, i);
  }
  switch (M - full) {
    case 5: sweep(std::integral_constant<int, 5>{}, full); break;
    case 4: sweep(std::integral_constant<int, 4>{}, full); break;
    case 3: sweep(std::integral_constant<int, 3>{}, full); break;
    case 2: sweep(std::integral_constant<int, 2>{}, full); break;
    case 1: sweep(std::integral_constant<int, 1>{}, full); break;
    default: break;
  }
}

// One product's operands; operator()<MR, NP>(row, panel) runs one microkernel call. A
// holds floats (float32 kernels) or bfloat16 pairs (Bf16), K values or pairs per row.
template <class Kernel, class In, class Panel>
struct Product {
  int K;
  const In* A;
  std::ptrdiff_t lda;
  const Panel* P0;
  std::ptrdiff_t ps;
  const float* b0;
  float* C;
  std::ptrdiff_t ldc;
  bool accumulate;
  template <int MR, int NP>
  void run(int i, int p) const {
    Kernel::template micro<MR, NP>(K, A + i * lda, lda, P0 + p * ps, ps, b0 + p * kPanel,
                                   C + i * ldc + p * kPanel, ldc, accumulate);
  }
};

template <class Kernel>
inline void gemm_float(const float* A, std::ptrdiff_t lda, const PackedMatrix& W, float* C,
                       std::ptrdiff_t ldc, int M, bool accumulate, int p_begin, int p_end) {
  const std::ptrdiff_t ps = static_cast<std::ptrdiff_t>(W.K) * kPanel;
  drive<Kernel>(M, p_begin, p_end,
                Product<Kernel, float, float>{W.K, A, lda, W.panels.data(), ps, W.bias.data(), C,
                                              ldc, accumulate});
}

#if PYSYNTH_GEMM_BF16
// bfloat16 pairs: C[MR x 16 NP] as above with A's rows given as K2 pairs of bfloat16 (one
// uint32 each); vdpbf16ps adds a_2k w_2k + a_2k+1 w_2k+1 to each lane, in k order.
struct Bf16 {
  template <int MR, int NP>
  static void micro(int K2, const uint32_t* A, std::ptrdiff_t lda, const uint32_t* P,
                    std::ptrdiff_t panel_stride, const float* bias, float* C,
                    std::ptrdiff_t ldc, bool accumulate) {
    __m512 s[MR][NP];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p) s[i][p] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int k = 0; k < K2; ++k) {
      __m512i w[NP];
#pragma GCC unroll 16
      for (int p = 0; p < NP; ++p)
        w[p] = _mm512_load_si512(reinterpret_cast<const void*>(P + p * panel_stride + k * kPanel));
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512i a = _mm512_set1_epi32(static_cast<int>(A[i * lda + k]));
#pragma GCC unroll 16
        for (int p = 0; p < NP; ++p)
          s[i][p] = _mm512_dpbf16_ps(s[i][p], (__m512bh)a, (__m512bh)w[p]);
      }
    }
    Avx512::store(s, bias, C, ldc, accumulate);
  }
  static constexpr int rest_panels(int rows) { return rows == 1 ? 8 : rows <= 3 ? 4 : 2; }
  static constexpr int block_panels = 2;
};

// Rows [0, M) of A (K floats each, stride lda) as bfloat16 pairs, K2 per row (an odd K
// padded with a zero), rounded by the same instruction whatever the row's position.
inline void rows_to_bf16(const float* A, std::ptrdiff_t lda, int M, int K, uint32_t* out,
                         int K2) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + i * lda;
    uint16_t* o = reinterpret_cast<uint16_t*>(out + static_cast<std::ptrdiff_t>(i) * K2);
    for (int k = 0; k < 2 * K2; k += 16) {
      const int left = K - k;
      const __mmask16 m = left >= 16 ? __mmask16(0xffff)
                          : left > 0 ? __mmask16((1u << left) - 1)
                                     : __mmask16(0);
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, a + k));
      const int n = std::min(16, 2 * K2 - k);  // bf16 values to write
      _mm256_mask_storeu_epi16(o + k, __mmask16((1u << n) - 1), (__m256i)h);
    }
  }
}

inline void gemm_bf16(const float* A, std::ptrdiff_t lda, const PackedMatrix& W, float* C,
                      std::ptrdiff_t ldc, int M, bool accumulate, int p_begin, int p_end) {
  // The activations are rounded once per product into this thread's scratch.
  thread_local AlignedBuffer<uint32_t> a2;
  const int K2 = W.k_pairs();
  const std::size_t need = static_cast<std::size_t>(M) * K2;
  if (a2.size() < need) a2.resize(need);
  rows_to_bf16(A, lda, M, W.K, a2.data(), K2);
  const std::ptrdiff_t ps = static_cast<std::ptrdiff_t>(K2) * kPanel;
  drive<Bf16>(M, p_begin, p_end,
              Product<Bf16, uint32_t, uint32_t>{K2, a2.data(), K2, W.pairs.data(), ps,
                                                W.bias.data(), C, ldc, accumulate});
}
#endif

}  // namespace detail

// C[M x padded_n] = (accumulate ? C : 0) + bias + A[M x K] @ W over the column panels
// [p_begin, p_end) only (threads split one product by columns this way; the arithmetic of
// each element is the same either way), with the given float32 kernel (W in float32) or
// vdpbf16ps (W in bf16). C's padding columns receive zeros (plus their previous value when
// accumulating); ldc must be >= W.padded_n().
inline void gemm_packed_panels_with(FloatKernel kernel, const float* A, std::ptrdiff_t lda,
                                    const PackedMatrix& W, float* C, std::ptrdiff_t ldc, int M,
                                    bool accumulate, int p_begin, int p_end) {
  if (M <= 0 || p_begin >= p_end) return;
  if (W.format == WeightFormat::bf16) {
#if PYSYNTH_GEMM_BF16
    return detail::gemm_bf16(A, lda, W, C, ldc, M, accumulate, p_begin, p_end);
#else
    throw std::logic_error("bf16 weights in an engine compiled without AVX512_BF16");
#endif
  }
  switch (kernel) {
#if defined(__AVX512F__)
    case FloatKernel::avx512:
      return detail::gemm_float<detail::Avx512>(A, lda, W, C, ldc, M, accumulate, p_begin, p_end);
#endif
#if PYSYNTH_GEMM_AVX2
    case FloatKernel::avx2:
      return detail::gemm_float<detail::Avx2>(A, lda, W, C, ldc, M, accumulate, p_begin, p_end);
#endif
    case FloatKernel::portable:
      return detail::gemm_float<detail::Portable>(A, lda, W, C, ldc, M, accumulate, p_begin,
                                                  p_end);
    default:
      throw std::invalid_argument(std::string("the ") + kernel_name(kernel) +
                                  " kernel is not compiled in this engine");
  }
}

// Weights from which a product of fewer rows than a block streams them from memory rather
// than cache (they exceed a core's share of a 2-core EPYC's 32 MB L3 with the rest of the
// model). There, one stream measured 5-12% faster with the AVX2 kernel than with AVX-512
// (process CPU time, prism SampleRNN, 1024 x 3072 weights); below it AVX-512 was 6-10%
// faster (ibab WaveNet, at most 3.2 MB), and with full row blocks 2-5% faster at any size
// (docs/bench/engine.md). Both kernels give identical results, so the choice is free.
constexpr std::size_t kStreamedWeightBytes = std::size_t(8) << 20;

// The kernel this build uses for a product of M rows with W.
inline FloatKernel kernel_for(const PackedMatrix& W, int M) {
#if PYSYNTH_GEMM_AVX512 && PYSYNTH_GEMM_AVX2
  const std::size_t bytes = static_cast<std::size_t>(W.K) * W.padded_n() * sizeof(float);
  if (M < kRowBlock && bytes > kStreamedWeightBytes) return FloatKernel::avx2;
#else
  (void)W;
  (void)M;
#endif
  return kFloatKernel;
}

// The same with this build's kernel for the product's size.
inline void gemm_packed_panels(const float* A, std::ptrdiff_t lda, const PackedMatrix& W,
                               float* C, std::ptrdiff_t ldc, int M, bool accumulate, int p_begin,
                               int p_end) {
  gemm_packed_panels_with(kernel_for(W, M), A, lda, W, C, ldc, M, accumulate, p_begin, p_end);
}

// The whole product (every panel).
inline void gemm_packed(const float* A, std::ptrdiff_t lda, const PackedMatrix& W, float* C,
                        std::ptrdiff_t ldc, int M, bool accumulate) {
  gemm_packed_panels(A, lda, W, C, ldc, M, accumulate, 0, W.num_panels());
}

}  // namespace pysynth
