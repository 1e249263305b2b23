// The CUDA SampleRNN engine (samplernn_engine.cuh): device memory, weight packing, and the
// teacher-forced and generating passes in windows of kernel launches.
#include "samplernn_engine.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common.h"
#include "device_memory.cuh"
#include "samplernn_kernel.h"
#include "windows.cuh"

namespace pysynth {
namespace cuda {

using samplernn::StepArgs;
using samplernn::TierWeights;

namespace {

// Several blocks per stream (CudaSampleRNNEngine::blocks_for): only for dims of at least
// kWideMinDim, while B * kWideMinBlocks streams fit the multiprocessors, at most
// kWideMaxBlocks blocks each. Measured on an H200 (132 SMs, docs/cuda.md), prism at B = 1:
// 1 block 1,960 samples/s, 4: 4,700, 16: 9,800, 32: 12,900, 64: 14,400; at B = 32 four
// blocks per stream (148,000) beat one (67,000), and one is the batch design's best by B = 256.
constexpr int kWideMinDim = 256, kWideMinBlocks = 4, kWideMaxBlocks = 64;

int max_ratio(const SampleRNNProgram& p) {
  int r = 1;
  for (int i = 0; i < p.tiers(); ++i) r = std::max(r, p.ratio(i));
  return r;
}
}  // namespace

// Device (or emulated) state of one call: RNN states, conditioning rows, sample history,
// per-stream keys, outputs.
struct CudaSampleRNNEngine::State {
  const CudaSampleRNNEngine& eng;
  int B, W, blocks;
  int64_t scratch_stride;  // floats of scratch per stream (several blocks per stream only)
  bool has_cond;
  Buffer state, up, qhist, cond, ids, out_q, out_logits, scratch;
  // cond: (B,) or null; streams: (B,) or null (all keys 0: teacher forcing draws nothing).
  State(const CudaSampleRNNEngine& e, int B_, int W_, const int32_t* cond_ids,
        const uint32_t* streams, bool want_logits)
      : eng(e), B(B_), W(W_), blocks(e.blocks_for(B_)),
        scratch_stride(blocks > 1 ? samplernn::scratch_floats(e.dims_, e.max_r_, blocks * e.threads_) : 0),
        has_cond(cond_ids != nullptr),
        state(sizeof(float) * static_cast<size_t>(B_) * e.state_stride_, e.emulate_),
        up(sizeof(float) * static_cast<size_t>(B_) * e.up_stride_, e.emulate_),
        qhist(sizeof(int32_t) * static_cast<size_t>(B_) * (e.dims_.hist_mask + 1), e.emulate_),
        cond(cond_ids ? sizeof(int32_t) * static_cast<size_t>(B_) : 0, e.emulate_),
        ids(sizeof(uint32_t) * static_cast<size_t>(B_), e.emulate_),
        out_q(sizeof(int32_t) * static_cast<size_t>(B_) * W_, e.emulate_),
        out_logits(want_logits ? sizeof(float) * static_cast<size_t>(B_) * W_ * e.prog_.width() : 0,
                   e.emulate_),
        scratch(sizeof(float) * static_cast<size_t>(B_) * scratch_stride, e.emulate_) {
    // Every stream starts from the learned initial states h0 (and c0).
    std::vector<float> init(static_cast<size_t>(B_) * e.state_stride_);
    for (int b = 0; b < B_; ++b)
      std::copy(e.initial_state_.begin(), e.initial_state_.end(),
                init.begin() + static_cast<int64_t>(b) * e.state_stride_);
    state.upload(init.data(), sizeof(float) * init.size());
    if (cond_ids) cond.upload(cond_ids, sizeof(int32_t) * static_cast<size_t>(B_));
    if (streams) ids.upload(streams, sizeof(uint32_t) * static_cast<size_t>(B_));
  }
  StepArgs args(uint64_t seed, SamplingRule rule) const {
    StepArgs a{};
    a.dims = eng.dims_;
    a.w = eng.w_;
    a.state = state.as<float>();
    a.state_stride = eng.state_stride_;
    a.up = up.as<float>();
    a.up_stride = eng.up_stride_;
    a.qhist = qhist.as<int32_t>();
    a.cond = has_cond ? cond.as<int32_t>() : nullptr;
    a.stream_ids = ids.as<uint32_t>();
    a.out_q = out_q.as<int32_t>();
    a.out_logits = out_logits.as<float>();
    a.out_ld = W;
    a.out_col = 0;
    a.seed = seed;
    a.rule = rule;
    a.B = B;
    return a;
  }
};

CudaSampleRNNEngine::CudaSampleRNNEngine(SampleRNNProgram program,
                                         const std::map<std::string, std::vector<float>>& tensors,
                                         int device, bool emulate, int blocks_per_stream)
    : prog_(std::move(program)), device_(device), emulate_(emulate),
      blocks_per_stream_(blocks_per_stream) {
  if (blocks_per_stream < 0 || blocks_per_stream > 1024)
    throw std::invalid_argument("blocks_per_stream must be in [0, 1024] (0 = automatic), got " +
                                std::to_string(blocks_per_stream));
  if (!emulate_) {
    select_device(device_);
    check_cuda(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device_),
               "cudaDeviceGetAttribute");
  }
  const SampleRNNProgram& p = prog_;
  dims_.Q = p.levels;
  dims_.H = p.dim;
  dims_.G = p.gates();
  dims_.K = p.tiers();
  dims_.M = p.mlp_layers;
  dims_.F0 = p.frame_sizes[0];
  dims_.C = p.conditioning_classes;
  dims_.PF = p.position_frames;
  dims_.PH = p.position_hop;
  dims_.MX = p.mixtures;
  dims_.LP = p.lpc_order;
  dims_.lstm = p.lstm;
  dims_.skip = p.skip_connections;
  int cap = 1;
  // The ring feeds the top tier's frame and the linear predictor's past (lpc_order is at
  // most the top frame size; the max keeps the engine safe without the binding's check).
  while (cap < std::max(p.frame_sizes.back(), p.lpc_order)) cap *= 2;
  dims_.hist_mask = cap - 1;
  max_r_ = max_ratio(p);
  threads_ = samplernn::block_threads(dims_, max_r_);
  smem_ = sizeof(float) * static_cast<size_t>(samplernn::scratch_floats(dims_, max_r_, threads_));
  check_shared_memory(smem_, device_, emulate_);
  load_weights(tensors);
}

CudaSampleRNNEngine::~CudaSampleRNNEngine() = default;

// Packs every weight into one device buffer (a tier's per-layer tensors of one kind back to
// back, as samplernn_step.h expects), uploads the tiers' descriptors with device pointers,
// and keeps the initial states on the host for the per-call state.
void CudaSampleRNNEngine::load_weights(const std::map<std::string, std::vector<float>>& tensors) {
  auto get = [&tensors](const std::string& name) -> const std::vector<float>& {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw std::invalid_argument("missing tensor '" + name + "'");
    return it->second;
  };
  const SampleRNNProgram& p = prog_;
  const int K = p.tiers(), H = p.dim;
  std::vector<float> host;
  // Appends tensors and returns the offset of the first.
  auto put = [&host, &get](std::initializer_list<std::string> names) {
    const size_t off = host.size();
    for (const std::string& n : names) {
      const std::vector<float>& v = get(n);
      host.insert(host.end(), v.begin(), v.end());
    }
    return off;
  };
  auto layers = [&](const std::string& tier, int L, const char* kind) {
    const size_t off = host.size();
    for (int l = 0; l < L; ++l) put({tier + ".rnn." + std::to_string(l) + "." + kind});
    return off;
  };
  struct Offsets {
    size_t in_w, in_b, cond, pos, kernel, recurrent, bias, up_w, up_b;
  };
  std::vector<Offsets> offs(K);
  std::vector<TierWeights> tiers(K);
  const size_t none = static_cast<size_t>(-1);
  int64_t state_off = 0, up_off = 0;
  initial_state_.clear();
  for (int i = 0; i < K; ++i) {
    const std::string t = samplernn_tier_name(i);
    const int L = p.rnn_layers[i];
    Offsets& o = offs[i];
    o.in_w = put({t + ".input.weight"});
    o.in_b = put({t + ".input.bias"});
    o.cond = p.conditioning_classes > 0 ? put({t + ".cond.table"}) : none;
    o.pos = p.position_frames > 0 && i + 1 == K ? put({t + ".pos.table"}) : none;
    o.kernel = layers(t, L, "kernel");
    o.recurrent = layers(t, L, "recurrent_kernel");
    o.bias = layers(t, L, "bias");
    o.up_w = put({t + ".upsample.weight"});
    o.up_b = put({t + ".upsample.bias"});
    TierWeights& tw = tiers[i];
    tw.F = p.frame_sizes[i];
    tw.r = p.ratio(i);
    tw.L = L;
    tw.state_off = state_off;
    tw.up_off = up_off;
    for (int l = 0; l < L; ++l) {
      const std::vector<float>& h0 = get(t + ".rnn." + std::to_string(l) + ".h0");
      initial_state_.insert(initial_state_.end(), h0.begin(), h0.end());
    }
    if (p.lstm)
      for (int l = 0; l < L; ++l) {
        const std::vector<float>& c0 = get(t + ".rnn." + std::to_string(l) + ".c0");
        initial_state_.insert(initial_state_.end(), c0.begin(), c0.end());
      }
    state_off += static_cast<int64_t>(L) * H * (p.lstm ? 2 : 1);
    up_off += static_cast<int64_t>(tw.r) * H;
  }
  state_stride_ = state_off;
  up_stride_ = up_off;
  // A mol16 model reads its past samples as values through sample.weight (F0, H).
  const size_t table = put({p.mixtures > 0 ? "sample.weight" : "sample.table"});
  const size_t sample_b = put({"sample.bias"});
  size_t hidden_w = host.size();
  for (int k = 0; k < p.mlp_layers; ++k) put({"sample.hidden." + std::to_string(k) + ".weight"});
  size_t hidden_b = host.size();
  for (int k = 0; k < p.mlp_layers; ++k) put({"sample.hidden." + std::to_string(k) + ".bias"});
  const size_t out_w = put({"sample.output.weight"});
  const size_t out_b = put({"sample.output.bias"});
  const size_t lpc = p.lpc_order > 0 ? put({"lpc.weight"}) : none;

  weights_ = std::make_unique<Buffer>(sizeof(float) * host.size(), emulate_);
  weights_->upload(host.data(), sizeof(float) * host.size());
  const float* base = weights_->as<float>();
  auto at = [base, none](size_t off) { return off == none ? nullptr : base + off; };
  for (int i = 0; i < K; ++i) {
    const Offsets& o = offs[i];
    TierWeights& tw = tiers[i];
    tw.in_w = at(o.in_w);
    tw.in_b = at(o.in_b);
    tw.cond = at(o.cond);
    tw.pos = at(o.pos);
    tw.kernel = at(o.kernel);
    tw.recurrent = at(o.recurrent);
    tw.bias = at(o.bias);
    tw.up_w = at(o.up_w);
    tw.up_b = at(o.up_b);
  }
  host_tiers_ = tiers;
  tiers_ = std::make_unique<Buffer>(sizeof(TierWeights) * tiers.size(), emulate_);
  tiers_->upload(tiers.data(), sizeof(TierWeights) * tiers.size());
  w_.tiers = tiers_->as<TierWeights>();
  w_.table = at(table);
  w_.sample_b = at(sample_b);
  w_.hidden_w = p.mlp_layers > 0 ? at(hidden_w) : nullptr;
  w_.hidden_b = p.mlp_layers > 0 ? at(hidden_b) : nullptr;
  w_.out_w = at(out_w);
  w_.out_b = at(out_b);
  w_.lpc = at(lpc);
}

void CudaSampleRNNEngine::activate() const {
  if (!emulate_) check_cuda(cudaSetDevice(device_), "cudaSetDevice");
}

int CudaSampleRNNEngine::blocks_for(int B) const {
  if (blocks_per_stream_ > 0) return blocks_per_stream_;
  if (emulate_) return 1;
  // A launch per phase costs a few microseconds, so spreading pays only for products of
  // a wide model, and only while the streams leave most multiprocessors idle.
  if (dims_.H < kWideMinDim || B * kWideMinBlocks > multiprocessors_) return 1;
  return std::min(kWideMaxBlocks, multiprocessors_ / B);
}

void CudaSampleRNNEngine::run(const StepArgs& a, const State& state) const {
  if (state.blocks > 1) {
    float* scratch = state.scratch.as<float>();
    if (emulate_) {
      samplernn_emulate_wide(a, threads_, state.blocks, scratch, state.scratch_stride);
      return;
    }
    const std::string err = on_device(device_, [&] {
      return samplernn_launch_wide(a, threads_, state.blocks, scratch, state.scratch_stride,
                                   host_tiers_.data());
    });
    if (!err.empty()) throw std::runtime_error("CUDA error in the SampleRNN phase kernel: " + err);
    return;
  }
  launch_in_pieces(a, "SampleRNN step kernel", [this](const StepArgs& s) -> std::string {
    if (emulate_) {
      samplernn_emulate(s, threads_, smem_);
      return {};
    }
    return on_device(device_, [&] { return samplernn_launch(s, threads_, smem_); });
  });
}

void CudaSampleRNNEngine::score(const int32_t* q, int B, int64_t T, const int32_t* cond,
                                float* logits, float* nll) const {
  if (B <= 0 || T <= 0) return;
  activate();
  const int Q = dims_.Q, MX = dims_.MX, N = prog_.width();  // N numbers per sample
  // Windows hold at most ~64 MiB of logits.
  const int64_t cap = std::max<int64_t>(1, (int64_t{16} << 20) / (static_cast<int64_t>(B) * N));
  const int W = static_cast<int>(std::min<int64_t>({T, cap, int64_t{1} << 20}));
  State state(*this, B, W, cond, nullptr, true);
  Buffer q_dev(sizeof(int32_t) * static_cast<size_t>(B) * T, emulate_);
  q_dev.upload(q, sizeof(int32_t) * static_cast<size_t>(B) * T);
  score_in_windows(state.args(0, SamplingRule{}), state.out_logits, q_dev, q, B, T, W, N, Q, MX,
                   logits, nll, [&](const StepArgs& a) { run(a, state); }, [] {});
}

void CudaSampleRNNEngine::generate(int64_t n, const uint32_t* streams, int B, uint64_t seed,
                                   SamplingRule rule, const int32_t* prime, int64_t P,
                                   const int32_t* cond, int64_t chunk,
                                   const std::function<void(const int32_t*, int, int64_t)>& emit) const {
  if (n <= 0 || B <= 0) return;
  activate();
  const int W = static_cast<int>(std::min<int64_t>(chunk, n));
  State state(*this, B, W, cond, streams, false);
  Buffer prime_dev(sizeof(int32_t) * static_cast<size_t>(B) * P, emulate_);
  if (P > 0) prime_dev.upload(prime, sizeof(int32_t) * static_cast<size_t>(B) * P);
  generate_in_windows(state.args(seed, rule), state.out_q, prime_dev, P, B, W, n,
                      [&](const StepArgs& a) { run(a, state); },
                      [&emit](const int32_t* block, int b, int64_t len, int64_t) {
                        emit(block, b, len);
                      },
                      [] {});
}

}  // namespace cuda
}  // namespace pysynth
