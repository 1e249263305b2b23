// The WaveNet CPU sampling engine (program family "wavenet", docs/architecture.md).
//
// Incremental generation after fast-wavenet (Paine et al. 2016): each layer keeps a ring
// buffer of its past inputs h_l, of which only the K-1 taps at multiples of the dilation
// are read, so a sample costs O(layers) whatever the receptive field. B streams advance
// together, so each layer is a (B x K R)(K R x 2D) product; the skip projections of all
// layers are fused into one (B x L D)(L D x S) product per sample. Threads own disjoint
// groups of streams for a whole chunk and never synchronise inside a step; with fewer
// streams than threads and a large head, they split the head's products by columns
// instead (a WorkTeam, threadpool.h) in the slices where that measures faster
// (CrewChooser). This header
// is free of Python; wavenet_bind.cpp wraps it for pysynth._engine.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "gemm.h"
#include "threadpool.h"
#include "wavenet_program.h"

namespace pysynth {

// Weights re-laid out for the engine (immutable after construction, shared by threads).
struct WaveNetWeights {
  std::vector<float> input_table;       // (K0, Q, R), or input.weight (K0, R) with mixtures
  std::vector<float> input_bias;        // (R,)
  std::vector<PackedMatrix> conv;       // per layer (K R x 2D) + bias
  std::vector<std::vector<float>> cond; // per layer (C, 2D), empty when C = 0
  std::vector<std::vector<float>> pos;  // per layer (position frames, 2D), empty without
  std::vector<PackedMatrix> res;        // per layer (D x R) + bias
  PackedMatrix skip;                    // stacked (L D x S) + sum of skip biases
  PackedMatrix out1, out2;              // (S x H), (H x Q)
  std::vector<float> lpc;               // (P,) the linear predictor, empty without
};

class WaveNetEngine {
 public:
  // `tensors` must hold every name of wavenet_tensor_table with exactly that many floats
  // (the binding checks names, shapes and finiteness before calling this).
  // weights: how the products' weights are stored (WeightFormat::bf16 needs
  // bf16_available(); the input and conditioning tables stay float32).
  WaveNetEngine(WaveNetProgram program, const std::map<std::string, std::vector<float>>& tensors,
                int num_threads, WeightFormat weights = WeightFormat::float32,
                Split split = Split::measured);

  const WaveNetProgram& program() const { return prog_; }
  int num_threads() const { return num_threads_; }
  WeightFormat weights() const { return weights_; }
  // Fraction of the last score or generate call's steps whose head products were split
  // across threads (0 when streams >= threads or the head is small; threadpool.h's
  // CrewChooser measures which way is faster while the call runs).
  double split_fraction() const { return crews_.last_fraction(); }
  Split split() const { return crews_.split(); }

  // Teacher-forced logits (B, T, Q) and/or NLL in bits (B, T); either output may be null.
  // cond: (B,) class ids, or null for an unconditioned model.
  void score(const int32_t* q, int B, int64_t T, const int32_t* cond, float* logits, float* nll,
             const Poll& poll) const;

  // Generate n samples per stream after a prime of P samples (prime: (B, P) or null), in
  // blocks of at most `chunk` samples handed to `sink`. Stream b uses the uniforms keyed
  // (seed, streams[b], t), t the absolute sample index.
  void generate(int64_t n, const uint32_t* streams, int B, uint64_t seed, SamplingRule rule,
                const int32_t* prime, int64_t P, const int32_t* cond, int64_t chunk,
                const BlockSink& sink, const Poll& poll) const;

 private:
  int steps_per_poll(int B) const;
  // Threads that share one group's head products (B < threads, large head), else 1.
  int team_size(int B) const;
  WaveNetProgram prog_;
  WaveNetWeights w_;
  int num_threads_;
  WeightFormat weights_;
  CrewMemory crews_;
};

}  // namespace pysynth
