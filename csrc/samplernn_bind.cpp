// Python binding of the SampleRNN CPU engine: pysynth._engine.SampleRNNEngine.
//
// The API is the engine contract of the project (same as WaveNetEngine), in the wrapper
// both modules share (samplernn_binding.h): construction validates the program and every
// tensor (presence, numeric dtype, shape, finiteness) and raises ValueError naming the
// offending key or tensor; the heavy calls release the GIL.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "boundary.h"
#include "samplernn.h"
#include "samplernn_binding.h"

namespace py = pybind11;

namespace pysynth {

void bind_samplernn(py::module_& m) {
  using S = SampleRNNBinding<SampleRNNEngine>;
  bind_samplernn_engine<SampleRNNEngine>(
      m, "Compiled CPU sampler for 'samplernn' programs (docs/architecture.md).")
      .def(py::init([](const std::string& program_json, const py::dict& tensors, int num_threads,
                       const std::string& weights, const std::string& split) {
             if (num_threads < 0)
               throw py::value_error("num_threads must be >= 0 (0 = all hardware threads), got " +
                                     std::to_string(num_threads));
             const WeightFormat format = parse_weight_format(weights);
             const Split how = parse_split(split);
             SampleRNNProgram p = parse_samplernn_program(program_json);
             auto store = take_tensors(tensors, samplernn_tensor_table(p));
             return S(std::make_unique<SampleRNNEngine>(std::move(p), std::move(store),
                                                        num_threads, format, how));
           }),
           py::arg("program_json"), py::arg("tensors"), py::arg("num_threads") = 0,
           py::kw_only(), py::arg("weights") = "float32", py::arg("split") = "measured",
           "Validate the program and tensors (ValueError naming the tensor) and build the "
           "engine; weights='bf16' stores the products' weights as bfloat16 (AVX512_BF16); "
           "split: with fewer streams than threads, share one group's products across them "
           "when 'measured' faster (default), 'always' or 'never' (same samples each way).")
      .def_property_readonly("num_threads", [](const S& e) { return e.engine().num_threads(); })
      .def_property_readonly("split_fraction",
                             [](const S& e) { return e.engine().split_fraction(); },
                             "Fraction of the last generate call's steps whose products the "
                             "threads shared (see split).")
      .def_property_readonly("weights",
                             [](const S& e) { return weight_format_name(e.engine().weights()); });
}

}  // namespace pysynth
