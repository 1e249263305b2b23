// Vectorised element-wise activations for the CPU engine (AVX2 when available).
//
// tanh is the rational approximation Eigen uses (max relative error ~4e-7 against float64
// tanh, clamped where float32 tanh is +-1); the logistic is 0.5 + 0.5 tanh(x/2), which
// never overflows. The same 8-lane function handles the tail of a row through a padded
// temporary, so every element is computed identically whatever its position: results do
// not depend on the batch size or on how streams are split across threads.
#pragma once

#include <algorithm>
#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define PYSYNTH_VEC_AVX2 1
#endif

namespace pysynth {
namespace vec {

// Coefficients of Eigen's generic_fast_tanh_float: tanh(x) ~ x P(x^2) / Q(x^2).
constexpr float kTanhClamp = 7.90531110763549805f;
constexpr float kTanhA1 = 4.89352455891786e-03f, kTanhA3 = 6.37261928875436e-04f,
                kTanhA5 = 1.48572235717979e-05f, kTanhA7 = 5.12229709037114e-08f,
                kTanhA9 = -8.60467152213735e-11f, kTanhA11 = 2.00018790482477e-13f,
                kTanhA13 = -2.76076847742355e-16f;
constexpr float kTanhB0 = 4.89352518554385e-03f, kTanhB2 = 2.26843463243900e-03f,
                kTanhB4 = 1.18534705686654e-04f, kTanhB6 = 1.19825839466702e-06f;
constexpr float kTanhTiny = 0.0004f;

#if PYSYNTH_VEC_AVX2
inline __m256 tanh8(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 tiny = _mm256_cmp_ps(_mm256_andnot_ps(sign_mask, x), _mm256_set1_ps(kTanhTiny),
                                    _CMP_LT_OQ);
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-kTanhClamp)),
                                  _mm256_set1_ps(kTanhClamp));
  const __m256 x2 = _mm256_mul_ps(xc, xc);
  __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(kTanhA13), _mm256_set1_ps(kTanhA11));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhA9));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhA7));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhA5));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhA3));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kTanhA1));
  p = _mm256_mul_ps(xc, p);
  __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(kTanhB6), _mm256_set1_ps(kTanhB4));
  q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(kTanhB2));
  q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(kTanhB0));
  return _mm256_blendv_ps(_mm256_div_ps(p, q), x, tiny);
}

// out = tanh(f + cf) * sigmoid(g + cg), 8 lanes; cf/cg may be null.
inline __m256 gated8(__m256 f, __m256 g) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 sig = _mm256_fmadd_ps(half, tanh8(_mm256_mul_ps(half, g)), half);
  return _mm256_mul_ps(tanh8(f), sig);
}

// a[j] = tanh(f[j] + cf[j]) * sigmoid(g[j] + cg[j]) for j < n (cf, cg: nullable).
inline void gated_tanh_sigmoid(const float* f, const float* g, const float* cf, const float* cg,
                               float* a, int n) {
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 vf = _mm256_loadu_ps(f + j), vg = _mm256_loadu_ps(g + j);
    if (cf) {
      vf = _mm256_add_ps(vf, _mm256_loadu_ps(cf + j));
      vg = _mm256_add_ps(vg, _mm256_loadu_ps(cg + j));
    }
    _mm256_storeu_ps(a + j, gated8(vf, vg));
  }
  if (j < n) {
    alignas(32) float tf[8] = {0}, tg[8] = {0}, ta[8];
    for (int i = 0; j + i < n; ++i) {
      tf[i] = cf ? f[j + i] + cf[j + i] : f[j + i];
      tg[i] = cg ? g[j + i] + cg[j + i] : g[j + i];
    }
    _mm256_store_ps(ta, gated8(_mm256_load_ps(tf), _mm256_load_ps(tg)));
    for (int i = 0; j + i < n; ++i) a[j + i] = ta[i];
  }
}
#else
inline float tanh1(float x) {
  if (std::fabs(x) < kTanhTiny) return x;
  const float xc = std::min(std::max(x, -kTanhClamp), kTanhClamp);
  const float x2 = xc * xc;
  float p = std::fma(x2, kTanhA13, kTanhA11);
  p = std::fma(x2, p, kTanhA9);
  p = std::fma(x2, p, kTanhA7);
  p = std::fma(x2, p, kTanhA5);
  p = std::fma(x2, p, kTanhA3);
  p = std::fma(x2, p, kTanhA1);
  p = xc * p;
  float q = std::fma(x2, kTanhB6, kTanhB4);
  q = std::fma(x2, q, kTanhB2);
  q = std::fma(x2, q, kTanhB0);
  return p / q;
}

inline void gated_tanh_sigmoid(const float* f, const float* g, const float* cf, const float* cg,
                               float* a, int n) {
  for (int j = 0; j < n; ++j) {
    const float vf = cf ? f[j] + cf[j] : f[j];
    const float vg = cg ? g[j] + cg[j] : g[j];
    a[j] = tanh1(vf) * std::fma(0.5f, tanh1(0.5f * vg), 0.5f);
  }
}
#endif

// x[j] = max(x[j], 0) for j < n.
inline void relu_inplace(float* x, int n) {
  for (int j = 0; j < n; ++j) x[j] = x[j] > 0.0f ? x[j] : 0.0f;
}

// y[j] += x[j] for j < n.
inline void add_inplace(float* y, const float* x, int n) {
  for (int j = 0; j < n; ++j) y[j] += x[j];
}

}  // namespace vec
}  // namespace pysynth
