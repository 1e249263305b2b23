// The SampleRNN CPU sampling engine (program family "samplernn", docs/architecture.md).
//
// Incremental: each frame tier runs one RNN step every F_i samples (batched over the
// streams of a group as (B x H)(H x G*H) products), its upsampled conditioning is cached
// until the tier below has used all r_i rows of it, and the sample-level MLP runs once
// per sample with the embedding folded into its first layer (F_0 table-row adds instead
// of a product). With at least as many streams as threads, threads own disjoint groups of
// streams and never synchronise inside a step; with fewer (one interactive stream) and a
// large dim, one thread steps them and, in the slices where that measures faster
// (CrewChooser), the others help with each product, split by output columns (one wait per
// product; every element's arithmetic unchanged, so the audio is the same bit for bit).
// This header is free of Python; samplernn_bind.cpp wraps it for pysynth._engine.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common.h"
#include "gemm.h"
#include "samplernn_program.h"
#include "threadpool.h"

namespace pysynth {

class SampleRNNEngine {
 public:
  // `tensors` must hold every name of samplernn_tensor_table with exactly that many floats
  // (the binding checks names, shapes and finiteness before calling this).
  // weights: how the products' weights are stored (WeightFormat::bf16 needs
  // bf16_available(); the embedding tables and initial states stay float32).
  SampleRNNEngine(SampleRNNProgram program, std::map<std::string, std::vector<float>> tensors,
                  int num_threads, WeightFormat weights = WeightFormat::float32,
                  Split split = Split::measured);

  const SampleRNNProgram& program() const { return prog_; }
  int num_threads() const { return num_threads_; }
  WeightFormat weights() const { return weights_; }
  // Fraction of the last generate call's steps whose products were split across threads
  // (0 when streams >= threads or the dim is small; threadpool.h's CrewChooser measures
  // which way is faster while the call runs).
  double split_fraction() const { return crews_.last_fraction(); }
  Split split() const { return crews_.split(); }

  // Teacher-forced logits (B, T, Q) and/or NLL in bits (B, T); either output may be null.
  // cond: (B,) class ids in [0, C), or null for an unconditioned model (C = 0).
  void score(const int32_t* q, int B, int64_t T, const int32_t* cond, float* logits,
             float* nll) const;

  // Generation: `prime` (B x P, may be null when P = 0) is teacher-forced, then n samples
  // per stream are drawn with uniforms keyed (seed, streams[b], t). Output is delivered
  // in blocks of at most `chunk` samples through `emit(block, B, len)` (block is B x len,
  // row-major); emit runs on the calling thread between blocks and may throw to stop.
  void generate(int64_t n, const uint32_t* streams, int B, uint64_t seed, SamplingRule rule,
                const int32_t* prime, int64_t P, const int32_t* cond, int64_t chunk,
                const std::function<void(const int32_t*, int, int64_t)>& emit) const;

 private:
  // Weights are packed once into the GEMM's panel layout, biases folded into the packs.
  struct Layer {
    PackedMatrix kernel;     // with the input bias (GRU row 0; LSTM all of it)
    PackedMatrix recurrent;  // with the recurrent bias (GRU row 1; LSTM none)
    const float *h0, *c0;
  };
  struct Tier {
    int F, r;
    PackedMatrix in, up;
    const float* cond = nullptr;  // (C, H) class rows added to the input, or null
    const float* pos = nullptr;   // (position frames, H) rows (top tier only), or null
    std::vector<Layer> layers;
  };
  struct Group;  // state of a contiguous group of streams

  // Threads that step one group together, splitting its products (1: groups per thread).
  int team_size(int B) const;
  int64_t steps_per_slice() const;  // steps between two crew decisions
  // cond: the group's nb class ids (null when unconditioned).
  void init_group(Group& g, int nb, const int32_t* cond) const;
  // Advance the frame tiers that step at g.t and, if want_logits, compute logits for
  // sample g.t into g.logits (nb x Q); q[< g.t] is read from the group's history. With a
  // crew (called on its lead thread) every large product is split by output columns.
  void step(Group& g, WorkTeam* crew, bool want_logits) const;
  void push(Group& g, const int32_t* q_t) const;  // record q[g.t] for each stream; ++g.t
  // The sample-level MLP's first activation for sample g.t of each stream (rows of a,
  // stride lda): relu(bias + tier 0's conditioning row + the F_0 folded table rows).
  void sample_input(const Group& g, float* a, size_t lda) const;
  // Hidden layers and output of the sample-level MLP for M rows of a (stride ld_h_);
  // a and a2 are clobbered, logits get stride ld_q_.
  void sample_mlp(float* a, float* a2, int M, float* logits, WorkTeam* crew) const;

  SampleRNNProgram prog_;
  // h0, c0, cond and pos tables, sample.table, sample.bias
  std::map<std::string, std::vector<float>> store_;
  std::vector<Tier> tiers_;
  const float *table_, *sample_b_;
  const float* lpc_ = nullptr;  // (P,) the linear predictor, null without
  std::vector<PackedMatrix> hidden_;
  PackedMatrix out_;
  int num_threads_;
  WeightFormat weights_;
  CrewMemory crews_;
  int hist_mask_;
  // Padded leading dimensions of the per-stream buffers (the GEMM writes whole panels).
  int ld_h_, ld_g_, ld_q_;
};

}  // namespace pysynth
