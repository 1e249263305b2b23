// The SampleRNN sampling engine on a CUDA device, free of Python: the same program, tensor
// table and score/generate contract as the CPU SampleRNNEngine (samplernn.h), so module.cu
// binds it with the same wrapper (samplernn_binding.h).
//
// The weights are uploaded once (plain cudaMalloc); each call allocates the per-stream RNN
// states, conditioning rows and sample history on the device and runs the step kernel
// (samplernn_kernel.cu). emulate = true runs the identical phase code on the host instead
// (for tests without a GPU).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "samplernn_program.h"
#include "samplernn_step.h"

namespace pysynth {
namespace cuda {

class Buffer;  // device (or emulated host) memory, device_memory.cuh

class CudaSampleRNNEngine {
 public:
  // `tensors` must hold every name of samplernn_tensor_table with exactly that many floats
  // (the binding checks names, shapes and finiteness). Throws std::runtime_error when no
  // device can be used, std::invalid_argument when the device or the model does not fit.
  // blocks_per_stream: how many blocks step one stream (0 = chosen per call from the batch
  // and the device; see blocks_for).
  CudaSampleRNNEngine(SampleRNNProgram program,
                      const std::map<std::string, std::vector<float>>& tensors, int device,
                      bool emulate, int blocks_per_stream = 0);
  ~CudaSampleRNNEngine();

  const SampleRNNProgram& program() const { return prog_; }
  int device() const { return emulate_ ? -1 : device_; }
  bool emulated() const { return emulate_; }
  int blocks_per_stream() const { return blocks_per_stream_; }
  // Blocks per stream for a call with B streams: one persistent block per stream (the
  // batch design), or for a few streams of a wide model several blocks each, one launch
  // per phase, so that a single stream is not confined to one multiprocessor.
  int blocks_for(int B) const;

  // As SampleRNNEngine::score and ::generate (samplernn.h).
  void score(const int32_t* q, int B, int64_t T, const int32_t* cond, float* logits,
             float* nll) const;
  void generate(int64_t n, const uint32_t* streams, int B, uint64_t seed, SamplingRule rule,
                const int32_t* prime, int64_t P, const int32_t* cond, int64_t chunk,
                const std::function<void(const int32_t*, int, int64_t)>& emit) const;

 private:
  struct State;
  void load_weights(const std::map<std::string, std::vector<float>>& tensors);
  // Makes this engine's device current (another engine may have switched it).
  void activate() const;
  // Runs a.n steps of the call's state: with one block per stream in launches of at most
  // kStepsPerLaunch steps (so no launch runs long), else one launch per phase.
  void run(const samplernn::StepArgs& a, const State& state) const;

  SampleRNNProgram prog_;
  int device_;
  bool emulate_;
  samplernn::Dims dims_{};
  samplernn::Weights w_{};
  int blocks_per_stream_ = 0;
  int multiprocessors_ = 1;
  int threads_ = 0, max_r_ = 1;
  size_t smem_ = 0;
  int64_t state_stride_ = 0, up_stride_ = 0;
  std::vector<float> initial_state_;  // one stream's h0 (and c0) of every tier and layer
  std::vector<samplernn::TierWeights> host_tiers_;  // what tiers_ holds, for the host's schedule
  std::unique_ptr<Buffer> weights_, tiers_;
};

}  // namespace cuda
}  // namespace pysynth
