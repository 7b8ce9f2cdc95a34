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

namespace painn {

// GFN-FF energies and forces for molecular dynamics sampling. libxtb's GFN-FF writes and reuses
// topology files (gfnff_topo, gfnff_adjacency) in the working directory, so one GfnffModel sets
// up in a private scratch directory and a process runs one at a time. libxtb also prints the
// force field's set-up to standard output (Fortran unit 6), whatever the verbosity.
class GfnffModel {
 public:
  explicit GfnffModel(const System& s, double charge = 0.0);
  ~GfnffModel();
  GfnffModel(const GfnffModel&) = delete;
  GfnffModel& operator=(const GfnffModel&) = delete;
  // Energy (eV) and forces (eV/A) at new positions of the same molecule.
  Label compute(const std::vector<std::array<double, 3>>& positions);

 private:
  struct Impl;
  Impl* impl_;
};

// Langevin molecular dynamics (BAOAB, masses in amu) with GFN-FF, for sampling configurations.
struct SampleOptions {
  double temperature = 500.0;  // K
  double dt_fs = 0.5;
  double friction_per_ps = 5.0;
  int equilibration_steps = 400;
  int interval = 50;           // steps between recorded frames
  int frames = 10;
  double displacement = 0.0;   // extra Gaussian displacement (A) added to every other frame
  uint64_t seed = 1;
};
std::vector<System> sample_md_gfnff(const System& start, const SampleOptions& o);


}  // namespace painn
