// SampleRNN CPU engine: see samplernn.h and docs/architecture.md ("SampleRNN program").
#include "samplernn.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "common.h"
#include "gemm.h"
#include "rnn_cells.h"
#include "threadpool.h"
#include "vecmath.h"

namespace pysynth {

namespace {
// Smallest dim at which a team splits each product by columns. Below it a step's products
// take a few microseconds and the barriers would cost more than the second core gives.
constexpr int kSplitMinDim = 512;

// Column panels per part of a product split across a crew (a multiple of the 4 panels the
// one-row microkernel sweeps together; 128 columns of 1024 rows is 512 KB of weights).
constexpr int kGrainPanels = 8;

// C (+)= A @ W, split by column panels across the crew (in one piece without one).
void gemm_split(WorkTeam* crew, const float* A, std::ptrdiff_t lda, const PackedMatrix& W,
                float* C, std::ptrdiff_t ldc, int M, bool accumulate) {
  crew_split(crew, W.num_panels(), kGrainPanels, [&](int p0, int p1) {
    gemm_packed_panels(A, lda, W, C, ldc, M, accumulate, p0, p1);
  });
}
}  // namespace

struct SampleRNNEngine::Group {
  int nb = 0;   // streams of the group
  int nr = 0;   // rows computed: nb rounded up to whole GEMM row blocks (extra rows idle)
  int64_t t = 0;                           // index of the next sample
  std::vector<std::vector<float>> h, c;    // per tier: layers x nb x H
  std::vector<std::vector<float>> up;      // per tier: nb x (r_i * H)
  std::vector<float> v, x, xg, hg, hn, o, a, a2, logits;
  std::vector<int32_t> hist;               // nb x (hist_mask_ + 1) ring of past samples
  std::vector<int32_t> cond;               // nr class ids (idle rows: 0), empty if C = 0
};

SampleRNNEngine::SampleRNNEngine(SampleRNNProgram program,
                                 std::map<std::string, std::vector<float>> tensors,
                                 int num_threads, WeightFormat weights, Split split)
    : prog_(std::move(program)), store_(std::move(tensors)), weights_(weights), crews_(split) {
  auto get = [this](const std::string& name) -> const float* {
    auto it = store_.find(name);
    if (it == store_.end()) throw std::invalid_argument("missing tensor " + name);
    return it->second.data();
  };
  // Check sizes once more (cheap) so a caller that skipped validation cannot read past ends.
  for (const auto& spec : samplernn_tensor_table(prog_)) {
    int64_t count = 1;
    for (int64_t d : spec.second) count *= d;
    auto it = store_.find(spec.first);
    if (it == store_.end()) throw std::invalid_argument("missing tensor " + spec.first);
    if (static_cast<int64_t>(it->second.size()) != count)
      throw std::invalid_argument("tensor " + spec.first + " has the wrong size");
  }
  const int H = prog_.dim, G = prog_.gates();
  for (int i = 0; i < prog_.tiers(); ++i) {
    const std::string t = samplernn_tier_name(i);
    Tier tier;
    tier.F = prog_.frame_sizes[i];
    tier.r = prog_.ratio(i);
    // The frame input stays float32 whatever `weights`: F x H is small, and its inputs (the
    // quantized sample values) would lose their low bits in bfloat16.
    tier.in.pack(get(t + ".input.weight"), H, tier.F, H, get(t + ".input.bias"));
    tier.up.pack(get(t + ".upsample.weight"), tier.r * H, H, tier.r * H,
                 get(t + ".upsample.bias"), weights);
    if (prog_.conditioning_classes > 0) tier.cond = get(t + ".cond.table");
    if (prog_.position_frames > 0 && i + 1 == prog_.tiers()) tier.pos = get(t + ".pos.table");
    tier.layers.resize(prog_.rnn_layers[i]);
    for (int l = 0; l < prog_.rnn_layers[i]; ++l) {
      const std::string r = t + ".rnn." + std::to_string(l);
      Layer& L = tier.layers[l];
      const float* bias = get(r + ".bias");
      L.kernel.pack(get(r + ".kernel"), G * H, H, G * H, bias, weights);
      L.recurrent.pack(get(r + ".recurrent_kernel"), G * H, H, G * H,
                       prog_.lstm ? nullptr : bias + G * H, weights);
      L.h0 = get(r + ".h0");
      L.c0 = prog_.lstm ? get(r + ".c0") : nullptr;
    }
    tiers_.push_back(std::move(tier));
  }
  table_ = get(prog_.mixtures > 0 ? "sample.weight" : "sample.table");
  lpc_ = prog_.lpc_order > 0 ? get("lpc.weight") : nullptr;
  sample_b_ = get("sample.bias");
  hidden_.resize(prog_.mlp_layers);
  for (int k = 0; k < prog_.mlp_layers; ++k) {
    const std::string h = "sample.hidden." + std::to_string(k);
    hidden_[k].pack(get(h + ".weight"), H, H, H, get(h + ".bias"), weights);
  }
  out_.pack(get("sample.output.weight"), prog_.width(), H, prog_.width(),
            get("sample.output.bias"), weights);
  // Keep only what the packs do not hold (initial states, the sample table, its bias, the
  // linear predictor).
  for (auto it = store_.begin(); it != store_.end();) {
    const std::string& k = it->first;
    auto ends = [&k](const std::string& tail) {
      return k.size() > tail.size() && k.compare(k.size() - tail.size(), tail.size(), tail) == 0;
    };
    const bool keep = k == "sample.table" || k == "sample.weight" || k == "sample.bias" ||
                      k == "lpc.weight" || ends(".h0") ||
                      ends(".c0") || ends(".cond.table") || ends(".pos.table");
    it = keep ? std::next(it) : store_.erase(it);
  }
  ld_h_ = round_up(H, kPanel);
  ld_g_ = round_up(G * H, kPanel);
  ld_q_ = round_up(prog_.width(), kPanel);
  num_threads_ = resolve_threads(num_threads);
  int cap = 1;
  while (cap < prog_.frame_sizes.back()) cap *= 2;
  hist_mask_ = cap - 1;
}

void SampleRNNEngine::init_group(Group& g, int nb, const int32_t* cond) const {
  const int H = prog_.dim, K = prog_.tiers();
  // The GEMM handles rows in blocks of kRowBlock and sweeps the weights once more for a
  // ragged last block, which for large, memory-resident weights costs nearly as much as the
  // full blocks (measured: 16 rows took 1.6x the time of 12 and longer than 18). So a group
  // of more than one block computes whole blocks; the idle rows see sample 0 forever and
  // are never read out.
  const int nr = nb > kRowBlock ? round_up(nb, kRowBlock) : nb;
  const size_t lh = ld_h_, n = static_cast<size_t>(nr);
  g.nb = nb;
  g.nr = nr;
  g.t = 0;
  g.h.assign(K, {});
  g.c.assign(K, {});
  g.up.assign(K, {});
  for (int i = 0; i < K; ++i) {
    const Tier& tier = tiers_[i];
    const size_t L = tier.layers.size();
    g.h[i].assign(L * n * lh, 0.0f);
    if (prog_.lstm) g.c[i].assign(L * n * lh, 0.0f);
    for (size_t l = 0; l < L; ++l)
      for (size_t b = 0; b < n; ++b) {
        std::copy(tier.layers[l].h0, tier.layers[l].h0 + H, &g.h[i][(l * n + b) * lh]);
        if (prog_.lstm)
          std::copy(tier.layers[l].c0, tier.layers[l].c0 + H, &g.c[i][(l * n + b) * lh]);
      }
    g.up[i].assign(n * tier.up.padded_n(), 0.0f);
  }
  g.v.assign(n * prog_.frame_sizes.back(), 0.0f);
  g.x.assign(n * lh, 0.0f);
  g.xg.assign(n * ld_g_, 0.0f);
  g.hg.assign(n * ld_g_, 0.0f);
  g.hn.assign(n * lh, 0.0f);
  g.o.assign(n * lh, 0.0f);
  g.a.assign(n * lh, 0.0f);
  g.a2.assign(n * lh, 0.0f);
  g.logits.assign(n * ld_q_, 0.0f);
  g.hist.assign(n * (hist_mask_ + 1), 0);
  g.cond.clear();
  if (cond) {
    g.cond.assign(n, 0);
    std::copy(cond, cond + nb, g.cond.begin());
  }
}

int SampleRNNEngine::team_size(int B) const {
  // The crew needs each gate block to start on a panel (H a multiple of 16).
  const bool big = prog_.dim >= kSplitMinDim && prog_.dim % kPanel == 0;
  return B < num_threads_ && big ? num_threads_ : 1;
}

void SampleRNNEngine::step(Group& g, WorkTeam* crew, bool want_logits) const {
  const int H = prog_.dim, K = prog_.tiers(), Q = prog_.levels, G = prog_.gates();
  const int nb = g.nr, cap = hist_mask_ + 1;  // every computed row, idle ones included
  const size_t lh = ld_h_, lg = ld_g_;
  const int64_t t = g.t;
  for (int i = K - 1; i >= 0; --i) {
    const Tier& tier = tiers_[i];
    const int F = tier.F;
    if (t % F != 0) continue;
    const int64_t m = t / F;
    // Input features: the previous frame's samples as unit values (zero before time 0).
    float* v = g.v.data();
    for (int b = 0; b < nb; ++b) {
      const int32_t* hq = &g.hist[size_t(b) * cap];
      for (int j = 0; j < F; ++j) {
        const int64_t p = t - F + j;
        v[size_t(b) * F + j] = p >= 0 ? index_to_unit(hq[p & hist_mask_], Q) : 0.0f;
      }
    }
    // x = (the upper tier's conditioning row) + input.bias + v @ input.weight.
    float* x = g.x.data();
    const bool top = i + 1 == K;
    if (!top) {
      const Tier& upper = tiers_[i + 1];
      const size_t lu = upper.up.padded_n(), row = static_cast<size_t>(m % upper.r) * H;
      for (int b = 0; b < nb; ++b)
        std::copy_n(&g.up[i + 1][size_t(b) * lu + row], H, x + size_t(b) * lh);
    }
    gemm_split(crew, v, F, tier.in, x, lh, nb, !top);
    // The class row of each stream, then (top tier) the row of the frame's position.
    if (tier.cond)
      for (int b = 0; b < nb; ++b)
        vec::add_inplace(x + size_t(b) * lh, tier.cond + size_t(g.cond[b]) * H, H);
    if (tier.pos) {
      const float* row = tier.pos + size_t(prog_.position_frame(t)) * H;
      for (int b = 0; b < nb; ++b) vec::add_inplace(x + size_t(b) * lh, row, H);
    }
    // Stacked RNN: gate projections as batched products, then the per-unit cell update.
    // A crew splits a layer by units: a part computes the gate columns of its units
    // (panels p, p + H/16, p + 2H/16, ...) and their new states, so one job per layer. The
    // other parts still read the old h in their recurrent products, so new states go to
    // hn and are copied back once the job is done.
    const float* xin = x;
    const int L = static_cast<int>(tier.layers.size());
    float* xg = g.xg.data();
    float* hg = g.hg.data();
    const bool skip = prog_.skip_connections && L > 1;
    for (int l = 0; l < L; ++l) {
      const Layer& lay = tier.layers[l];
      float* h = &g.h[i][size_t(l) * nb * lh];
      float* c = prog_.lstm ? &g.c[i][size_t(l) * nb * lh] : nullptr;
      float* hn = crew ? g.hn.data() : h;
      crew_split(crew, H, kGrainPanels * kPanel, [&](int u0, int u1) {
        auto project = [&](const float* A, const PackedMatrix& W, float* C, bool acc) {
          if (!crew) {
            gemm_packed(A, lh, W, C, lg, nb, acc);
            return;
          }
          const int p0 = u0 / kPanel, p1 = (u1 + kPanel - 1) / kPanel, hp = H / kPanel;
          for (int gate = 0; gate < G; ++gate)
            gemm_packed_panels(A, lh, W, C, lg, nb, acc, gate * hp + p0, gate * hp + p1);
        };
        project(xin, lay.kernel, xg, false);
        if (prog_.lstm) {
          project(h, lay.recurrent, xg, true);
          for (int b = 0; b < nb; ++b) {
            const float* gb = xg + b * lg;
            float *hb = hn + b * lh, *cb = c + b * lh;
            for (int j = u0; j < u1; ++j)
              hb[j] = lstm_unit(gb[j], gb[H + j], gb[2 * H + j], gb[3 * H + j], cb[j]);
          }
        } else {
          project(h, lay.recurrent, hg, false);
          for (int b = 0; b < nb; ++b) {
            const float *xb = xg + b * lg, *hgb = hg + b * lg;
            const float* hb = h + b * lh;
            float* hnb = hn + b * lh;
            for (int j = u0; j < u1; ++j)
              hnb[j] = gru_unit(xb[j], xb[H + j], xb[2 * H + j], hgb[j], hgb[H + j],
                                hgb[2 * H + j], hb[j]);
          }
        }
        // Output with skip connections: the layers' states summed in layer order.
        if (skip)
          for (int b = 0; b < nb; ++b) {
            float* ob = g.o.data() + size_t(b) * lh;
            const float* hb = hn + size_t(b) * lh;
            if (l == 0)
              std::copy(hb + u0, hb + u1, ob + u0);
            else
              for (int j = u0; j < u1; ++j) ob[j] += hb[j];
          }
      });
      if (crew) std::copy_n(hn, size_t(nb) * lh, h);
      xin = h;
    }
    const float* o = skip ? g.o.data() : xin;  // else the last layer's state
    gemm_split(crew, o, lh, tier.up, g.up[i].data(), tier.up.padded_n(), nb, false);
  }
  if (!want_logits) return;
  sample_input(g, g.a.data(), ld_h_);
  sample_mlp(g.a.data(), g.a2.data(), nb, g.logits.data(), crew);
}

void SampleRNNEngine::sample_input(const Group& g, float* a, size_t lda) const {
  // The embedding is folded into the first layer: one table row per tap, no product.
  const int H = prog_.dim, Q = prog_.levels, F0 = prog_.frame_sizes[0], cap = hist_mask_ + 1;
  const int64_t t = g.t;
  const size_t row = static_cast<size_t>(t % F0) * H, lu = tiers_[0].up.padded_n();
  for (int b = 0; b < g.nr; ++b) {
    float* ab = a + size_t(b) * lda;
    const float* c = &g.up[0][size_t(b) * lu + row];
    for (int j = 0; j < H; ++j) ab[j] = sample_b_[j] + c[j];
    const int32_t* hq = &g.hist[size_t(b) * cap];
    for (int j = 0; j < F0; ++j) {
      const int64_t p = t - F0 + j;
      if (p < 0) continue;
      const int32_t x = hq[p & hist_mask_];
      if (prog_.mixtures > 0) {  // a mol16 model: the value times the tap's row
        const float v = index_to_unit(x, Q), *wr = table_ + size_t(j) * H;
        for (int k = 0; k < H; ++k) ab[k] += v * wr[k];
      } else {
        const float* tr = table_ + (size_t(j) * Q + static_cast<size_t>(x)) * H;
        for (int k = 0; k < H; ++k) ab[k] += tr[k];
      }
    }
    for (int k = 0; k < H; ++k) ab[k] = reluf(ab[k]);
  }
}

void SampleRNNEngine::sample_mlp(float* a, float* a2, int M, float* logits,
                                 WorkTeam* crew) const {
  const size_t lh = ld_h_;
  for (const PackedMatrix& w : hidden_) {
    crew_split(crew, w.num_panels(), kGrainPanels, [&](int p0, int p1) {
      gemm_packed_panels(a, lh, w, a2, lh, M, false, p0, p1);
      const size_t c0 = size_t(p0) * kPanel, c1 = size_t(p1) * kPanel;
      for (size_t r = 0; r < size_t(M); ++r)
        for (size_t e = r * lh + c0; e < r * lh + c1; ++e) a2[e] = reluf(a2[e]);
    });
    std::swap(a, a2);
  }
  gemm_split(crew, a, lh, out_, logits, ld_q_, M, false);
}

void SampleRNNEngine::push(Group& g, const int32_t* q_t) const {
  const int cap = hist_mask_ + 1;
  const size_t slot = static_cast<size_t>(g.t & hist_mask_);
  for (int b = 0; b < g.nb; ++b) g.hist[size_t(b) * cap + slot] = q_t[b];
  ++g.t;
}

namespace {
// Contiguous stream ranges (b0, nb), one per worker thread.
std::vector<std::pair<int, int>> partition(int B, int threads) {
  const int n = std::max(1, std::min(B, threads));
  std::vector<std::pair<int, int>> parts;
  for (int k = 0; k < n; ++k) {
    const auto [b0, b1] = split_range(B, n, k);
    parts.push_back({b0, b1 - b0});
  }
  return parts;
}
}  // namespace

void SampleRNNEngine::score(const int32_t* q, int B, int64_t T, const int32_t* cond,
                            float* logits, float* nll) const {
  // Teacher forcing knows every input in advance, so the sample-level MLP (most of the
  // per-sample work) runs once per block of samples as one tall product instead of once
  // per sample; the frame tiers still step in order. Rows are computed exactly as in
  // step() (the GEMM's rows do not depend on M), so scores equal generation's logits.
  if (B <= 0 || T <= 0) return;
  const int Q = prog_.levels, W = prog_.width(), MX = prog_.mixtures, LP = prog_.lpc_order;
  const auto parts = partition(B, num_threads_);
  parallel_for(static_cast<int>(parts.size()), static_cast<int>(parts.size()), [&](int k) {
    const int b0 = parts[k].first, nb = parts[k].second;
    const int64_t block = std::max<int64_t>(16, 1024 / nb);
    Group g;
    init_group(g, nb, cond ? cond + b0 : nullptr);
    const int nr = g.nr;
    const size_t rows = static_cast<size_t>(block) * nr;
    std::vector<float> a(rows * ld_h_), a2(rows * ld_h_), lg(rows * ld_q_);
    std::vector<int32_t> col(nb);
    for (int64_t t0 = 0; t0 < T; t0 += block) {
      const int64_t len = std::min(block, T - t0);
      for (int64_t s = 0; s < len; ++s) {
        step(g, nullptr, false);
        sample_input(g, &a[size_t(s) * nr * ld_h_], ld_h_);
        for (int b = 0; b < nb; ++b) col[b] = q[static_cast<size_t>(b0 + b) * T + t0 + s];
        push(g, col.data());
      }
      sample_mlp(a.data(), a2.data(), static_cast<int>(len * nr), lg.data(), nullptr);
      for (int64_t s = 0; s < len; ++s)
        for (int b = 0; b < nb; ++b) {
          const size_t idx = static_cast<size_t>(b0 + b) * T + t0 + s;
          float* row = &lg[(size_t(s) * nr + b) * ld_q_];
          if (LP > 0) {  // the linear predictor over the known past
            int32_t recent[kMaxLpcOrder];
            for (int j = 0; j < LP; ++j) recent[j] = t0 + s - 1 - j >= 0 ? q[idx - 1 - j] : -1;
            apply_lpc(row, MX, Q, lpc_, LP, recent);
          }
          if (logits) std::copy(row, row + W, logits + idx * W);
          if (nll) nll[idx] = MX > 0 ? mixture_nll_bits(row, MX, Q, q[idx]) : nll_bits(row, Q, q[idx]);
        }
    }
  });
}

void SampleRNNEngine::generate(int64_t n, const uint32_t* streams, int B, uint64_t seed,
                               SamplingRule rule, const int32_t* prime, int64_t P,
                               const int32_t* cond, int64_t chunk,
                               const std::function<void(const int32_t*, int, int64_t)>& emit) const {
  if (n <= 0 || B <= 0) return;
  const int Q = prog_.levels, MX = prog_.mixtures, LP = prog_.lpc_order;
  // Either one group of streams per thread, or (fewer streams than threads, large dim) one
  // group stepped by a lead thread whose products the other threads help with when that
  // measures faster (CrewChooser, slice by slice).
  const int team = team_size(B);
  const auto parts = team > 1 ? std::vector<std::pair<int, int>>{{0, B}} : partition(B, num_threads_);
  std::vector<Group> groups(parts.size());
  for (size_t k = 0; k < parts.size(); ++k)
    init_group(groups[k], parts[k].second, cond ? cond + parts[k].first : nullptr);
  std::vector<int32_t> block(static_cast<size_t>(B) * std::min<int64_t>(chunk, n));
  // Teacher-force prompt steps [t0, t1) of group k (no logits needed).
  auto prime_steps = [&](int k, WorkTeam* crew, int64_t t0, int64_t t1) {
    const int b0 = parts[k].first, nb = parts[k].second;
    Group& g = groups[k];
    std::vector<int32_t> col(nb);
    for (int64_t t = t0; t < t1; ++t) {
      step(g, crew, false);
      for (int b = 0; b < nb; ++b) col[b] = prime[static_cast<size_t>(b0 + b) * P + t];
      push(g, col.data());
    }
  };
  // Draw samples [s0, s1) of the current block (len samples) for group k.
  auto draw_steps = [&](int k, WorkTeam* crew, int64_t s0, int64_t s1, int64_t len) {
    const int b0 = parts[k].first, nb = parts[k].second;
    Group& g = groups[k];
    std::vector<int32_t> col(nb);
    for (int64_t s = s0; s < s1; ++s) {
      step(g, crew, true);
      for (int b = 0; b < nb; ++b) {
        const uint64_t t = static_cast<uint64_t>(g.t);
        const float u = uniform01(seed, streams[b0 + b], t);
        float* lg = &g.logits[size_t(b) * ld_q_];
        if (LP > 0)  // the linear predictor over the stream's past (its history ring)
          apply_lpc_from_ring(lg, MX, Q, lpc_, LP, &g.hist[size_t(b) * (hist_mask_ + 1)],
                              hist_mask_ + 1, g.t, nullptr);
        col[b] = MX > 0 ? sample_mixture(lg, MX, Q, rule, u, uniform_open01(seed, streams[b0 + b], t))
                        : sample_logits(lg, Q, rule, u);
        block[static_cast<size_t>(b0 + b) * len + s] = col[b];
      }
      push(g, col.data());
    }
  };
  CrewChooser chooser = crews_.take(B);
  const int64_t slice = steps_per_slice();
  if (team > 1)
    for (int64_t t0 = 0; t0 < P; t0 += slice) {
      const int64_t t1 = std::min(P, t0 + slice);
      chooser.run(team, t1 - t0, [&](WorkTeam* crew) { prime_steps(0, crew, t0, t1); });
    }
  else
    parallel_for(static_cast<int>(parts.size()), static_cast<int>(parts.size()),
                 [&](int k) { prime_steps(k, nullptr, 0, P); });
  for (int64_t done = 0; done < n;) {
    const int64_t len = std::min(chunk, n - done);
    if (team > 1)
      for (int64_t s0 = 0; s0 < len; s0 += slice) {
        const int64_t s1 = std::min(len, s0 + slice);
        chooser.run(team, s1 - s0, [&](WorkTeam* crew) { draw_steps(0, crew, s0, s1, len); });
      }
    else
      parallel_for(static_cast<int>(parts.size()), static_cast<int>(parts.size()),
                   [&](int k) { draw_steps(k, nullptr, 0, len, len); });
    emit(block.data(), B, len);
    done += len;
  }
  crews_.keep(B, team > 1 ? &chooser : nullptr);
}

int64_t SampleRNNEngine::steps_per_slice() const {
  // About 2 GFLOP (tens of milliseconds) per slice, in whole top-tier frames so that
  // every slice does the same work; the crew is chosen slice by slice.
  const int64_t top = prog_.frame_sizes.back();
  const double steps = 2e9 / std::max(prog_.flops_per_sample(), 1.0);
  return std::max<int64_t>(1, static_cast<int64_t>(steps / top + 0.5)) * top;
}

}  // namespace pysynth
