// pysynth._engine.WaveNetEngine: the CPU engine (wavenet.h) in the wrapper both modules
// share (wavenet_binding.h), plus its constructor and thread count.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "boundary.h"
#include "wavenet.h"
#include "wavenet_binding.h"

namespace py = pybind11;

namespace pysynth {

void bind_wavenet(py::module_& m) {
  using W = WaveNetBinding<WaveNetEngine>;
  bind_wavenet_engine<WaveNetEngine>(m,
                                     "Compiled incremental WaveNet sampler (docs/architecture.md).")
      .def(py::init([](const std::string& program_json, py::dict tensors, int num_threads,
                       const std::string& weights, const std::string& split) {
             if (num_threads < 0)
               throw py::value_error("num_threads must be >= 0 (0 = all hardware threads), got " +
                                     std::to_string(num_threads));
             const WeightFormat format = parse_weight_format(weights);
             const Split how = parse_split(split);
             WaveNetProgram p = parse_wavenet_program(program_json);
             auto t = take_tensors(tensors, wavenet_tensor_table(p));
             return W(std::make_unique<WaveNetEngine>(std::move(p), t, num_threads, format, how));
           }),
           py::arg("program_json"), py::arg("tensors"), py::arg("num_threads") = 0,
           py::kw_only(), py::arg("weights") = "float32", py::arg("split") = "measured",
           "Validate the program and tensors (presence, dtype, shape, finiteness) and pack "
           "the weights (weights='bf16': as bfloat16, AVX512_BF16 only; split: with fewer "
           "streams than threads, share the head's products when 'measured' faster, "
           "'always' or 'never'). Raises ValueError naming the bad key or tensor.")
      .def_property_readonly("num_threads", [](const W& e) { return e.engine().num_threads(); })
      .def_property_readonly("split_fraction",
                             [](const W& e) { return e.engine().split_fraction(); },
                             "Fraction of the last generate or score call's steps whose head "
                             "products the threads shared (measured faster than one alone).")
      .def_property_readonly("weights",
                             [](const W& e) { return weight_format_name(e.engine().weights()); });
}

}  // namespace pysynth
