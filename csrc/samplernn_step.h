// One SampleRNN sampling step for one stream, split into phases that a block of threads
// runs in order with a barrier between phases (the CUDA SampleRNN kernel,
// csrc/cuda/samplernn_kernel.cu, and its host emulation, which runs the same phase
// functions with a loop over thread ids). Everything is PYSYNTH_HD.
//
// The math is docs/architecture.md, "SampleRNN program"; the per-unit cell updates and the
// sample-to-feature map are rnn_cells.h, the very functions the CPU engine calls, and the
// products are split over the block as in block_products.h. A step at time t:
//   for each frame tier i, top first, whose frame starts at t (t % F_i == 0):
//     input (x = upper tier's row + input.bias + frame @ input.weight + class + position),
//     per layer: gate partial sums (x @ kernel and h @ recurrent_kernel), cell update,
//     upsample partial sums, then the r_i rows of conditioning for the tier below;
//   the sample-level MLP (first layer from the folded table rows, or with a mol16 output
//   the past samples' values times sample.weight), its output, the choice.
// Inside a phase a thread writes only the outputs it owns (index tid, tid + nth, ...) and
// reads only what earlier phases wrote, so there are no races inside a phase.
#pragma once

#include <cstdint>

#include "block_products.h"
#include "common.h"
#include "rnn_cells.h"

