// libFuzzer target: arbitrary text -> read_extxyz. Frames or a painn::Error; nothing else.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "extxyz.h"
#include "painn/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const auto frames = painn::read_extxyz(in, "fuzz");
    for (const auto& f : frames)
      if (f.positions.size() > size) std::abort();  // every atom needs at least one input line
    std::ostringstream out;
    for (const auto& f : frames)
      if (f.positions.size() == f.atomic_numbers.size()) painn::write_extxyz(out, f);
  } catch (const painn::Error&) {
  }
  return 0;
}
