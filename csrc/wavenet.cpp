// The WaveNet CPU engine: one group of streams per thread, stepped one sample at a time.
#include "wavenet.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common.h"
#include "threadpool.h"
#include "vecmath.h"

namespace pysynth {

WaveNetEngine::WaveNetEngine(WaveNetProgram program,
                             const std::map<std::string, std::vector<float>>& t, int num_threads,
                             WeightFormat weights, Split split)
    : prog_(std::move(program)), num_threads_(resolve_threads(num_threads)), weights_(weights),
      crews_(split) {
  const auto& p = prog_;
  const int L = p.layers(), R = p.residual_channels, D = p.dilation_channels,
            S = p.skip_channels, K = p.filter_width;
  auto get = [&](const std::string& name) -> const std::vector<float>& {
    auto it = t.find(name);
    if (it == t.end()) throw std::invalid_argument("missing tensor '" + name + "'");
    return it->second;
  };
  w_.input_table = get(p.mixtures > 0 ? "input.weight" : "input.table");
  w_.input_bias = get("input.bias");
  if (p.lpc_order > 0) w_.lpc = get("lpc.weight");
  w_.conv.resize(L);
  w_.res.resize(L);
  w_.cond.resize(L);
  w_.pos.resize(L);
  std::vector<float> skip_stack(static_cast<size_t>(L) * D * S);
  std::vector<float> skip_bias(S, 0.0f);
  for (int l = 0; l < L; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    // (K, R, 2D) row-major is already the (K R x 2D) matrix of the stacked taps.
    w_.conv[l].pack(get(pre + "conv.weight").data(), 2 * D, K * R, 2 * D,
                    get(pre + "conv.bias").data(), weights);
    if (p.conditioning_classes > 0) w_.cond[l] = get(pre + "cond.table");
    if (p.position_frames > 0) w_.pos[l] = get(pre + "pos.table");
    w_.res[l].pack(get(pre + "res.weight").data(), R, D, R, get(pre + "res.bias").data(),
                   weights);
    const auto& sw = get(pre + "skip.weight");
    std::copy(sw.begin(), sw.end(), skip_stack.begin() + static_cast<size_t>(l) * D * S);
    const auto& sb = get(pre + "skip.bias");
    for (int j = 0; j < S; ++j) skip_bias[j] += sb[j];
  }
  w_.skip.pack(skip_stack.data(), S, L * D, S, skip_bias.data(), weights);
  w_.out1.pack(get("out1.weight").data(), p.output_channels, S, p.output_channels,
               get("out1.bias").data(), weights);
  w_.out2.pack(get("out2.weight").data(), p.width(), p.output_channels, p.width(),
               get("out2.bias").data(), weights);
}

namespace {

// Column panels per part of a head product split across a crew: at most 8 (128 columns,
// 800 KB of the ibab preset's fused skip weights), at least 4 (the panels the one-row
// microkernel sweeps together), else a quarter of the product. Measured at B = 1 on 2
// cores: the small preset (128-wide head) ran 74k samples/s with 8-panel parts (its skip
// and out1 products then stay whole), 93k with 4, 82k with 2.
constexpr int kGrainPanels = 8;

// Multiply-adds per stream of the head's skip and out1 products from which a crew splits
// them (when streams are fewer than threads); the small preset (512 x 128 + 128 x 128)
// and the ibab preset (1600 x 512 + 512 x 512) are both above it.
constexpr int64_t kSplitMinHeadMadds = 65536;

// C = A @ W (+ relu), by column panels: in parts on the crew, or in one piece without.
// relu is elementwise, so each part applies it to its own columns.
void head_product(WorkTeam* crew, const float* A, std::ptrdiff_t lda, const PackedMatrix& W,
                  float* C, std::ptrdiff_t ldc, int M, bool relu) {
  const int panels = W.num_panels();
  auto part = [&](int p0, int p1) {
    gemm_packed_panels(A, lda, W, C, ldc, M, false, p0, p1);
    if (relu)
      for (int m = 0; m < M; ++m)
        vec::relu_inplace(C + m * ldc + p0 * kPanel, (p1 - p0) * kPanel);
  };
  crew_split(crew, panels, std::max(4, std::min(kGrainPanels, panels / 4)), part);
}

// The state of M streams owned by one thread, and the scratch of one step.
class StreamGroup {
 public:
  StreamGroup(const WaveNetProgram& p, const WaveNetWeights& w, int M, const int32_t* cond)
      : p_(p), w_(w), M_(M) {
    const int L = p.layers(), R = p.residual_channels, D = p.dilation_channels, K = p.filter_width;
    Rp_ = round_up(R, kPanel);
    Zp_ = w.conv.empty() ? kPanel : w.conv[0].padded_n();
    LD_ = L * D;
    Sp_ = w.skip.padded_n();
    Hp_ = w.out1.padded_n();
    Qp_ = w.out2.padded_n();
    hist_.assign(static_cast<size_t>(M) * p.initial_filter_width, -1);
    cond_.assign(M, 0);
    if (cond) std::copy(cond, cond + M, cond_.begin());
    h_.resize(static_cast<size_t>(M) * Rp_);
    x_.resize(static_cast<size_t>(M) * K * R);
    z_.resize(static_cast<size_t>(M) * Zp_);
    acts_.resize(static_cast<size_t>(M) * std::max(LD_, 1));
    s_.resize(static_cast<size_t>(M) * Sp_);
    o1_.resize(static_cast<size_t>(M) * Hp_);
    logits_.resize(static_cast<size_t>(M) * Qp_);
    ring_len_.resize(L);
    ring_.resize(L);
    for (int l = 0; l < L; ++l) {
      ring_len_[l] = static_cast<int64_t>(K - 1) * p.dilations[l];
      ring_[l].resize(static_cast<size_t>(ring_len_[l]) * M * R);
    }
  }

