// Teachers that label structures with energies and forces: GFN2-xTB through libxtb
// (in-process), or a PaiNN model (progressive distillation).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "painn/calculator.h"

namespace painn {

struct Label {
  bool ok = false;
  double energy = 0.0;                        // eV
  std::vector<std::array<double, 3>> forces;  // eV/A
  std::string error;                          // why it failed (SCF not converged, ...)
};

// Exact unit conversions (CODATA 2018).
constexpr double kBohrInAngstrom = 0.529177210903;
constexpr double kHartreeInEV = 27.211386245988;

// One GFN2-xTB single point. charge in e, uhf = number of unpaired electrons.
Label gfn2_singlepoint(const System& s, double charge, int uhf);

}  // namespace painn
