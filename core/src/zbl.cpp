#include "zbl.h"

#include <cmath>

namespace painn {

namespace {
// Universal screening function of Ziegler, Biersack and Littmark (1985):
// phi(x) = sum_k c_k exp(-d_k x).
constexpr double kC[4] = {0.18175, 0.50986, 0.28022, 0.02817};
constexpr double kD[4] = {3.19980, 0.94229, 0.40290, 0.20162};
constexpr int kP = 6;  // envelope exponent
}  // namespace

double zbl_envelope(double x, double* dfdx) {
  if (x >= 1.0) {
    *dfdx = 0.0;
    return 0.0;
  }
  constexpr double p = kP;
  constexpr double a = (p + 1) * (p + 2) / 2, b = p * (p + 2), c = p * (p + 1) / 2;
  const double xp1 = std::pow(x, kP - 1), xp = xp1 * x;  // x^(p-1), x^p
  // f = 1 - a x^p + b x^(p+1) - c x^(p+2);  f' = x^(p-1) (-a p + b (p+1) x - c (p+2) x^2)
  *dfdx = xp1 * (-a * p + b * (p + 1) * x - c * (p + 2) * x * x);
  return 1.0 - xp * (a - b * x + c * x * x);
}

double zbl_pair_energy(int zi, int zj, double r, double r_max, double* de_dr) {
  if (r >= r_max) {
    *de_dr = 0.0;
    return 0.0;
  }
  const double a = 0.46850 / (std::pow(zi, 0.23) + std::pow(zj, 0.23));
  const double x = r / a;
  double phi = 0.0, dphi = 0.0;  // dphi = d phi / dx
  for (int k = 0; k < 4; ++k) {
    const double t = kC[k] * std::exp(-kD[k] * x);
    phi += t;
    dphi -= kD[k] * t;
  }
  const double coulomb = kCoulombEvAngstrom * zi * zj / r;  // d/dr = -coulomb / r
  double denv = 0.0;
  const double env = zbl_envelope(r / r_max, &denv);
  *de_dr = coulomb * (-phi * env / r + dphi / a * env + phi * denv / r_max);
  return coulomb * phi * env;
}

}  // namespace painn
