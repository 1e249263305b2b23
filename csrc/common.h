// Per-sample arithmetic shared by the CPU engine and the CUDA kernels.
//
// Everything here is a pure inline function marked PYSYNTH_HD, which expands to
// __host__ __device__ under nvcc, so the CPU tests exercise the same math the GPU runs.
#pragma once

#include <cstdint>
#include <cmath>

#if defined(__CUDACC__)
#define PYSYNTH_HD __host__ __device__ __forceinline__
// A rarely taken path kept out of line in a kernel, so its locals do not raise the register
// count (and so lower the occupancy) of every step (the kernels' linear predictor).
#define PYSYNTH_HD_OUTLINE inline __host__ __device__ __noinline__
#else
#define PYSYNTH_HD inline
#define PYSYNTH_HD_OUTLINE inline
#endif

namespace pysynth {

// ---- counter-based random numbers: Philox4x32-10 (Salmon et al. 2011) ---------------
// One uniform per (seed, stream, t): the audio of a stream never depends on the batch
// size, the thread count or the device.
struct Philox4 {
  uint32_t v[4];
};

PYSYNTH_HD uint32_t mulhi32(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

PYSYNTH_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                 uint32_t k0, uint32_t k1) {
  const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  const uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    const uint32_t hi0 = mulhi32(M0, c0), lo0 = M0 * c0;
    const uint32_t hi1 = mulhi32(M1, c2), lo1 = M1 * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0;
    const uint32_t n1 = lo1;
    const uint32_t n2 = hi0 ^ c3 ^ k1;
    const uint32_t n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += W0; k1 += W1;
  }
  Philox4 out;
  out.v[0] = c0; out.v[1] = c1; out.v[2] = c2; out.v[3] = c3;
  return out;
}

// Uniform in [0, 1) with 24 random bits, keyed by (seed, stream, t).
PYSYNTH_HD float uniform01(uint64_t seed, uint32_t stream, uint64_t t) {
  Philox4 r = philox4x32_10(static_cast<uint32_t>(t), static_cast<uint32_t>(t >> 32), stream,
                            0x70797379u /* "pysy" */, static_cast<uint32_t>(seed),
                            static_cast<uint32_t>(seed >> 32));
  return static_cast<float>(r.v[0] >> 8) * (1.0f / 16777216.0f);
}

