// The SampleRNN program and its tensor table (docs/architecture.md, "SampleRNN program"):
// free of Python, shared by the engine (samplernn.cpp) and the boundary (boundary.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor_table.h"

namespace pysynth {

struct SampleRNNProgram {
  int levels = 0;                    // Q
  std::vector<int> frame_sizes;      // F_0 < F_1 < ... (bottom tier first)
  int dim = 0;                       // H
  bool lstm = false;                 // rnn_type: "lstm" (else "gru")
  std::vector<int> rnn_layers;       // per frame tier
  bool skip_connections = false;
  int mlp_layers = 0;
  int conditioning_classes = 0;      // C (0 = unconditioned): tiers.{i}.cond.table (C, H)
  int position_frames = 0;           // rows of the top tier's pos.table (0 = no position)
  int position_hop = 1;              // samples per position frame
  int mixtures = 0;                  // K of a mol16 output (0 = the softmax over the levels)
  int lpc_order = 0;  // P of the dataset's linear predictor in the means (0 = none)

  // Numbers per sample the head gives: Q logits, or 3K mixture parameters.
  int width() const { return mixtures > 0 ? 3 * mixtures : levels; }

  // The position frame of the top tier's step that starts at sample t of a clip.
  int position_frame(int64_t t) const {
    const int64_t f = t / position_hop;
    return static_cast<int>(f < position_frames - 1 ? f : position_frames - 1);
  }

  int tiers() const { return static_cast<int>(frame_sizes.size()); }
  // Matrix-product FLOPs (2 per multiply-add) per generated sample of one stream, frame
  // tiers amortised over their frame size; the F_0 table-row adds are not counted.
  double flops_per_sample() const {
    const double H = dim, G = gates(), Q = width();
    double macs = mlp_layers * H * H + H * Q;
    for (int i = 0; i < tiers(); ++i) {
      const double F = frame_sizes[i], r = ratio(i);
      macs += (F * H + rnn_layers[i] * 2.0 * H * G * H + H * r * H) / F;
    }
    return 2.0 * macs;
  }
  int gates() const { return lstm ? 4 : 3; }
  // r_i = F_i / F_{i-1}, r_0 = F_0: rows of upsampled conditioning per step of tier i.
  int ratio(int i) const { return i == 0 ? frame_sizes[0] : frame_sizes[i] / frame_sizes[i - 1]; }
};

inline std::string samplernn_tier_name(int i) { return "tiers." + std::to_string(i); }

// Every tensor the program needs: the one declaration of the SampleRNN tensor table (the
// plugin's tensor_shapes must agree; tests/engine/test_tensor_table.py checks it).
inline TensorTable samplernn_tensor_table(const SampleRNNProgram& p) {
  TensorTable s;
  const int64_t H = p.dim, G = p.gates(), Q = p.levels;
  for (int i = 0; i < p.tiers(); ++i) {
    const std::string t = samplernn_tier_name(i);
    s.push_back({t + ".input.weight", {p.frame_sizes[i], H}});
    s.push_back({t + ".input.bias", {H}});
    if (p.conditioning_classes > 0) s.push_back({t + ".cond.table", {p.conditioning_classes, H}});
    if (p.position_frames > 0 && i + 1 == p.tiers())
      s.push_back({t + ".pos.table", {p.position_frames, H}});
    for (int l = 0; l < p.rnn_layers[i]; ++l) {
      const std::string r = t + ".rnn." + std::to_string(l);
      s.push_back({r + ".kernel", {H, G * H}});
      s.push_back({r + ".recurrent_kernel", {H, G * H}});
      if (p.lstm)
        s.push_back({r + ".bias", {G * H}});
      else
        s.push_back({r + ".bias", {2, G * H}});
      s.push_back({r + ".h0", {H}});
      if (p.lstm) s.push_back({r + ".c0", {H}});
    }
    s.push_back({t + ".upsample.weight", {H, p.ratio(i) * H}});
    s.push_back({t + ".upsample.bias", {p.ratio(i) * H}});
  }
  // A mol16 model reads its previous samples as numbers (a (F_0, H) product of their
  // values), since a table of 65,536 rows per tap would be most of the model.
  if (p.mixtures > 0)
    s.push_back({"sample.weight", {p.frame_sizes[0], H}});
  else
    s.push_back({"sample.table", {p.frame_sizes[0], Q, H}});
  s.push_back({"sample.bias", {H}});
  for (int k = 0; k < p.mlp_layers; ++k) {
    const std::string h = "sample.hidden." + std::to_string(k);
    s.push_back({h + ".weight", {H, H}});
    s.push_back({h + ".bias", {H}});
  }
  s.push_back({"sample.output.weight", {H, p.width()}});
  s.push_back({"sample.output.bias", {p.width()}});
  if (p.lpc_order > 0) s.push_back({"lpc.weight", {p.lpc_order}});
  return s;
}

}  // namespace pysynth
