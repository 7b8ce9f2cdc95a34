// Radial basis functions and the cosine cutoff, each with its derivative beside it.
// Evaluated in double from the double edge length, then stored in the compute type.
#pragma once
#include <cmath>

#include "painn/model.h"

namespace painn {

// phi[n] and dphi[n] = d phi[n] / dd for n = 0..R-1 at distance d (0 < d < rc).
inline void radial_basis(RadialBasis basis, int R, double rc, double d, double* phi, double* dphi) {
  if (basis == RadialBasis::bessel) {
    // phi_n = sin(k d) / d with k = n pi / rc;  phi_n' = (k d cos(k d) - sin(k d)) / d^2.
    // sin(n x), cos(n x) for x = pi d / rc by the angle-addition recurrence: one sincos per edge
    // (the rotation keeps the error within a few ulp per step for the ~20 functions used).
    const double x = M_PI * d / rc;
    const double s1 = std::sin(x), c1 = std::cos(x);
    double s = s1, c = c1;
    for (int n = 0; n < R; ++n) {
      const double k = (n + 1) * M_PI / rc;
      phi[n] = s / d;
      dphi[n] = (k * d * c - s) / (d * d);
      const double s_next = s * c1 + c * s1;
      c = c * c1 - s * s1;
      s = s_next;
    }
  } else {
    // phi_n = exp(-(d - c_n)^2 / (2 w^2)), c_n = n w, w = rc / (R - 1);  phi_n' = -(d - c_n)/w^2 phi_n
    const double w = rc / (R - 1);
    for (int n = 0; n < R; ++n) {
      const double x = d - n * w;
      phi[n] = std::exp(-0.5 * x * x / (w * w));
      dphi[n] = -x / (w * w) * phi[n];
    }
  }
}

// f(d) = (cos(pi d / rc) + 1) / 2 inside the cutoff;  f'(d) = -(pi / (2 rc)) sin(pi d / rc)
inline void cosine_cutoff(double rc, double d, double* f, double* df) {
  if (d >= rc) { *f = 0.0; *df = 0.0; return; }
  *f = 0.5 * (std::cos(M_PI * d / rc) + 1.0);
  *df = -0.5 * M_PI / rc * std::sin(M_PI * d / rc);
}

// The network inner switch, a quintic smoothstep in x = (d - r0) / w:
//   s = 0 (d <= r0),  x^3 (6 x^2 - 15 x + 10) (r0 < d < r0 + w),  1 (d >= r0 + w),
//   s' = 30 x^2 (x - 1)^2 / w.
// Value, first and second derivative are continuous at both ends (forces and the training's
// force-loss gradient stay smooth). Off (s = 1) when w <= 0.
inline void inner_switch(double r0, double w, double d, double* s, double* ds) {
  if (!(w > 0.0) || d >= r0 + w) { *s = 1.0; *ds = 0.0; return; }
  if (d <= r0) { *s = 0.0; *ds = 0.0; return; }
  const double x = (d - r0) / w;
  *s = x * x * x * (x * (6.0 * x - 15.0) + 10.0);
  *ds = 30.0 * x * x * (x - 1.0) * (x - 1.0) / w;
}

// The edge envelope the network uses: cosine cutoff times the inner switch, with its derivative.
inline void edge_envelope(const ModelConfig& c, double d, double* f, double* df) {
  double fc, dfc, s, ds;
  cosine_cutoff(c.cutoff, d, &fc, &dfc);
  inner_switch(c.network_inner_cutoff, c.network_inner_width, d, &s, &ds);
  *f = fc * s;
  *df = dfc * s + fc * ds;
}

}  // namespace painn