// The second uniform of (seed, stream, t), from the same Philox block as uniform01: the
// logistic draw of a mixture output (sample_mixture). In (0, 1) exactly, never 0 or 1
// (23 random bits and a half: (v + 0.5) / 2^23 is exact in float), so its logit is finite.
PYSYNTH_HD float uniform_open01(uint64_t seed, uint32_t stream, uint64_t t) {
  Philox4 r = philox4x32_10(static_cast<uint32_t>(t), static_cast<uint32_t>(t >> 32), stream,
                            0x70797379u /* "pysy" */, static_cast<uint32_t>(seed),
                            static_cast<uint32_t>(seed >> 32));
  return (static_cast<float>(r.v[1] >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

// ---- activations ---------------------------------------------------------------------
PYSYNTH_HD float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }
PYSYNTH_HD float reluf(float x) { return x > 0.0f ? x : 0.0f; }

// ---- sampling from logits --------------------------------------------------------------
// How a level is drawn from the logits: softmax(logits / temperature), truncated to the
// levels whose probability is at least min_p times the most likely one's ("min-p"
// sampling; Nguyen et al. 2024). The truncation drops the long tail of unlikely levels that
// a half-trained model spreads its mass over: one draw from that tail per few hundred
// samples is what turns a decaying drum hit into runaway broadband noise. min_p = 0 is the
// plain softmax; temperature <= 0 is argmax (lowest index on ties). See
// docs/architecture.md ("Sampling rule").
struct SamplingRule {
  float temperature = 1.0f;
  float min_p = 0.0f;
};

// The unnormalized weight of a level: exp((logit - max) / T), or 0 when it falls below
// min_p (the max level's weight is exactly 1, so the threshold needs no normalizing sum).
PYSYNTH_HD float rule_weight(float logit, float mx, float inv_t, float min_p) {
  const float e = expf((logit - mx) * inv_t);
  return e >= min_p ? e : 0.0f;
}

// Inverse-CDF sampling under the rule with the uniform u: the smallest k whose cumulative
// weight exceeds u * total (the last kept level if rounding leaves none).
PYSYNTH_HD int sample_logits(const float* logits, int n, SamplingRule rule, float u) {
  float mx = logits[0];
  int arg = 0;
  for (int k = 1; k < n; ++k) {
    if (logits[k] > mx) { mx = logits[k]; arg = k; }
  }
  if (!(rule.temperature > 0.0f)) return arg;
  const float inv_t = 1.0f / rule.temperature;
  float total = 0.0f;
  for (int k = 0; k < n; ++k) total += rule_weight(logits[k], mx, inv_t, rule.min_p);
  const float target = u * total;
  float acc = 0.0f;
  int last = arg;
  for (int k = 0; k < n; ++k) {
    const float w = rule_weight(logits[k], mx, inv_t, rule.min_p);
    if (w > 0.0f) last = k;
    acc += w;
    if (acc > target) return k;
  }
  return last;
}

// sample_logits with a caller-provided scratch of n floats: each weight is computed once and
// reused for the cumulative search. Same arithmetic in the same order, so the same index
// as sample_logits for every input (the CPU engine's per-sample path).
PYSYNTH_HD int sample_logits_scratch(const float* logits, int n, SamplingRule rule, float u,
                                     float* scratch) {
  float mx = logits[0];
  int arg = 0;
  for (int k = 1; k < n; ++k) {
    if (logits[k] > mx) { mx = logits[k]; arg = k; }
  }
  if (!(rule.temperature > 0.0f)) return arg;
  const float inv_t = 1.0f / rule.temperature;
  float total = 0.0f;
  for (int k = 0; k < n; ++k) {
    scratch[k] = rule_weight(logits[k], mx, inv_t, rule.min_p);
    total += scratch[k];
  }
  const float target = u * total;
  float acc = 0.0f;
  int last = arg;
  for (int k = 0; k < n; ++k) {
    if (scratch[k] > 0.0f) last = k;
    acc += scratch[k];
    if (acc > target) return k;
  }
  return last;
}

// log2-softmax probability of index q: -log2 p(q), the NLL in bits of one sample.
PYSYNTH_HD float nll_bits(const float* logits, int n, int q) {
  float mx = logits[0];
  for (int k = 1; k < n; ++k) mx = logits[k] > mx ? logits[k] : mx;
  float total = 0.0f;
  for (int k = 0; k < n; ++k) total += expf(logits[k] - mx);
  return (logf(total) - (logits[q] - mx)) * 1.4426950408889634f;
}

// ---- the 16-bit mixture-of-logistics output (output = "mol16") -------------------------
// The head gives 3K numbers per sample: mixture logits a[0:K], means mu[K:2K], log-scales
// log_s[2K:3K] (clamped below at kLogScaleMin); the levels are Q linear values
// x_q = 2q/(Q-1) - 1 with bins of half-width 1/(Q-1), the end bins open. pysynth/mixture.py
// is the float64 twin; docs/architecture.md ("Output distributions") the contract.
constexpr float kLogScaleMin = -13.0f;

PYSYNTH_HD float softplusf(float x) { return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x))); }

