// One WaveNet sampling step for one stream, split into phases that a block of threads
// runs in order with a barrier between phases.
//
// The CUDA kernel (csrc/cuda/wavenet_kernel.cu) runs each phase with the threads of one
// block and __syncthreads() between phases; its host emulation runs the very same phase
// functions with a loop over thread ids, so the kernel's arithmetic, ring-buffer indexing
// and sampling are exercised on machines without a GPU. Everything is PYSYNTH_HD.
//
// The math is docs/architecture.md, "WaveNet program". Inside a phase, a thread only
// writes the outputs it owns (index i = tid, tid + nth, ...), and only reads what earlier
// phases wrote: there are no races inside a phase.
//
// Every matrix-vector product is split over the whole block: a "partial" phase has
// P = nth / N threads per output column, each summing one contiguous range of the inputs
// (consecutive threads read consecutive columns of the (in, out) weight, so reads are
// coalesced), and the next phase adds the P partial sums, the bias and the activation
// (block_products.h, shared with the SampleRNN kernel).
// A step is then short chains of loads in parallel rather than one long chain per column.
#pragma once

#include <cstdint>

#include "block_products.h"
#include "common.h"

namespace pysynth {
namespace wavenet {

// Sizes of the program (names as in docs/architecture.md).
// PF: position frames (0 = no position input), PH: samples per position frame;
// MX: components of a mol16 output (0 = the softmax over the Q levels); LP: order of the
// dataset's linear predictor in a mol16 head's means (0 = none).
struct Dims {
  int Q, K0, K, R, D, S, H, C, L, PF, PH, MX, LP;
};

// Past indices each stream keeps (qhist): the input's K0 taps and the predictor's LP.
PYSYNTH_HD int history_len(const Dims& d) { return max_i(d.K0, d.LP); }

// Numbers per sample the head gives: Q logits, or 3 MX mixture parameters.
PYSYNTH_HD int out_width(const Dims& d) { return d.MX > 0 ? 3 * d.MX : d.Q; }

// Pointers to the weights (device memory on the GPU, host memory in emulation). Per-layer
// tensors are stored back to back, layer l at base + l * (size of one layer's tensor).
struct Weights {
  const float* input_table;  // (K0, Q, R), or input.weight (K0, R) when MX > 0
  const float* input_bias;   // (R)
  const float* conv_w;       // L x (K, R, 2D)
  const float* conv_b;       // L x (2D)
  const float* cond_table;   // L x (C, 2D); nullptr when C == 0
  const float* pos_table;    // L x (PF, 2D); nullptr when PF == 0
  const float* res_w;        // L x (D, R)
  const float* res_b;        // L x (R)
  const float* skip_w;       // L x (D, S)
  const float* skip_b;       // L x (S)
  const float* out1_w;       // (S, H)
  const float* out1_b;       // (H)
  const float* out2_w;       // (H, out_width)
  const float* out2_b;       // (out_width)
  const float* lpc;          // (LP) the linear predictor; nullptr when LP == 0
};

// Everything one launch needs: n steps (absolute times t0 .. t0+n-1) of B streams.
struct StepArgs {
  Dims dims;
  Weights w;
  const int* dilation;         // (L)
  const int64_t* ring_offset;  // (L) offset, in floats, of layer l's ring in a stream's area
  int64_t ring_stride;         // floats of ring per stream
  float* rings;                // (B, ring_stride): h_l at the last (K-1)*d_l + 1 times
  int* qhist;                  // (B, history_len): q[s] at slot s mod history_len
  const int* cond;             // (B) condition classes, or nullptr
  const uint32_t* stream_ids;  // (B) stream keys of the uniforms
  const int* forced;           // teacher-forced indices: step i of stream b at forced[b*ld+i]
  int64_t forced_ld;
  int nforced;                 // steps 0 .. nforced-1 of this launch are teacher-forced
  int* out_q;                  // (B, out_ld): step i's chosen index at column out_col + i
  float* out_logits;           // (B, out_ld, out_width) likewise, or nullptr
  int64_t out_ld;
  int64_t out_col;
  uint64_t seed;
  SamplingRule rule;
  int64_t t0;
  int n;
  int B;
};

PYSYNTH_HD int64_t ring_len(const Dims& d, int dilation) {
  return static_cast<int64_t>(d.K - 1) * dilation + 1;
}

// The widest phase: the most output columns any product has (or the taps gathered).
PYSYNTH_HD int widest_phase(const Dims& d) {
  return max_i(max_i(max_i(d.R + d.S, d.K * d.R), max_i(2 * d.D, d.H)), out_width(d));
}

// Threads per block (a multiple of 32, 128..512): about two per column of the widest
// product, so the split products have parallelism to spare.
PYSYNTH_HD int block_threads(const Dims& d) {
  const int want = (2 * widest_phase(d) + 31) / 32 * 32;
  return min_i(512, max_i(128, want));
}

// Per-block scratch (shared memory on the GPU).
struct Scratch {
  float* h;       // (R) residual stream h_l[t]
  float* taps;    // (K*R) h_l at t-(K-1)*d .. t, the dilated conv's input
  float* a;       // (D) gated activation
  float* skip;    // (S) sum of the skip outputs
  float* o1;      // (H)
  float* logits;  // (out_width)
  float* part;    // partial sums of the split products
};

PYSYNTH_HD int part_floats(const Dims& d, int nth) { return max_i(nth, widest_phase(d)); }

PYSYNTH_HD int scratch_floats(const Dims& d, int nth) {
  return d.R + d.K * d.R + d.D + d.S + d.H + out_width(d) + part_floats(d, nth);
}

PYSYNTH_HD Scratch carve_scratch(float* base, const Dims& d) {
  Scratch s;
  s.h = base;
  s.taps = s.h + d.R;
  s.a = s.taps + d.K * d.R;
  s.skip = s.a + d.D;
  s.o1 = s.skip + d.S;
  s.logits = s.o1 + d.H;
  s.part = s.logits + out_width(d);
  return s;
}

// h0[t] = input.bias + sum_j input.table[j, q[t-1-(K0-1-j)]] (negative times vanish), or
// with a mixture output input.bias + sum_j unit(q[...]) input.weight[j] (unit(x) =
// 2x/(Q-1) - 1); also clears the skip sum of this step.
PYSYNTH_HD void phase_input(const StepArgs& a, Scratch& s, int b, int64_t t, int tid, int nth) {
  const Dims& d = a.dims;
  const int nh = history_len(d);
  const int* qh = a.qhist + static_cast<int64_t>(b) * nh;
  for (int r = tid; r < d.R; r += nth) {
    float acc = a.w.input_bias[r];
    for (int j = 0; j < d.K0; ++j) {
      const int64_t src = t - 1 - (d.K0 - 1 - j);
      if (src < 0) continue;
      const int x = qh[src % nh];
      if (d.MX > 0)
        acc += (static_cast<float>(x) * (2.0f / static_cast<float>(d.Q - 1)) - 1.0f) *
               a.w.input_table[static_cast<int64_t>(j) * d.R + r];
      else
        acc += a.w.input_table[(static_cast<int64_t>(j) * d.Q + x) * d.R + r];
    }
    s.h[r] = acc;
  }
  for (int k = tid; k < d.S; k += nth) s.skip[k] = 0.0f;
}

// Gathers the dilated conv's input taps from layer l's ring and stores h_l[t] there.
// Slot t mod ring_len is not read at step t (the taps are t-(K-1)*d .. t, t from s.h),
// so no race.
PYSYNTH_HD void phase_taps(const StepArgs& a, Scratch& s, int b, int64_t t, int l, int tid,
                           int nth) {
  const Dims& d = a.dims;
  const int dil = a.dilation[l];
  const int64_t len = ring_len(d, dil);
  float* ring = a.rings + static_cast<int64_t>(b) * a.ring_stride + a.ring_offset[l];
  const int n = d.K * d.R;
  for (int i = tid; i < n; i += nth) {
    const int j = i / d.R, r = i - j * d.R;
    if (j == d.K - 1) {
      const float v = s.h[r];
      s.taps[i] = v;
      ring[(t % len) * d.R + r] = v;
    } else {
      const int64_t src = t - static_cast<int64_t>(d.K - 1 - j) * dil;
      s.taps[i] = src >= 0 ? ring[(src % len) * d.R + r] : 0.0f;
    }
  }
}

// Partial sums of taps @ conv.weight (K*R inputs, 2D columns).
PYSYNTH_HD void phase_conv_partial(const StepArgs& a, Scratch& s, int l, int tid, int nth) {
  const Dims& d = a.dims;
  const int N = 2 * d.D, K = d.K * d.R;
  const int P = split_parts(N, K, nth);
  const float* W = a.w.conv_w + static_cast<int64_t>(l) * K * N;
  for (int i = tid; i < N * P; i += nth) partial_products(s.taps, false, W, K, N, P, s.part, i);
}

// z = conv.bias + sum of partials (+ cond.table[c]) (+ pos.table[min(t / PH, PF - 1)]);
// a = tanh(z[:D]) * sigmoid(z[D:]).
PYSYNTH_HD void phase_gate(const StepArgs& a, Scratch& s, int b, int64_t t, int l, int tid,
                           int nth) {
  const Dims& d = a.dims;
  const int N = 2 * d.D;
  const int P = split_parts(N, d.K * d.R, nth);
  const float* bias = a.w.conv_b + static_cast<int64_t>(l) * N;
  const float* ct = nullptr;
  if (a.cond != nullptr && d.C > 0)
    ct = a.w.cond_table + (static_cast<int64_t>(l) * d.C + a.cond[b]) * N;
  const float* pt = nullptr;
  if (d.PF > 0) {
    const int64_t f = t / d.PH;
    pt = a.w.pos_table + (static_cast<int64_t>(l) * d.PF + (f < d.PF - 1 ? f : d.PF - 1)) * N;
  }
  for (int i = tid; i < d.D; i += nth) {
    float zf = bias[i] + sum_parts(s.part, N, P, i);
    float zg = bias[d.D + i] + sum_parts(s.part, N, P, d.D + i);
    if (ct != nullptr) {
      zf += ct[i];
      zg += ct[d.D + i];
    }
    if (pt != nullptr) {
      zf += pt[i];
      zg += pt[d.D + i];
    }
    s.a[i] = tanhf(zf) * sigmoidf(zg);
  }
}

// Partial sums of a @ res.weight (R columns) and a @ skip.weight (S columns) in one phase:
// work items [0, R*P) are the residual product, [R*P, R*P + S*P) the skip product.
PYSYNTH_HD int res_skip_parts(const Dims& d, int nth) {
  return split_parts(d.R + d.S, d.D, nth);
}

PYSYNTH_HD void phase_res_skip_partial(const StepArgs& a, Scratch& s, int l, int tid, int nth) {
  const Dims& d = a.dims;
  const int P = res_skip_parts(d, nth);
  const float* rw = a.w.res_w + static_cast<int64_t>(l) * d.D * d.R;
  const float* sw = a.w.skip_w + static_cast<int64_t>(l) * d.D * d.S;
  const int nr = d.R * P;
  for (int i = tid; i < nr + d.S * P; i += nth) {
    if (i < nr)
      partial_products(s.a, false, rw, d.D, d.R, P, s.part, i);
    else
      partial_products(s.a, false, sw, d.D, d.S, P, s.part + nr, i - nr);
  }
}

// h_{l+1} = h_l + a @ res.weight + res.bias; skip += a @ skip.weight + skip.bias.
PYSYNTH_HD void phase_res_skip(const StepArgs& a, Scratch& s, int l, int tid, int nth) {
  const Dims& d = a.dims;
  const int P = res_skip_parts(d, nth);
  const float* rb = a.w.res_b + static_cast<int64_t>(l) * d.R;
  const float* sb = a.w.skip_b + static_cast<int64_t>(l) * d.S;
  const int nr = d.R * P;
  for (int i = tid; i < d.R + d.S; i += nth) {
    if (i < d.R) {
      s.h[i] += rb[i] + sum_parts(s.part, d.R, P, i);
    } else {
      const int j = i - d.R;
      s.skip[j] += sb[j] + sum_parts(s.part + nr, d.S, P, j);
    }
  }
}

// o1 = relu(relu(skip) @ out1.weight + out1.bias), as partial sums then their total.
PYSYNTH_HD void phase_out1_partial(const StepArgs& a, Scratch& s, int tid, int nth) {
  const Dims& d = a.dims;
  const int P = split_parts(d.H, d.S, nth);
  for (int i = tid; i < d.H * P; i += nth)
    partial_products(s.skip, true, a.w.out1_w, d.S, d.H, P, s.part, i);
}

PYSYNTH_HD void phase_out1(const StepArgs& a, Scratch& s, int tid, int nth) {
  const Dims& d = a.dims;
  const int P = split_parts(d.H, d.S, nth);
  for (int n = tid; n < d.H; n += nth) s.o1[n] = reluf(a.w.out1_b[n] + sum_parts(s.part, d.H, P, n));
}

// logits = o1 @ out2.weight + out2.bias, also written to out_logits when asked for (with a
// linear predictor, phase_choose writes them once it has put the prediction in the means).
PYSYNTH_HD void phase_logits_partial(const StepArgs& a, Scratch& s, int tid, int nth) {
  const Dims& d = a.dims;
  const int N = out_width(d);
  const int P = split_parts(N, d.H, nth);
  for (int i = tid; i < N * P; i += nth)
    partial_products(s.o1, false, a.w.out2_w, d.H, N, P, s.part, i);
}

PYSYNTH_HD void phase_logits(const StepArgs& a, Scratch& s, int b, int step, int tid, int nth) {
  const Dims& d = a.dims;
  const int N = out_width(d);
  const int P = split_parts(N, d.H, nth);
  float* out = nullptr;
  if (a.out_logits != nullptr && d.LP == 0)
    out = a.out_logits + (static_cast<int64_t>(b) * a.out_ld + a.out_col + step) * N;
  for (int n = tid; n < N; n += nth) {
    const float v = a.w.out2_b[n] + sum_parts(s.part, N, P, n);
    s.logits[n] = v;
    if (out != nullptr) out[n] = v;
  }
}

// The head runs on sampled steps and on teacher-forced steps whose logits are read (not
// on the prime's).
PYSYNTH_HD bool head_needed(const StepArgs& a, int step) {
  return step >= a.nforced || a.out_logits != nullptr;
}

// One thread, with a linear predictor: each mixture mean becomes the prediction from the
// stream's last LP indices (its input history, the prime's included) plus the head's
// correction (common.h apply_lpc, as the CPU engine), then the row goes to out_logits when
// asked for. One thread because apply_lpc is the CPU engine's serial sum: 3 MX + LP
// numbers, against the sampling rule's serial pass over the same row.
PYSYNTH_HD void predict_means(const StepArgs& a, Scratch& s, int b, int64_t t, int step) {
  const Dims& d = a.dims;
  const int nh = history_len(d);
  const int64_t row = static_cast<int64_t>(b) * a.out_ld + a.out_col + step;
  float* out = a.out_logits != nullptr ? a.out_logits + row * out_width(d) : nullptr;
  apply_lpc_from_ring(s.logits, d.MX, d.Q, a.w.lpc, d.LP, a.qhist + static_cast<int64_t>(b) * nh,
                      nh, t, out);
}

// One thread: q[t] is the forced index, or sampled from the logits with the uniform keyed
// (seed, stream, t); it is recorded and pushed into the input history.
PYSYNTH_HD void phase_choose(const StepArgs& a, Scratch& s, int b, int64_t t, int step, int tid) {
  if (tid != 0) return;
  const Dims& d = a.dims;
  if (d.LP > 0 && head_needed(a, step)) predict_means(a, s, b, t, step);
  int q;
  if (step < a.nforced) {
    q = a.forced[static_cast<int64_t>(b) * a.forced_ld + step];
  } else {
    const uint32_t id = a.stream_ids[b];
    const float u = uniform01(a.seed, id, static_cast<uint64_t>(t));
    q = d.MX > 0 ? sample_mixture(s.logits, d.MX, d.Q, a.rule, u,
                                  uniform_open01(a.seed, id, static_cast<uint64_t>(t)))
                 : sample_logits(s.logits, d.Q, a.rule, u);
  }
  a.out_q[static_cast<int64_t>(b) * a.out_ld + a.out_col + step] = q;
  const int nh = history_len(d);
  a.qhist[static_cast<int64_t>(b) * nh + t % nh] = q;
}

// Phases of one step: input; per layer taps, conv partials, gate, res/skip partials,
// res/skip; out1 partials, out1, logits partials, logits; choose.
constexpr int kPhasesPerLayer = 5;

PYSYNTH_HD int num_phases(const Dims& d) { return kPhasesPerLayer * d.L + 6; }

// The head (out1, logits) is skipped on teacher-forced steps whose logits nobody reads.
// The answer is the same for every thread of a block, so skipping a barrier is safe.
PYSYNTH_HD bool phase_needed(const StepArgs& a, int phase, int step) {
  const int head = kPhasesPerLayer * a.dims.L + 1;
  if (phase >= head && phase < head + 4) return head_needed(a, step);
  return true;
}

// Runs phase `phase` of step `step` (absolute time t0 + step) of stream b as thread tid of nth.
PYSYNTH_HD void run_phase(const StepArgs& a, Scratch& s, int b, int step, int phase, int tid,
                          int nth) {
  const int body = kPhasesPerLayer * a.dims.L;
  const int64_t t = a.t0 + step;
  if (phase == 0) {
    phase_input(a, s, b, t, tid, nth);
  } else if (phase <= body) {
    const int l = (phase - 1) / kPhasesPerLayer, k = (phase - 1) % kPhasesPerLayer;
    switch (k) {
      case 0: phase_taps(a, s, b, t, l, tid, nth); break;
      case 1: phase_conv_partial(a, s, l, tid, nth); break;
      case 2: phase_gate(a, s, b, t, l, tid, nth); break;
      case 3: phase_res_skip_partial(a, s, l, tid, nth); break;
      default: phase_res_skip(a, s, l, tid, nth); break;
    }
  } else if (phase == body + 1) {
    phase_out1_partial(a, s, tid, nth);
  } else if (phase == body + 2) {
    phase_out1(a, s, tid, nth);
  } else if (phase == body + 3) {
    phase_logits_partial(a, s, tid, nth);
  } else if (phase == body + 4) {
    phase_logits(a, s, b, step, tid, nth);
  } else {
    phase_choose(a, s, b, t, step, tid);
  }
}

}  // namespace wavenet
}  // namespace pysynth
