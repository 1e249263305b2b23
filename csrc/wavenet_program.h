// What every WaveNet engine (CPU and CUDA) shares: the program, its tensor table and the
// callback types of score/generate. Free of Python and of CPU- or GPU-specific code, so
// both engines and every binding read the one table (docs/architecture.md, "WaveNet program").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor_table.h"

namespace pysynth {

struct WaveNetProgram {
  int levels = 0;                // Q
  int initial_filter_width = 1;  // K0
  int filter_width = 2;          // K
  std::vector<int> dilations;    // one per residual layer
  int residual_channels = 0;     // R
  int dilation_channels = 0;     // D
  int skip_channels = 0;         // S
  int output_channels = 0;       // H
  int conditioning_classes = 0;  // C (0 = unconditioned)
  int position_frames = 0;       // rows of the per-layer position tables (0 = no position)
  int position_hop = 1;          // samples per position frame
  int mixtures = 0;              // K of a mol16 output (0 = the softmax over the levels)
  int lpc_order = 0;  // P of the dataset's linear predictor in the means (0 = none)

  // Numbers per sample the head gives: Q logits, or 3K mixture parameters.
  int width() const { return mixtures > 0 ? 3 * mixtures : levels; }

  // The position frame of sample t of a clip (t counted from its first sample).
  int position_frame(int64_t t) const {
    const int64_t f = t / position_hop;
    return static_cast<int>(f < position_frames - 1 ? f : position_frames - 1);
  }

  int layers() const { return static_cast<int>(dilations.size()); }

  int64_t receptive_field() const {
    int64_t sum = 0;
    for (int d : dilations) sum += d;
    return static_cast<int64_t>(filter_width - 1) * sum + initial_filter_width;
  }

  // Multiply-adds x 2 per generated sample (what the benchmarks divide by).
  double flops_per_sample() const {
    const double K = filter_width, R = residual_channels, D = dilation_channels,
                 S = skip_channels, H = output_channels, Q = width(), L = layers();
    const double per_layer = 2.0 * (K * R * 2 * D + D * R + D * S);
    return L * per_layer + 2.0 * (S * H + H * Q);
  }
};

// Every tensor the program needs: the one declaration of the WaveNet tensor table (the
// plugin's tensor_shapes must agree; tests/engine/test_tensor_table.py checks it).
inline TensorTable wavenet_tensor_table(const WaveNetProgram& p) {
  const int64_t Q = p.levels, K0 = p.initial_filter_width, K = p.filter_width,
                R = p.residual_channels, D = p.dilation_channels, S = p.skip_channels,
                H = p.output_channels, C = p.conditioning_classes, PF = p.position_frames;
  // A mol16 model reads its previous samples as numbers (a (K0, R) conv of their values),
  // since a table of 65,536 rows per tap would be most of the model.
  TensorTable specs = {
      p.mixtures > 0 ? TensorTable::value_type{"input.weight", {K0, R}}
                     : TensorTable::value_type{"input.table", {K0, Q, R}},
      {"input.bias", {R}},
  };
  for (int l = 0; l < p.layers(); ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    specs.push_back({pre + "conv.weight", {K, R, 2 * D}});
    specs.push_back({pre + "conv.bias", {2 * D}});
    if (C > 0) specs.push_back({pre + "cond.table", {C, 2 * D}});
    if (PF > 0) specs.push_back({pre + "pos.table", {PF, 2 * D}});
    specs.push_back({pre + "res.weight", {D, R}});
    specs.push_back({pre + "res.bias", {R}});
    specs.push_back({pre + "skip.weight", {D, S}});
    specs.push_back({pre + "skip.bias", {S}});
  }
  specs.push_back({"out1.weight", {S, H}});
  specs.push_back({"out1.bias", {H}});
  specs.push_back({"out2.weight", {H, p.width()}});
  specs.push_back({"out2.bias", {p.width()}});
  if (p.lpc_order > 0) specs.push_back({"lpc.weight", {p.lpc_order}});
  return specs;
}

// Sink of generated indices: a (B x len) row-major block starting at output sample offset.
using BlockSink = std::function<void(const int32_t* block, int B, int64_t len, int64_t offset)>;
// Called on the calling thread between slices of work; may throw to abort (Ctrl-C).
using Poll = std::function<void()>;

}  // namespace pysynth