  // Samples since the streams' clip start (all streams of a group start together): the
  // clock of the position input.
  int64_t t() const { return t_; }
  const float* logits(int m) const { return logits_.data() + static_cast<size_t>(m) * Qp_; }
  // The same row, for the linear predictor to rewrite its means in place (the head
  // recomputes every row at the next step).
  float* logits(int m) { return logits_.data() + static_cast<size_t>(m) * Qp_; }

  // Advance one sample: q_prev[m] = q[t-1] of stream m (ignored at t = 0). With `with_head`,
  // computes the logits of q[t]; without, only the layer states (prime samples).
  void step(const int32_t* q_prev, bool with_head, WorkTeam* crew) {
    layers(q_prev);
    if (with_head) head(crew);
  }

  // The input and every residual layer, leaving the gated activations of all layers in
  // acts_ for the head; advances t.
  void layers(const int32_t* q_prev) {
    const int M = M_, R = p_.residual_channels, D = p_.dilation_channels, K = p_.filter_width,
              K0 = p_.initial_filter_width, Q = p_.levels, L = p_.layers();
    // Input: h0 = bias + sum_j table[j, x[t-(K0-1-j)]] over the last K0 inputs, or with a
    // mixture output bias + sum_j unit(x) weight[j], unit(x) = 2x/(Q-1) - 1.
    const bool numeric = p_.mixtures > 0;
    const float to_unit = 2.0f / static_cast<float>(Q - 1);
    for (int m = 0; m < M; ++m) {
      int32_t* hist = hist_.data() + static_cast<size_t>(m) * K0;
      if (t_ > 0) {
        std::memmove(hist, hist + 1, sizeof(int32_t) * (K0 - 1));
        hist[K0 - 1] = q_prev[m];
      }
      float* h = h_.data() + static_cast<size_t>(m) * Rp_;
      std::memcpy(h, w_.input_bias.data(), sizeof(float) * R);
      for (int j = 0; j < K0; ++j) {
        if (hist[j] < 0) continue;
        if (numeric) {
          const float v = static_cast<float>(hist[j]) * to_unit - 1.0f;
          const float* wj = w_.input_table.data() + static_cast<size_t>(j) * R;
          for (int r = 0; r < R; ++r) h[r] += v * wj[r];
        } else {
          vec::add_inplace(h, w_.input_table.data() + (static_cast<size_t>(j) * Q + hist[j]) * R,
                           R);
        }
      }
    }
    const size_t blockR = static_cast<size_t>(M) * R;
    for (int l = 0; l < L; ++l) {
      const int64_t n = ring_len_[l], d = p_.dilations[l];
      float* ring = ring_[l].data();
      // Gather [h[t-(K-1)d], ..., h[t-d], h[t]] into x (M x K R).
      for (int j = 0; j < K - 1; ++j) {
        const int64_t dist = static_cast<int64_t>(K - 1 - j) * d;
        const int64_t slot = ((t_ - dist) % n + n) % n;
        const float* src = ring + slot * blockR;
        for (int m = 0; m < M; ++m)
          std::memcpy(x_.data() + (static_cast<size_t>(m) * K + j) * R, src + m * R,
                      sizeof(float) * R);
      }
      for (int m = 0; m < M; ++m)
        std::memcpy(x_.data() + (static_cast<size_t>(m) * K + (K - 1)) * R,
                    h_.data() + static_cast<size_t>(m) * Rp_, sizeof(float) * R);
      if (n > 0) {  // h[t] becomes a past tap; its slot held h[t-(K-1)d], read above
        float* dst = ring + (t_ % n) * blockR;
        for (int m = 0; m < M; ++m)
          std::memcpy(dst + m * R, h_.data() + static_cast<size_t>(m) * Rp_, sizeof(float) * R);
      }
      gemm_packed(x_.data(), static_cast<std::ptrdiff_t>(K) * R, w_.conv[l], z_.data(), Zp_, M,
                  false);
      const float* pos = p_.position_frames > 0
                             ? w_.pos[l].data() + static_cast<size_t>(p_.position_frame(t_)) * 2 * D
                             : nullptr;
      for (int m = 0; m < M; ++m) {
        float* z = z_.data() + static_cast<size_t>(m) * Zp_;
        if (pos) vec::add_inplace(z, pos, 2 * D);
        const float* c = p_.conditioning_classes > 0
                             ? w_.cond[l].data() + static_cast<size_t>(cond_[m]) * 2 * D
                             : nullptr;
        vec::gated_tanh_sigmoid(z, z + D, c, c ? c + D : nullptr,
                                acts_.data() + static_cast<size_t>(m) * LD_ + static_cast<size_t>(l) * D,
                                D);
      }
      if (l + 1 < L)  // the last layer's residual output feeds nothing
        gemm_packed(acts_.data() + static_cast<size_t>(l) * D, LD_, w_.res[l], h_.data(), Rp_, M,
                    true);
    }
    ++t_;
  }

