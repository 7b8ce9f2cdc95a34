// The ZBL screened-nuclear pair repulsion with a smooth polynomial envelope
// (docs/model-format.md section 8). Always evaluated in double, whatever the compute type.
#pragma once

namespace painn {

// Coulomb constant e^2 / (4 pi eps0) in eV * Angstrom.
constexpr double kCoulombEvAngstrom = 14.399645478425668;

// Energy of one pair of nuclear charges zi, zj at distance r (Angstrom, r > 0) with pair cutoff
// r_max, and its derivative dE/dr:
//   E = (k_e zi zj / r) phi(r / a) envelope(r / r_max),  a = 0.46850 / (zi^0.23 + zj^0.23).
// Zero (with zero derivative) for r >= r_max.
double zbl_pair_energy(int zi, int zj, double r, double r_max, double* de_dr);

// The envelope 1 - (p+1)(p+2)/2 x^p + p(p+2) x^(p+1) - p(p+1)/2 x^(p+2), p = 6, for x < 1
// (0 beyond); its value, first and second derivatives vanish at x = 1.
double zbl_envelope(double x, double* dfdx);

}  // namespace painn
