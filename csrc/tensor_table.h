// The type of an engine family's tensor table: tensor names with their expected shapes, in
// a fixed order (wavenet_program.h, samplernn_program.h; exposed as _engine.tensor_table).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pysynth {

using TensorTable = std::vector<std::pair<std::string, std::vector<int64_t>>>;

}  // namespace pysynth