namespace pysynth {
namespace samplernn {

// One frame tier's weights and where its state lives (pointers: device memory on the GPU,
// host memory in emulation). Per-layer tensors are stored back to back.
struct TierWeights {
  int F, r, L;                // frame size, upsampling ratio, RNN layers
  const float* in_w;          // (F, H)
  const float* in_b;          // (H)
  const float* cond;          // (C, H) class rows, or nullptr
  const float* pos;           // (PF, H) position rows (top tier only), or nullptr
  const float* kernel;        // L x (H, G*H)
  const float* recurrent;     // L x (H, G*H)
  const float* bias;          // L x (G*H) for LSTM, L x (2, G*H) for GRU [input; recurrent]
  const float* up_w;          // (H, r*H)
  const float* up_b;          // (r*H)
  int64_t state_off;          // floats into a stream's state: h of the L layers, then c (LSTM)
  int64_t up_off;             // floats into a stream's conditioning area: r*H rows
};

// Sizes (names as in docs/architecture.md) and the sample-level weights.
struct Dims {
  int Q, H, G, K, M;  // levels, dim, gates (3 GRU, 4 LSTM), frame tiers, hidden MLP layers
  int F0;             // bottom frame size (= the folded table's taps)
  int C, PF, PH;      // classes, position frames, position hop
  int MX;             // components of a mol16 output (0 = the softmax over the Q levels)
  int LP;             // order of the linear predictor in a mol16 head's means (0 = none)
  int hist_mask;      // the sample history ring holds hist_mask + 1 >= F_top >= LP samples
  bool lstm, skip;
};

// Numbers per sample the head gives: Q logits, or 3 MX mixture parameters.
PYSYNTH_HD int out_width(const Dims& d) { return d.MX > 0 ? 3 * d.MX : d.Q; }

struct Weights {
  const TierWeights* tiers;  // (K), bottom tier first
  const float* table;        // (F0, Q, H) folded embedding, or sample.weight (F0, H) when MX > 0
  const float* sample_b;     // (H)
  const float* hidden_w;     // M x (H, H)
  const float* hidden_b;     // M x (H)
  const float* out_w;        // (H, out_width)
  const float* out_b;        // (out_width)
  const float* lpc;          // (LP) the linear predictor; nullptr when LP == 0
};

// Everything one launch needs: n steps (absolute times t0 .. t0+n-1) of B streams.
struct StepArgs {
  Dims dims;
  Weights w;
  float* state;                // (B, state_stride) RNN states h (and c) of every tier
  int64_t state_stride;
  float* up;                   // (B, up_stride) each tier's latest r_i rows of conditioning
  int64_t up_stride;
  int* qhist;                  // (B, hist_mask + 1): q[s] at slot s & hist_mask
  const int* cond;             // (B) class ids, or nullptr
  const uint32_t* stream_ids;  // (B) stream keys of the uniforms
  const int* forced;           // teacher-forced indices: step i of stream b at forced[b*ld+i]
  int64_t forced_ld;
  int nforced;                 // steps 0 .. nforced-1 of this launch are teacher-forced
  int* out_q;                  // (B, out_ld): step i's index at column out_col + i
  float* out_logits;           // (B, out_ld, out_width) likewise, or nullptr
  int64_t out_ld;
  int64_t out_col;
  uint64_t seed;
  SamplingRule rule;
  int64_t t0;
  int n;
  int B;
};

// The widest product: the most output columns of any phase (the block is sized from it).
PYSYNTH_HD int widest_phase(const Dims& d, int max_r) {
  return max_i(max_i(d.G * d.H, max_r * d.H), max_i(d.H, out_width(d)));
}

// Threads per block (a multiple of 32, 128..512), about two per column of the widest product.
PYSYNTH_HD int block_threads(const Dims& d, int max_r) {
  const int want = (2 * widest_phase(d, max_r) + 31) / 32 * 32;
  return min_i(512, max_i(128, want));
}

// Floats of partial sums: the largest P * N over the products (two gate products at once).
PYSYNTH_HD int part_floats(const Dims& d, int max_r, int nth) {
  const int GH = d.G * d.H, RH = max_r * d.H;
  int n = 2 * split_parts(GH, d.H, nth) * GH;
  n = max_i(n, split_parts(RH, d.H, nth) * RH);
  n = max_i(n, split_parts(d.H, d.H, nth) * d.H);
  const int W = out_width(d);
  return max_i(n, split_parts(W, d.H, nth) * W);
}

// Per-block scratch (shared memory on the GPU).
struct Scratch {
  float* x;       // (H) the frame tier's input
  float* o;       // (H) sum of the layers' states (skip connections)
  float* a;       // (H) sample-level MLP activations, ping
  float* a2;      // (H) and pong
  float* logits;  // (out_width)
  float* part;    // partial sums of the split products
};

PYSYNTH_HD int scratch_floats(const Dims& d, int max_r, int nth) {
  return 4 * d.H + out_width(d) + part_floats(d, max_r, nth);
}

PYSYNTH_HD Scratch carve_scratch(float* base, const Dims& d) {
  Scratch s;
  s.x = base;
  s.o = s.x + d.H;
  s.a = s.o + d.H;
  s.a2 = s.a + d.H;
  s.logits = s.a2 + d.H;
  s.part = s.logits + out_width(d);
  return s;
}

// ---- the phases of a step ------------------------------------------------------------
// Tier i has 3 + 2 L_i phases: input; per layer gate partials, cell; upsample partials,
// upsample. The sample level has 2M + 4: input; per hidden layer partials, finish; output
// partials, logits; the choice.
PYSYNTH_HD int tier_phases(const TierWeights& tw) { return 3 + 2 * tw.L; }

PYSYNTH_HD int num_phases(const StepArgs& a) {
  int n = 0;
  for (int i = 0; i < a.dims.K; ++i) n += tier_phases(a.w.tiers[i]);
  return n + 2 * a.dims.M + 4;
}

// Which tier phase `phase` is: sets *tier (K - 1 first; -1 for the sample level) and *k,
// the phase's index within its tier (or within the sample level).
PYSYNTH_HD void locate(const StepArgs& a, int phase, int* tier, int* k) {
  for (int i = a.dims.K - 1; i >= 0; --i) {
    const int n = tier_phases(a.w.tiers[i]);
    if (phase < n) {
      *tier = i;
      *k = phase;
      return;
    }
    phase -= n;
  }
  *tier = -1;
  *k = phase;
}

PYSYNTH_HD float* tier_h(const StepArgs& a, int b, int i, int l) {
  return a.state + static_cast<int64_t>(b) * a.state_stride + a.w.tiers[i].state_off +
         static_cast<int64_t>(l) * a.dims.H;
}

PYSYNTH_HD float* tier_c(const StepArgs& a, int b, int i, int l) {
  return tier_h(a, b, i, l) + static_cast<int64_t>(a.w.tiers[i].L) * a.dims.H;
}

PYSYNTH_HD float* tier_up(const StepArgs& a, int b, int i) {
  return a.up + static_cast<int64_t>(b) * a.up_stride + a.w.tiers[i].up_off;
}

// The tier's output: the sum of its layers' states with skip connections, else the last's.
PYSYNTH_HD const float* tier_out(const StepArgs& a, const Scratch& s, int b, int i) {
  const int L = a.w.tiers[i].L;
  return a.dims.skip && L > 1 ? s.o : tier_h(a, b, i, L - 1);
}

// x = (the upper tier's row m mod r_{i+1}) + input.bias + frame @ input.weight
//     (+ cond.table[c]) (+ pos.table[position frame of t]); the frame is the previous F_i
// samples as unit values, zero before time 0.
PYSYNTH_HD void phase_tier_input(const StepArgs& a, Scratch& s, int b, int64_t t, int i,
                                 int tid, int nth) {
  const Dims& d = a.dims;
  const TierWeights& tw = a.w.tiers[i];
  const int* hq = a.qhist + static_cast<int64_t>(b) * (d.hist_mask + 1);
  const float* upper = nullptr;
  if (i + 1 < d.K) {
    const int64_t m = t / tw.F;
    upper = tier_up(a, b, i + 1) + (m % a.w.tiers[i + 1].r) * d.H;
  }
  const float* ct = tw.cond != nullptr && a.cond != nullptr ? tw.cond + static_cast<int64_t>(a.cond[b]) * d.H
                                                            : nullptr;
  const float* pt = nullptr;
  if (tw.pos != nullptr) {
    const int64_t f = t / d.PH;
    pt = tw.pos + (f < d.PF - 1 ? f : d.PF - 1) * d.H;
  }
  for (int j = tid; j < d.H; j += nth) {
    float acc = tw.in_b[j];
    for (int f = 0; f < tw.F; ++f) {
      const int64_t p = t - tw.F + f;
      if (p >= 0) acc += index_to_unit(hq[p & d.hist_mask], d.Q) * tw.in_w[static_cast<int64_t>(f) * d.H + j];
    }
    if (upper != nullptr) acc += upper[j];
    if (ct != nullptr) acc += ct[j];
    if (pt != nullptr) acc += pt[j];
    s.x[j] = acc;
  }
}

// Partial sums of the layer's two gate products: [0, P*GH) of input @ kernel, then
// [P*GH, 2*P*GH) of h @ recurrent_kernel; the input is x (layer 0) or the layer below's h.
PYSYNTH_HD void phase_gates_partial(const StepArgs& a, Scratch& s, int b, int i, int l, int tid,
                                    int nth) {
  const Dims& d = a.dims;
  const TierWeights& tw = a.w.tiers[i];
  const int GH = d.G * d.H, P = split_parts(GH, d.H, nth), n = P * GH;
  const int64_t wsize = static_cast<int64_t>(d.H) * GH;
  const float* in = l == 0 ? s.x : tier_h(a, b, i, l - 1);
  const float* h = tier_h(a, b, i, l);
  const float* kw = tw.kernel + l * wsize;
  const float* rw = tw.recurrent + l * wsize;
  for (int w = tid; w < 2 * n; w += nth) {
    if (w < n)
      partial_products(in, false, kw, d.H, GH, P, s.part, w);
    else
      partial_products(h, false, rw, d.H, GH, P, s.part + n, w - n);
  }
}

// The cell update of each unit (rnn_cells.h, as the CPU engine), and the skip sum.
PYSYNTH_HD void phase_cell(const StepArgs& a, Scratch& s, int b, int i, int l, int tid, int nth) {
  const Dims& d = a.dims;
  const TierWeights& tw = a.w.tiers[i];
  const int H = d.H, GH = d.G * H, P = split_parts(GH, H, nth), n = P * GH;
  float* h = tier_h(a, b, i, l);
  const float* xp = s.part;
  const float* hp = s.part + n;
  for (int j = tid; j < H; j += nth) {
    float hj;
    if (d.lstm) {
      const float* bias = tw.bias + static_cast<int64_t>(l) * GH;
      float g[4];
      for (int k = 0; k < 4; ++k) {
        const int col = k * H + j;
        g[k] = bias[col] + sum_parts(xp, GH, P, col) + sum_parts(hp, GH, P, col);
      }
      float* c = tier_c(a, b, i, l);
      hj = lstm_unit(g[0], g[1], g[2], g[3], c[j]);
    } else {
      const float* bx = tw.bias + static_cast<int64_t>(l) * 2 * GH;
      const float* bh = bx + GH;
      float xg[3], hg[3];
      for (int k = 0; k < 3; ++k) {
        const int col = k * H + j;
        xg[k] = bx[col] + sum_parts(xp, GH, P, col);
        hg[k] = bh[col] + sum_parts(hp, GH, P, col);
      }
      hj = gru_unit(xg[0], xg[1], xg[2], hg[0], hg[1], hg[2], h[j]);
    }
    h[j] = hj;
    if (d.skip) s.o[j] = l == 0 ? hj : s.o[j] + hj;
  }
}

PYSYNTH_HD void phase_up_partial(const StepArgs& a, Scratch& s, int b, int i, int tid, int nth) {
  const Dims& d = a.dims;
  const TierWeights& tw = a.w.tiers[i];
  const int N = tw.r * d.H, P = split_parts(N, d.H, nth);
  const float* o = tier_out(a, s, b, i);
  for (int w = tid; w < N * P; w += nth) partial_products(o, false, tw.up_w, d.H, N, P, s.part, w);
}

// The r_i rows of conditioning the tier below (or the sample level) reads until this
// tier's next step: up.bias + o @ up.weight.
PYSYNTH_HD void phase_up(const StepArgs& a, Scratch& s, int b, int i, int tid, int nth) {
  const Dims& d = a.dims;
  const TierWeights& tw = a.w.tiers[i];
  const int N = tw.r * d.H, P = split_parts(N, d.H, nth);
  float* up = tier_up(a, b, i);
  for (int n = tid; n < N; n += nth) up[n] = tw.up_b[n] + sum_parts(s.part, N, P, n);
}

// The sample-level MLP's first activation: relu(sample.bias + tier 0's row t mod F0 + the
// folded table row of each of the last F0 samples (none before time 0)). A mol16 model reads
// the samples as values instead: unit(q) times sample.weight's row of the tap, in the CPU
// engine's order (samplernn.cpp, sample_input).
PYSYNTH_HD void phase_sample_input(const StepArgs& a, Scratch& s, int b, int64_t t, int tid,
                                   int nth) {
  const Dims& d = a.dims;
  const int* hq = a.qhist + static_cast<int64_t>(b) * (d.hist_mask + 1);
  const float* row = tier_up(a, b, 0) + (t % d.F0) * d.H;
  for (int k = tid; k < d.H; k += nth) {
    float acc = a.w.sample_b[k] + row[k];
    for (int j = 0; j < d.F0; ++j) {
      const int64_t p = t - d.F0 + j;
      if (p < 0) continue;
      const int x = hq[p & d.hist_mask];
      if (d.MX > 0)
        acc += index_to_unit(x, d.Q) * a.w.table[static_cast<int64_t>(j) * d.H + k];
      else
        acc += a.w.table[(static_cast<int64_t>(j) * d.Q + x) * d.H + k];
    }
    s.a[k] = reluf(acc);
  }
}

// The MLP's hidden layer k reads a (k even) or a2 and writes the other one.
PYSYNTH_HD float* mlp_in(Scratch& s, int k) { return k % 2 == 0 ? s.a : s.a2; }

PYSYNTH_HD void phase_hidden_partial(const StepArgs& a, Scratch& s, int k, int tid, int nth) {
  const int H = a.dims.H, P = split_parts(H, H, nth);
  const float* w = a.w.hidden_w + static_cast<int64_t>(k) * H * H;
  for (int i = tid; i < H * P; i += nth) partial_products(mlp_in(s, k), false, w, H, H, P, s.part, i);
}

PYSYNTH_HD void phase_hidden(const StepArgs& a, Scratch& s, int k, int tid, int nth) {
  const int H = a.dims.H, P = split_parts(H, H, nth);
  const float* bias = a.w.hidden_b + static_cast<int64_t>(k) * H;
  float* out = mlp_in(s, k + 1);
  for (int n = tid; n < H; n += nth) out[n] = reluf(bias[n] + sum_parts(s.part, H, P, n));
}

PYSYNTH_HD void phase_logits_partial(const StepArgs& a, Scratch& s, int tid, int nth) {
  const Dims& d = a.dims;
  const int N = out_width(d), P = split_parts(N, d.H, nth);
  const float* in = mlp_in(s, d.M);
  for (int i = tid; i < N * P; i += nth) partial_products(in, false, a.w.out_w, d.H, N, P, s.part, i);
}

// logits (or mixture parameters) = out.bias + a @ out.weight, also written to out_logits
// when asked for (with a linear predictor, phase_choose writes them once it has put the
// prediction in the means).
PYSYNTH_HD void phase_logits(const StepArgs& a, Scratch& s, int b, int step, int tid, int nth) {
  const int N = out_width(a.dims), P = split_parts(N, a.dims.H, nth);
  float* out = nullptr;
  if (a.out_logits != nullptr && a.dims.LP == 0)
    out = a.out_logits + (static_cast<int64_t>(b) * a.out_ld + a.out_col + step) * N;
  for (int n = tid; n < N; n += nth) {
    const float v = a.w.out_b[n] + sum_parts(s.part, N, P, n);
    s.logits[n] = v;
    if (out != nullptr) out[n] = v;
  }
}

// The one place where the head's output becomes a level, with the uniforms of (seed,
// stream, t) as the CPU engine draws them: the sampling rule on the softmax's logits with
// uniform01, or for a mol16 output sample_mixture with uniform01 (the component) and
// uniform_open01 (the value).
PYSYNTH_HD int choose_level(const float* out, const Dims& d, SamplingRule rule, uint64_t seed,
                            uint32_t stream, uint64_t t) {
  const float u = uniform01(seed, stream, t);
  if (d.MX > 0) return sample_mixture(out, d.MX, d.Q, rule, u, uniform_open01(seed, stream, t));
  return sample_logits(out, d.Q, rule, u);
}

// The sample level runs on sampled steps and on teacher-forced steps whose logits are read
// (not on the prime's).
PYSYNTH_HD bool head_needed(const StepArgs& a, int step) {
  return step >= a.nforced || a.out_logits != nullptr;
}

// One thread, with a linear predictor: each mixture mean becomes the prediction from the
// stream's last LP samples (read from its history ring, which holds F_top >= LP of them,
// the prime's included) plus the head's correction (common.h apply_lpc, as the CPU engine),
// then the row goes to out_logits when asked for. One thread because apply_lpc is the CPU
// engine's serial sum: 3 MX + LP numbers, against the sampling rule's serial pass.
PYSYNTH_HD void predict_means(const StepArgs& a, const Scratch& s, int b, int64_t t, int step) {
  const Dims& d = a.dims;
  const int nh = d.hist_mask + 1;
  const int64_t row = static_cast<int64_t>(b) * a.out_ld + a.out_col + step;
  float* out = a.out_logits != nullptr ? a.out_logits + row * out_width(d) : nullptr;
  apply_lpc_from_ring(s.logits, d.MX, d.Q, a.w.lpc, d.LP, a.qhist + static_cast<int64_t>(b) * nh,
                      nh, t, out);
}

// One thread: q[t] is the forced index, or drawn with the uniform keyed (seed, stream, t);
// it is recorded and pushed into the sample history.
PYSYNTH_HD void phase_choose(const StepArgs& a, const Scratch& s, int b, int64_t t, int step,
                             int tid) {
  if (tid != 0) return;
  const Dims& d = a.dims;
  if (d.LP > 0 && head_needed(a, step)) predict_means(a, s, b, t, step);
  int q;
  if (step < a.nforced) {
    q = a.forced[static_cast<int64_t>(b) * a.forced_ld + step];
  } else {
    q = choose_level(s.logits, d, a.rule, a.seed, a.stream_ids[b], static_cast<uint64_t>(t));
  }
  a.out_q[static_cast<int64_t>(b) * a.out_ld + a.out_col + step] = q;
  a.qhist[static_cast<int64_t>(b) * (d.hist_mask + 1) + (t & d.hist_mask)] = q;
}

// A tier's phases run only at the start of its frames; the sample level's (but the choice)
// are skipped on teacher-forced steps whose logits nobody reads. The answer is the same for
// every thread of a block, so skipping a barrier is safe.
PYSYNTH_HD bool phase_needed(const StepArgs& a, int phase, int step) {
  int i, k;
  locate(a, phase, &i, &k);
  if (i >= 0) return (a.t0 + step) % a.w.tiers[i].F == 0;
  if (k == 2 * a.dims.M + 3) return true;  // the choice
  return head_needed(a, step);
}

// Runs phase `phase` of step `step` (absolute time t0 + step) of stream b as thread tid of nth.
PYSYNTH_HD void run_phase(const StepArgs& a, Scratch& s, int b, int step, int phase, int tid,
                          int nth) {
  const int64_t t = a.t0 + step;
  int i, k;
  locate(a, phase, &i, &k);
  if (i >= 0) {
    const int L = a.w.tiers[i].L;
    if (k == 0)
      phase_tier_input(a, s, b, t, i, tid, nth);
    else if (k <= 2 * L && k % 2 == 1)
      phase_gates_partial(a, s, b, i, (k - 1) / 2, tid, nth);
    else if (k <= 2 * L)
      phase_cell(a, s, b, i, (k - 1) / 2, tid, nth);
    else if (k == 2 * L + 1)
      phase_up_partial(a, s, b, i, tid, nth);
    else
      phase_up(a, s, b, i, tid, nth);
    return;
  }
  const int M = a.dims.M;
  if (k == 0)
    phase_sample_input(a, s, b, t, tid, nth);
  else if (k <= 2 * M && k % 2 == 1)
    phase_hidden_partial(a, s, (k - 1) / 2, tid, nth);
  else if (k <= 2 * M)
    phase_hidden(a, s, (k - 1) / 2, tid, nth);
  else if (k == 2 * M + 1)
    phase_logits_partial(a, s, tid, nth);
  else if (k == 2 * M + 2)
    phase_logits(a, s, b, step, tid, nth);
  else
    phase_choose(a, s, b, t, step, tid);
}

}  // namespace samplernn
}  // namespace pysynth
