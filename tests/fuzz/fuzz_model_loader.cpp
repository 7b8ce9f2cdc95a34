// libFuzzer target: arbitrary bytes -> Model::from_bytes. Any outcome but a model or a
// painn::Error (a crash, a sanitizer report, another exception) is a finding.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "painn/error.h"
#include "painn/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const painn::Model m = painn::Model::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    // A model that loads is valid: finite weights of the declared shapes.
    for (const auto& [name, t] : m.params)
      for (double v : t.data)
        if (!std::isfinite(v)) std::abort();
    // and it can be written back (only small ones: serializing costs more than the parse)
    if (m.parameter_count() < 2000) (void) m.to_bytes(painn::WeightDtype::f32);
  } catch (const painn::Error&) {
  }
  return 0;
}
