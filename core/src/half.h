// IEEE binary16 <-> double conversion (round to nearest even), for fp16 model files.
#pragma once
#include <cstdint>

namespace painn {
uint16_t double_to_half(double x);
double half_to_double(uint16_t h);
}  // namespace painn