// -log2 of the mixture's mass on level q. Per component, log(sigmoid(b) - sigmoid(a)) is
// written log(1 - exp(-(b - a))) - softplus(-b) - softplus(a), free of cancellation however
// narrow the bin; the whole is a log-sum-exp over components.
PYSYNTH_HD float mixture_nll_bits(const float* p, int K, int Q, int q) {
  float amax = p[0];
  for (int k = 1; k < K; ++k) amax = p[k] > amax ? p[k] : amax;
  float asum = 0.0f;
  for (int k = 0; k < K; ++k) asum += expf(p[k] - amax);
  const float lse_a = amax + logf(asum);
  const float h = 1.0f / static_cast<float>(Q - 1);
  const float x = 2.0f * static_cast<float>(q) * h - 1.0f;
  // two passes: the max term, then the sum (K is small; no scratch needed)
  float terms_max = -INFINITY;
  for (int pass = 0; pass < 2; ++pass) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) {
      const float ls = p[2 * K + k] > kLogScaleMin ? p[2 * K + k] : kLogScaleMin;
      const float inv = expf(-ls);
      const float plus = (x + h - p[K + k]) * inv, minus = (x - h - p[K + k]) * inv;
      float lb;
      if (q == 0) lb = -softplusf(-plus);
      else if (q == Q - 1) lb = -softplusf(minus);
      else lb = logf(-expm1f(-2.0f * h * inv)) - softplusf(-plus) - softplusf(minus);
      const float term = p[k] - lse_a + lb;
      if (pass == 0) terms_max = term > terms_max ? term : terms_max;
      else acc += expf(term - terms_max);
    }
    if (pass == 1) return -(terms_max + logf(acc)) * 1.4426950408889634f;
  }
  return 0.0f;  // not reached
}

// One level from the mixture: the component by the sampling rule on the mixture logits
// with u0 (temperature and min-p act on the mixture weights as on a softmax's logits), the
// value x = mu + T s logit(u1) (the logistic's inverse CDF at T times its scale), rounded
// to the nearest level as pysynth.audio.linear_encode rounds. T = 0: the most likely
// component's mean.
PYSYNTH_HD int sample_mixture(const float* p, int K, int Q, SamplingRule rule, float u0,
                              float u1) {
  const int k = sample_logits(p, K, rule, u0);
  float x = p[K + k];
  if (rule.temperature > 0.0f) {
    const float ls = p[2 * K + k] > kLogScaleMin ? p[2 * K + k] : kLogScaleMin;
    x += rule.temperature * expf(ls) * (logf(u1) - log1pf(-u1));
  }
  const float v = floorf((x + 1.0f) * 0.5f * static_cast<float>(Q - 1) + 0.5f);
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= static_cast<float>(Q - 1)) return Q - 1;
  return static_cast<int>(v);
}

// ---- the dataset's linear predictor in a mol16 head (program key lpc_order P > 0) ---------
// Each mean becomes mu_k = sum_j c[j] unit(recent[j]) + s_k n_k, where recent[j] is the level
// of sample t-1-j (-1 before the clip: value 0), n_k the head's number in the mean's place
// and s_k = exp(max(log_s_k, kLogScaleMin)) the component's scale. pysynth/prediction.py
// (apply_lpc) is the float64 twin and says why.
constexpr int kMaxLpcOrder = 64;

PYSYNTH_HD void apply_lpc(float* p, int K, int Q, const float* c, int P, const int32_t* recent) {
  float pred = 0.0f;
  for (int j = 0; j < P; ++j)
    if (recent[j] >= 0) pred += c[j] * (2.0f * static_cast<float>(recent[j]) / static_cast<float>(Q - 1) - 1.0f);
  for (int k = 0; k < K; ++k) {
    const float ls = p[2 * K + k] > kLogScaleMin ? p[2 * K + k] : kLogScaleMin;
    p[K + k] = pred + expf(ls) * p[K + k];
  }
}

// apply_lpc at time t with the past read from a stream's ring of levels (level s at slot
// s mod len, len >= P), as the CUDA kernels keep it; with out, the row is then copied there.
// Out of line in a kernel (PYSYNTH_HD_OUTLINE, pointer and scalar arguments only), so that a
// step without a predictor keeps its registers.
PYSYNTH_HD_OUTLINE void apply_lpc_from_ring(float* p, int K, int Q, const float* c, int P,
                                            const int32_t* ring, int len, int64_t t, float* out) {
  int32_t recent[kMaxLpcOrder];
  for (int j = 0; j < P; ++j) recent[j] = t - 1 - j >= 0 ? ring[(t - 1 - j) % len] : -1;
  apply_lpc(p, K, Q, c, P, recent);
  if (out != nullptr)
    for (int n = 0; n < 3 * K; ++n) out[n] = p[n];
}

}  // namespace pysynth
