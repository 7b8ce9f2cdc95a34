// GFN2-xTB single points through libxtb's C API: Bohr in, Hartree and Hartree/Bohr out.
#include <xtb.h>

#include <cmath>

#include "painn/teacher.h"

namespace painn {

namespace {
std::string xtb_error(xtb_TEnvironment env) {
  char buf[1024] = {0};
  int len = sizeof buf;
  xtb_getError(env, buf, &len);
  return std::string(buf);
}
}  // namespace

Label gfn2_singlepoint(const System& s, double charge, int uhf) {
  Label out;
  const int n = static_cast<int>(s.positions.size());
  std::vector<double> xyz(3 * n);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) xyz[3 * i + c] = s.positions[i][c] / kBohrInAngstrom;
  double lattice[9];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) lattice[3 * a + b] = s.cell[a][b] / kBohrInAngstrom;
  bool periodic[3] = {s.pbc[0], s.pbc[1], s.pbc[2]};
  const bool any_pbc = periodic[0] || periodic[1] || periodic[2];

  xtb_TEnvironment env = xtb_newEnvironment();
  xtb_setVerbosity(env, XTB_VERBOSITY_MUTED);
  xtb_TMolecule mol = xtb_newMolecule(env, &n, s.atomic_numbers.data(), xyz.data(), &charge, &uhf,
                                      any_pbc ? lattice : nullptr, any_pbc ? periodic : nullptr);
  xtb_TCalculator calc = xtb_newCalculator();
  xtb_TResults res = xtb_newResults();
  if (xtb_checkEnvironment(env)) {
    out.error = "xtb could not set up the molecule: " + xtb_error(env);
  } else {
    xtb_loadGFN2xTB(env, mol, calc, nullptr);
    if (xtb_checkEnvironment(env)) {
      out.error = "xtb could not load GFN2-xTB: " + xtb_error(env);
    } else {
      xtb_singlepoint(env, mol, calc, res);
      if (xtb_checkEnvironment(env)) {
        out.error = "GFN2-xTB single point failed (SCF not converged?): " + xtb_error(env);
      } else {
        double e = 0;
        std::vector<double> grad(3 * n);
        xtb_getEnergy(env, res, &e);
        xtb_getGradient(env, res, grad.data());
        out.energy = e * kHartreeInEV;
        out.forces.resize(n);
        for (int i = 0; i < n; ++i)
          for (int c = 0; c < 3; ++c) out.forces[i][c] = -grad[3 * i + c] * kHartreeInEV / kBohrInAngstrom;
        out.ok = std::isfinite(out.energy);
        if (!out.ok) out.error = "GFN2-xTB returned a non-finite energy";
      }
    }
  }
  xtb_delResults(&res);
  xtb_delCalculator(&calc);
  xtb_delMolecule(&mol);
  xtb_delEnvironment(&env);
  return out;
}

}  // namespace painn