  // The output head: the fused skip product (all layers' activations at once) + relu,
  // out1 + relu, out2, leaving the logits of every stream in logits_. With a crew, each
  // product is split by column panels across its threads (same arithmetic per element).
  void head(WorkTeam* crew) {
    const int M = M_;
    head_product(crew, acts_.data(), LD_, w_.skip, s_.data(), Sp_, M, true);
    head_product(crew, s_.data(), Sp_, w_.out1, o1_.data(), Hp_, M, true);
    head_product(crew, o1_.data(), Hp_, w_.out2, logits_.data(), Qp_, M, false);
  }

 private:
  const WaveNetProgram& p_;
  const WaveNetWeights& w_;
  int M_;
  int Rp_, Zp_, LD_, Sp_, Hp_, Qp_;
  int64_t t_ = 0;
  std::vector<int32_t> hist_, cond_;
  FloatBuffer h_, x_, z_, acts_, s_, o1_, logits_;
  std::vector<int64_t> ring_len_;
  std::vector<FloatBuffer> ring_;
};

}  // namespace

int WaveNetEngine::team_size(int B) const {
  const int64_t madds = static_cast<int64_t>(w_.skip.K) * w_.skip.N +
                        static_cast<int64_t>(w_.out1.K) * w_.out1.N;
  return B < num_threads_ && madds >= kSplitMinHeadMadds ? num_threads_ : 1;
}

int WaveNetEngine::steps_per_poll(int B) const {
  // About 0.05-0.1 s of work between polls, so Ctrl-C is answered quickly.
  const double flops = prog_.flops_per_sample() * std::max(B, 1);
  const double steps = 2e9 / std::max(flops, 1.0);
  return static_cast<int>(std::min(4096.0, std::max(8.0, steps)));
}

namespace {

using Groups = std::vector<std::unique_ptr<StreamGroup>>;

// Advance every group through steps [s0, s1). before(g, s) returns group g's q[t-1] array
// for step s; after(g, s) consumes the logits (only with `head`). With team <= 1 each
// thread owns whole groups and never waits for another inside a step. With team > 1 there
// is one group, stepped by a lead thread whose head products the other team - 1 threads
// help with through a WorkTeam (dynamic claiming: a descheduled helper delays a product by
// at most one part; an earlier fixed split with barriers lost 1.5-4x under load) when
// `chooser` finds that faster than the lead thread alone.
template <class Before, class After>
void run_slice(Groups& groups, int num_threads, int team, CrewChooser& chooser, int64_t s0,
               int64_t s1, bool head, Before&& before, After&& after) {
  auto advance = [&](int g, WorkTeam* crew) {
    for (int64_t s = s0; s < s1; ++s) {
      groups[g]->step(before(g, s), head, crew);
      if (head) after(g, s);
    }
  };
  if (team <= 1 || !head) {  // the prime steps have no head to split
    parallel_for(static_cast<int>(groups.size()), num_threads,
                 [&](int g) { advance(g, nullptr); });
    return;
  }
  chooser.run(team, s1 - s0, [&](WorkTeam* crew) { advance(0, crew); });  // then poll()
}

// One contiguous group of streams per thread (fewer groups than threads when B is small).
// With a team (> 1), one group of all B streams. `prev` holds each group's previous
// sample per stream (the input of the next step), zero before the first one.
struct Streams {
  Groups groups;
  std::vector<std::pair<int, int>> ranges;
  std::vector<std::vector<int32_t>> prev;
};

Streams make_streams(const WaveNetProgram& p, const WaveNetWeights& w, int B, int num_threads,
                     int team, const int32_t* cond) {
  const int G = team > 1 ? 1 : std::min(B, num_threads);
  Streams s;
  s.groups.resize(G);
  s.ranges.resize(G);
  s.prev.resize(G);
  for (int g = 0; g < G; ++g) {
    s.ranges[g] = split_range(B, G, g);
    const int b0 = s.ranges[g].first, m = s.ranges[g].second - b0;
    s.groups[g] = std::make_unique<StreamGroup>(p, w, m, cond ? cond + b0 : nullptr);
    s.prev[g].assign(m, 0);
  }
  return s;
}

}  // namespace

void WaveNetEngine::score(const int32_t* q, int B, int64_t T, const int32_t* cond, float* logits,
                          float* nll, const Poll& poll) const {
  if (B <= 0 || T <= 0) return;
  const int Q = prog_.levels, W = prog_.width(), K = prog_.mixtures, LP = prog_.lpc_order;
  const int team = team_size(B);
  Streams st = make_streams(prog_, w_, B, num_threads_, team, cond);
  Groups& groups = st.groups;
  const auto& ranges = st.ranges;
  auto& prev = st.prev;
  const int64_t slice = steps_per_poll(B);
  CrewChooser chooser = crews_.take(B);
  for (int64_t t0 = 0; t0 < T; t0 += slice) {
    const int64_t t1 = std::min(T, t0 + slice);
    run_slice(
        groups, num_threads_, team, chooser, t0, t1, true,
        [&](int g, int64_t t) {
          const auto [b0, b1] = ranges[g];
          for (int b = b0; b < b1; ++b) prev[g][b - b0] = t > 0 ? q[b * T + t - 1] : 0;
          return prev[g].data();
        },
        [&](int g, int64_t t) {
          const auto [b0, b1] = ranges[g];
          for (int b = b0; b < b1; ++b) {
            float* lg = groups[g]->logits(b - b0);
            if (LP > 0) {  // the linear predictor over the known past
              int32_t recent[kMaxLpcOrder];
              for (int j = 0; j < LP; ++j) recent[j] = t - 1 - j >= 0 ? q[b * T + t - 1 - j] : -1;
              apply_lpc(lg, K, Q, w_.lpc.data(), LP, recent);
            }
            if (logits)
              std::memcpy(logits + (static_cast<size_t>(b) * T + t) * W, lg, sizeof(float) * W);
            if (nll)
              nll[b * T + t] = K > 0 ? mixture_nll_bits(lg, K, Q, q[b * T + t])
                                     : nll_bits(lg, Q, q[b * T + t]);
          }
        });
    if (poll) poll();
  }
  crews_.keep(B, team > 1 ? &chooser : nullptr);
}

void WaveNetEngine::generate(int64_t n, const uint32_t* streams, int B, uint64_t seed,
                             SamplingRule rule, const int32_t* prime, int64_t P,
                             const int32_t* cond, int64_t chunk, const BlockSink& sink,
                             const Poll& poll) const {
  if (B <= 0 || n <= 0) return;
  if (chunk <= 0) chunk = n;
  chunk = std::min(chunk, n);
  const int Q = prog_.levels, K = prog_.mixtures, LP = prog_.lpc_order;
  const int team = team_size(B);
  Streams st = make_streams(prog_, w_, B, num_threads_, team, cond);
  Groups& groups = st.groups;
  const auto& ranges = st.ranges;
  auto& prev = st.prev;
  const int64_t slice = steps_per_poll(B);
  CrewChooser chooser = crews_.take(B);
  auto no_head = [](int, int64_t) {};
  // Prime: teacher-force q[0..P) (their logits are not needed, only the layer states).
  for (int64_t t0 = 0; t0 < P; t0 += slice) {
    const int64_t t1 = std::min(P, t0 + slice);
    run_slice(
        groups, num_threads_, team, chooser, t0, t1, false,
        [&](int g, int64_t t) {
          const auto [b0, b1] = ranges[g];
          for (int b = b0; b < b1; ++b) prev[g][b - b0] = t > 0 ? prime[b * P + t - 1] : 0;
          return prev[g].data();
        },
        no_head);
    if (poll) poll();
  }
  for (size_t g = 0; g < groups.size() && P > 0; ++g)
    for (int b = ranges[g].first; b < ranges[g].second; ++b)
      prev[g][b - ranges[g].first] = prime[b * P + P - 1];
  std::vector<int32_t> block(static_cast<size_t>(B) * chunk);
  std::vector<std::vector<float>> scratch(groups.size(), std::vector<float>(Q));
  // The linear predictor's past: per stream a ring of the last LP levels (level t at slot
  // t mod LP), as the SampleRNN engine and the CUDA kernels keep it; the prime's end first.
  std::vector<int32_t> ring(static_cast<size_t>(B) * LP);
  for (int b = 0; b < B; ++b)
    for (int64_t t = std::max<int64_t>(0, P - LP); t < P; ++t)
      ring[static_cast<size_t>(b) * LP + t % LP] = prime[b * P + t];
  for (int64_t c0 = 0; c0 < n; c0 += chunk) {
    const int64_t cn = std::min(chunk, n - c0);
    for (int64_t s0 = 0; s0 < cn; s0 += slice) {
      const int64_t s1 = std::min(cn, s0 + slice);
      run_slice(
          groups, num_threads_, team, chooser, s0, s1, true,
          [&](int g, int64_t) { return prev[g].data(); },
          [&](int g, int64_t s) {
            const auto [b0, b1] = ranges[g];
            const uint64_t t = static_cast<uint64_t>(P + c0 + s);
            float* tmp = scratch[g].data();
            for (int b = b0; b < b1; ++b) {
              const float u = uniform01(seed, streams[b], t);
              float* lg = groups[g]->logits(b - b0);
              int32_t* past = ring.data() + static_cast<size_t>(b) * LP;
              if (LP > 0) apply_lpc_from_ring(lg, K, Q, w_.lpc.data(), LP, past, LP, t, nullptr);
              const int32_t qt =
                  K > 0 ? sample_mixture(lg, K, Q, rule, u, uniform_open01(seed, streams[b], t))
                        : sample_logits_scratch(lg, Q, rule, u, tmp);
              block[static_cast<size_t>(b) * cn + s] = qt;
              prev[g][b - b0] = qt;
              if (LP > 0) past[t % LP] = qt;
            }
          });
      if (poll) poll();
    }
    sink(block.data(), B, cn, c0);
  }
  crews_.keep(B, team > 1 ? &chooser : nullptr);
}

}  // namespace pysynth
