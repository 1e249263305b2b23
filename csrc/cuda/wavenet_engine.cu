// The CUDA WaveNet engine (wavenet_engine.cuh): device memory, weight packing, and the
// teacher-forced and generating passes in windows of kernel launches.
#include "wavenet_engine.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "common.h"
#include "device_memory.cuh"
#include "wavenet_kernel.h"
#include "windows.cuh"

namespace pysynth {
namespace cuda {

using wavenet::Dims;
using wavenet::StepArgs;

// Device (or emulated) state of one call: rings, input history, per-stream keys, outputs.
struct CudaWaveNetEngine::State {
  Buffer rings, qhist, cond, ids, out_q, out_logits;
  const CudaWaveNetEngine& eng;
  int B, W;
  bool has_cond;
  // cond: (B,) or null; streams: (B,) or null (all keys 0: teacher forcing draws nothing).
  State(const CudaWaveNetEngine& e, int B_, int W_, const int32_t* cond_ids,
        const uint32_t* streams, bool want_logits)
      : rings(sizeof(float) * static_cast<size_t>(B_) * e.ring_stride_, e.emulate_),
        qhist(sizeof(int32_t) * static_cast<size_t>(B_) * wavenet::history_len(e.dims_), e.emulate_),
        cond(cond_ids ? sizeof(int32_t) * static_cast<size_t>(B_) : 0, e.emulate_),
        ids(sizeof(uint32_t) * static_cast<size_t>(B_), e.emulate_),
        out_q(sizeof(int32_t) * static_cast<size_t>(B_) * W_, e.emulate_),
        out_logits(want_logits ? sizeof(float) * static_cast<size_t>(B_) * W_ *
                                     wavenet::out_width(e.dims_) : 0,
                   e.emulate_),
        eng(e), B(B_), W(W_), has_cond(cond_ids != nullptr) {
    if (cond_ids) cond.upload(cond_ids, sizeof(int32_t) * static_cast<size_t>(B_));
    if (streams) ids.upload(streams, sizeof(uint32_t) * static_cast<size_t>(B_));
  }
  StepArgs args(uint64_t seed, SamplingRule rule) const {
    StepArgs a{};
    a.dims = eng.dims_;
    a.w = eng.w_;
    a.dilation = eng.layer_dil_->as<int>();
    a.ring_offset = eng.layer_off_->as<int64_t>();
    a.ring_stride = eng.ring_stride_;
    a.rings = rings.as<float>();
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

CudaWaveNetEngine::CudaWaveNetEngine(WaveNetProgram program,
                                     const std::map<std::string, std::vector<float>>& tensors,
                                     int device, bool emulate)
    : prog_(std::move(program)), device_(device), emulate_(emulate) {
  if (!emulate_) select_device(device_);
  const WaveNetProgram& p = prog_;
  dims_.Q = p.levels;
  dims_.K0 = p.initial_filter_width;
  dims_.K = p.filter_width;
  dims_.R = p.residual_channels;
  dims_.D = p.dilation_channels;
  dims_.S = p.skip_channels;
  dims_.H = p.output_channels;
  dims_.C = p.conditioning_classes;
  dims_.L = p.layers();
  dims_.PF = p.position_frames;
  dims_.PH = p.position_hop;
  dims_.MX = p.mixtures;
  dims_.LP = p.lpc_order;
  check_shared_memory(wavenet_shared_bytes(dims_), device_, emulate_);
  std::vector<int64_t> offs;
  for (int d : p.dilations) {
    offs.push_back(ring_stride_);
    ring_stride_ += wavenet::ring_len(dims_, d) * dims_.R;
  }
  layer_dil_ = std::make_unique<Buffer>(sizeof(int) * p.dilations.size(), emulate_);
  layer_dil_->upload(p.dilations.data(), sizeof(int) * p.dilations.size());
  layer_off_ = std::make_unique<Buffer>(sizeof(int64_t) * offs.size(), emulate_);
  layer_off_->upload(offs.data(), sizeof(int64_t) * offs.size());
  load_weights(tensors);
}

CudaWaveNetEngine::~CudaWaveNetEngine() = default;

// Packs every tensor of the table into one device buffer, by kind: the per-layer tensors of
// a kind back to back, so that a kind's layer l sits at base + l * size, as wavenet_step.h
// expects. The kind of "layers.<l>.<kind>" is <kind>; other names are their own kind.
void CudaWaveNetEngine::load_weights(const std::map<std::string, std::vector<float>>& tensors) {
  const std::vector<std::pair<std::string, const float**>> kinds = {
      {"input.table", &w_.input_table}, {"input.weight", &w_.input_table},
      {"input.bias", &w_.input_bias},
      {"conv.weight", &w_.conv_w},      {"conv.bias", &w_.conv_b},
      {"cond.table", &w_.cond_table},   {"pos.table", &w_.pos_table},
      {"res.weight", &w_.res_w},
      {"res.bias", &w_.res_b},          {"skip.weight", &w_.skip_w},
      {"skip.bias", &w_.skip_b},        {"out1.weight", &w_.out1_w},
      {"out1.bias", &w_.out1_b},        {"out2.weight", &w_.out2_w},
      {"out2.bias", &w_.out2_b},        {"lpc.weight", &w_.lpc},
  };
  auto kind_of = [](const std::string& name) {
    if (name.rfind("layers.", 0) != 0) return name;
    return name.substr(name.find('.', 7) + 1);
  };
  const TensorTable table = wavenet_tensor_table(prog_);
  std::vector<std::vector<const std::vector<float>*>> by_kind(kinds.size());
  size_t total = 0;
  for (const auto& spec : table) {
    const std::string kind = kind_of(spec.first);
    size_t k = 0;
    while (k < kinds.size() && kinds[k].first != kind) ++k;
    if (k == kinds.size()) throw std::logic_error("no weight slot for tensor " + spec.first);
    const auto it = tensors.find(spec.first);
    if (it == tensors.end()) throw std::invalid_argument("missing tensor '" + spec.first + "'");
    by_kind[k].push_back(&it->second);
    total += it->second.size();
  }
  weights_ = std::make_unique<Buffer>(sizeof(float) * total, emulate_);
  const float* base = weights_->as<float>();
  size_t off = 0;
  // no cond.table, pos.table or lpc.weight: nullptr; input.table and input.weight share a slot (a
  // program has one of them), so a kind without tensors never clears a slot
  for (const auto& kind : kinds) *kind.second = nullptr;
  for (size_t k = 0; k < kinds.size(); ++k) {
    if (!by_kind[k].empty()) *kinds[k].second = base + off;
    for (const std::vector<float>* v : by_kind[k]) {
      weights_->upload(v->data(), sizeof(float) * v->size(), sizeof(float) * off);
      off += v->size();
    }
  }
}

void CudaWaveNetEngine::activate() const {
  if (!emulate_) check_cuda(cudaSetDevice(device_), "cudaSetDevice");
}

void CudaWaveNetEngine::run(const StepArgs& a) const {
  launch_in_pieces(a, "WaveNet step kernel", [this](const StepArgs& s) -> std::string {
    if (emulate_) {
      wavenet_emulate(s);
      return {};
    }
    return on_device(device_, [&s] { return wavenet_launch(s); });
  });
}

void CudaWaveNetEngine::score(const int32_t* q, int B, int64_t T, const int32_t* cond,
                              float* logits, float* nll, const Poll& poll) const {
  if (B <= 0 || T <= 0) return;
  activate();
  const int Q = dims_.Q, MX = dims_.MX, O = wavenet::out_width(dims_);
  // Windows hold at most ~64 MiB of logits.
  const int64_t cap = std::max<int64_t>(1, (int64_t{16} << 20) / (static_cast<int64_t>(B) * O));
  const int W = static_cast<int>(std::min<int64_t>({T, cap, int64_t{1} << 20}));
  State state(*this, B, W, cond, nullptr, true);
  Buffer q_dev(sizeof(int32_t) * static_cast<size_t>(B) * T, emulate_);
  q_dev.upload(q, sizeof(int32_t) * static_cast<size_t>(B) * T);
  score_in_windows(state.args(0, SamplingRule{}), state.out_logits, q_dev, q, B, T, W, O, Q, MX,
                   logits, nll, [this](const StepArgs& a) { run(a); }, poll);
}

void CudaWaveNetEngine::generate(int64_t n, const uint32_t* streams, int B, uint64_t seed,
                                 SamplingRule rule, const int32_t* prime, int64_t P,
                                 const int32_t* cond, int64_t chunk, const BlockSink& sink,
                                 const Poll& poll) const {
  if (B <= 0) return;
  activate();
  const int W = static_cast<int>(std::min<int64_t>(chunk, std::max<int64_t>(n, 1)));
  State state(*this, B, W, cond, streams, false);
  Buffer prime_dev(sizeof(int32_t) * static_cast<size_t>(B) * P, emulate_);
  if (P > 0) prime_dev.upload(prime, sizeof(int32_t) * static_cast<size_t>(B) * P);
  generate_in_windows(state.args(seed, rule), state.out_q, prime_dev, P, B, W, n,
                      [this](const StepArgs& a) { run(a); }, sink, poll);
}

}  // namespace cuda
}  // namespace pysynth
