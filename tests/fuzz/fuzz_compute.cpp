// libFuzzer target: model + structure -> energy and forces. Input: 4-byte little-endian model
// length L, L bytes of model file, then an extended-XYZ text. The structure is bounded (at most
// kMaxAtoms atoms, two frames) and the model small (at most kMaxParams parameters) so that each
// run is fast; the first byte of the structure text's length parity picks fp64 or fp32. Cells that
// need more than 2000 periodic images per atom are skipped (each run would take a second: the
// image loop is bounded by 101^3 per atom and tested in tests/cpp). Within that, any outcome but
// finite results or a painn::Error is a finding.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "extxyz.h"
#include "painn/calculator.h"
#include "painn/error.h"

namespace {
constexpr size_t kMaxAtoms = 8;
constexpr int64_t kMaxParams = 4000;

// Periodic images per atom that build_graph will scan for this cell and cutoff.
double image_count(const painn::System& s, double rc) {
  const auto& C = s.cell;
  auto cross = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return std::array<double, 3>{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
  };
  auto dot = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  };
  const double vol = std::fabs(dot(C[0], cross(C[1], C[2])));
  double n = 1.0;
  for (int d = 0; d < 3; ++d) {
    if (!s.pbc[d]) continue;
    const auto c = cross(C[(d + 1) % 3], C[(d + 2) % 3]);
    const double area = std::sqrt(dot(c, c));
    if (!(vol > 0) || !(area > 0)) return 1.0;  // degenerate: build_graph refuses it at once
    const double h = vol / area;                // plane spacing (exact for fully periodic cells)
    n *= 2.0 * std::ceil(std::min(rc / h, 1e6)) + 1.0;
  }
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t len;
  std::memcpy(&len, data, 4);
  if (len > size - 4) return 0;
  const std::string model_bytes(reinterpret_cast<const char*>(data) + 4, len);
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 4 + len, size - 4 - len));
  try {
    const painn::Model model = painn::Model::from_bytes(model_bytes, "fuzz");
    if (model.parameter_count() > kMaxParams) return 0;
    const auto frames = painn::read_extxyz(in, "fuzz");
    for (size_t k = 0; k < frames.size() && k < 2; ++k) {
      const painn::Frame& f = frames[k];
      if (f.positions.size() > kMaxAtoms) continue;
      painn::System s;
      s.positions = f.positions;
      s.atomic_numbers = f.atomic_numbers;
      s.cell = f.cell;
      s.pbc = f.pbc;
      if (!(image_count(s, model.config.cutoff) <= 2000.0)) continue;
      const painn::Precision p = (size - len) % 2 ? painn::Precision::fp32 : painn::Precision::fp64;
      {
        try {
          const painn::Calculator calc(model, p, 1);
          painn::Request req;
          req.per_atom_energy = true;
          const painn::Result r = calc.compute(s, req);
          if (!std::isfinite(r.energy)) std::abort();  // the calculator promises finite results
          for (const auto& v : r.forces)
            for (double x : v)
              if (!std::isfinite(x)) std::abort();
        } catch (const painn::Error&) {
        }
      }
    }
  } catch (const painn::Error&) {
  }
  return 0;
}
