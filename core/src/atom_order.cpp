#include "atom_order.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace painn {

std::vector<int> spatial_order(const System& s, double cell_size) {
  const size_t n = s.positions.size();
  if (n < kSpatialOrderMinAtoms || s.atomic_numbers.size() != n || !(cell_size > 0)) return {};
  std::array<double, 3> lo{};
  for (int d = 0; d < 3; ++d) lo[d] = s.positions[0][d];
  for (const auto& p : s.positions)
    for (int d = 0; d < 3; ++d) {
      if (!std::isfinite(p[d])) return {};
      lo[d] = std::min(lo[d], p[d]);
    }
  // Morton (Z-order) key of the cell: interleaving the bits of the three cell indices keeps atoms
  // of nearby cells close in the order at every scale (a lexicographic order would put the
  // neighbours in the next z-layer of cells a whole layer of atoms away). Clamped in double before
  // the conversion: far-apart atoms share the last cell instead of overflowing the key (the order
  // is only a heuristic; any order gives the same results).
  constexpr double kMaxCell = 1023;
  std::vector<uint32_t> key(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = 0;
    for (int d = 0; d < 3; ++d) {
      const auto c = static_cast<uint32_t>(std::min(kMaxCell, std::floor((s.positions[i][d] - lo[d]) / cell_size)));
      for (int bit = 0; bit < 10; ++bit) k |= ((c >> bit) & 1u) << (3 * bit + d);
    }
    key[i] = k;
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key[a] < key[b]; });
  return order;
}

System permuted(const System& s, const std::vector<int>& order) {
  System out;
  out.cell = s.cell;
  out.pbc = s.pbc;
  out.positions.resize(order.size());
  out.atomic_numbers.resize(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    out.positions[k] = s.positions[order[k]];
    out.atomic_numbers[k] = s.atomic_numbers[order[k]];
  }
  return out;
}

namespace {
template <typename T>
void scatter_back(std::vector<T>& v, const std::vector<int>& order) {
  if (v.size() != order.size()) return;  // not requested (empty)
  std::vector<T> out(v.size());
  for (size_t k = 0; k < order.size(); ++k) out[order[k]] = v[k];
  v.swap(out);
}
}  // namespace

void restore_order(Result& r, const std::vector<int>& order) {
  scatter_back(r.forces, order);
  scatter_back(r.atom_energy, order);
  scatter_back(r.atom_virial, order);
}

}  // namespace painn
