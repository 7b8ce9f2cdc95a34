// Spatial atom order for Calculator::compute(System): the evaluation's edge loops gather and
// scatter the features of each atom's neighbours, so neighbours that sit close in memory mean
// fewer cache misses (bench/README.md "Atom order": 1.05x current and 1.23x ultratiny on the
// 3,000-atom box, 1.18-1.29x for every size on 30,000 atoms). Results go back to the caller in the
// caller's order.
#pragma once
#include <vector>

#include "painn/calculator.h"

namespace painn {

// Below this many atoms everything fits the caches and the input order is kept.
constexpr size_t kSpatialOrderMinAtoms = 512;

// Atom indices sorted by the Morton (Z-order) index of the cell (edge `cell_size` A, Cartesian,
// clamped to 1024 cells per axis) they lie in, ties in input order. Empty when the system is below
// kSpatialOrderMinAtoms or malformed (size mismatch, non-finite coordinates): then it is evaluated
// as given and the neighbour list reports the problem.
std::vector<int> spatial_order(const System& system, double cell_size);

// The system with atom k of the result = atom order[k] of the input.
System permuted(const System& system, const std::vector<int>& order);

// Per-atom results (forces, atom_energy, atom_virial) of a permuted evaluation back into the
// caller's order; energy, virial and parameter gradients are sums and stay.
void restore_order(Result& result, const std::vector<int>& order);

}  // namespace painn
