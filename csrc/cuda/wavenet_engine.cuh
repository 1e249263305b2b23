// The WaveNet sampling engine on a CUDA device, free of Python: the same program, tensor
// table and score/generate contract as the CPU WaveNetEngine (wavenet_program.h), so
// module.cu binds it with the same wrapper (wavenet_binding.h).
//
// The weights are uploaded once (plain cudaMalloc); each call allocates the per-stream ring
// buffers on the device and runs the step kernel (wavenet_kernel.cu). emulate = true runs
// the identical phase code on the host instead (for tests without a GPU).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wavenet_program.h"
#include "wavenet_step.h"

namespace pysynth {
namespace cuda {

class Buffer;  // device (or emulated host) memory, device_memory.cuh

class CudaWaveNetEngine {
 public:
  // `tensors` must hold every name of wavenet_tensor_table with exactly that many floats
  // (the binding checks names, shapes and finiteness). Throws std::runtime_error when no
  // device can be used, std::invalid_argument when the device or the model does not fit.
  CudaWaveNetEngine(WaveNetProgram program,
                    const std::map<std::string, std::vector<float>>& tensors, int device,
                    bool emulate);
  ~CudaWaveNetEngine();

  const WaveNetProgram& program() const { return prog_; }
  int device() const { return emulate_ ? -1 : device_; }
  bool emulated() const { return emulate_; }

  // As WaveNetEngine::score and ::generate (wavenet.h).
  void score(const int32_t* q, int B, int64_t T, const int32_t* cond, float* logits, float* nll,
             const Poll& poll) const;
  void generate(int64_t n, const uint32_t* streams, int B, uint64_t seed, SamplingRule rule,
                const int32_t* prime, int64_t P, const int32_t* cond, int64_t chunk,
                const BlockSink& sink, const Poll& poll) const;

 private:
  struct State;
  void load_weights(const std::map<std::string, std::vector<float>>& tensors);
  // Makes this engine's device current (another engine may have switched it) before any
  // allocation or copy of a call.
  void activate() const;
  // Runs a.n steps in launches of at most kStepsPerLaunch steps, so that no single launch
  // runs for long.
  void run(const wavenet::StepArgs& a) const;

  WaveNetProgram prog_;
  int device_;
  bool emulate_;
  wavenet::Dims dims_{};
  int64_t ring_stride_ = 0;
  wavenet::Weights w_{};
  std::unique_ptr<Buffer> weights_, layer_dil_, layer_off_;
};

}  // namespace cuda
}  // namespace pysynth
