// pybind11 module pysynth._engine_cuda: bindings only. The engines are wavenet_engine.cu and
// samplernn_engine.cu; their Python classes are the wrappers the CPU module uses too
// (wavenet_binding.h, samplernn_binding.h), plus `device` and `emulate`.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "boundary.h"
#include "device_memory.cuh"
#include "rule_binding.h"
#include "samplernn_binding.h"
#include "samplernn_engine.cuh"
#include "wavenet_binding.h"
#include "wavenet_engine.cuh"

namespace py = pybind11;
using pysynth::cuda::CudaSampleRNNEngine;
using pysynth::cuda::CudaWaveNetEngine;

PYBIND11_MODULE(_engine_cuda, m) {
  m.doc() = "pysynth WaveNet and SampleRNN sampling engines on a CUDA device (optional module)";
  m.def("device_available", []() { return pysynth::cuda::device_problem().empty(); },
        "True when a CUDA device can be used.");
  m.def("device_problem", &pysynth::cuda::device_problem,
        "Why no CUDA device can be used ('' when one can): the CUDA runtime's message.");
  pysynth::bind_sampling_rule(m);

  using W = pysynth::WaveNetBinding<CudaWaveNetEngine>;
  pysynth::bind_wavenet_engine<CudaWaveNetEngine>(
      m,
      "WaveNet incremental sampling on a CUDA device (weights and ring buffers resident in "
      "device memory). emulate=True runs the kernel's phase code on the host, for tests "
      "without a GPU.")
      .def(py::init([](const std::string& program_json, const py::dict& tensors, int device,
                       bool emulate) {
             pysynth::WaveNetProgram p = pysynth::parse_wavenet_program(program_json);
             auto t = pysynth::take_tensors(tensors, pysynth::wavenet_tensor_table(p));
             return W(std::make_unique<CudaWaveNetEngine>(std::move(p), t, device, emulate));
           }),
           py::arg("program_json"), py::arg("tensors"), py::arg("device") = 0, py::kw_only(),
           py::arg("emulate") = false)
      .def_property_readonly("device", [](const W& e) { return e.engine().device(); })
      .def_property_readonly("emulated", [](const W& e) { return e.engine().emulated(); });

  using S = pysynth::SampleRNNBinding<CudaSampleRNNEngine>;
  pysynth::bind_samplernn_engine<CudaSampleRNNEngine>(
      m,
      "SampleRNN incremental sampling on a CUDA device (weights, RNN states and conditioning "
      "rows resident in device memory). emulate=True runs the kernel's phase code on the "
      "host, for tests without a GPU.")
      .def(py::init([](const std::string& program_json, const py::dict& tensors, int device,
                       bool emulate, int blocks_per_stream) {
             if (blocks_per_stream < 0 || blocks_per_stream > 1024)
               throw py::value_error("blocks_per_stream must be in [0, 1024] (0 = automatic), got " +
                                     std::to_string(blocks_per_stream));
             pysynth::SampleRNNProgram p = pysynth::parse_samplernn_program(program_json);
             auto t = pysynth::take_tensors(tensors, pysynth::samplernn_tensor_table(p));
             return S(std::make_unique<CudaSampleRNNEngine>(std::move(p), t, device, emulate,
                                                            blocks_per_stream));
           }),
           py::arg("program_json"), py::arg("tensors"), py::arg("device") = 0, py::kw_only(),
           py::arg("emulate") = false, py::arg("blocks_per_stream") = 0,
           "blocks_per_stream: blocks that step one stream (0 = automatic: one per stream, or "
           "for a few streams of a wide model several, one launch per phase).")
      .def("blocks_for", [](const S& e, int B) { return e.engine().blocks_for(B); },
           py::arg("streams"), "Blocks per stream a call with this many streams uses.")
      .def_property_readonly("device", [](const S& e) { return e.engine().device(); })
      .def_property_readonly("emulated", [](const S& e) { return e.engine().emulated(); });
}
