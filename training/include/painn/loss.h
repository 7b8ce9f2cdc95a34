// Force-matching loss and its gradient with respect to every model parameter.
//
// Batch loss over structures s with N_s atoms:
//   L = w_E * mean_s ((E_s - E_s^ref) / N_s)^2  +  w_F * sum_s sum_i |F_si - F_si^ref|^2 / (3 sum_s N_s)
//
// dL/dtheta needs dE/dtheta (reverse mode, exact) and, for the force term,
//   sum_i v_i . dF_i/dtheta = -D_v (dE/dtheta),  v = dL/dF,
// the derivative of the parameter gradient along the displacement v. It is exact: forward mode
// over the reverse pass (Calculator::training_gradient, core/src/tangent.h), after one energy +
// force evaluation that gives v. Checked against the PyTorch oracle's double backward
// (tests/oracle/test_cpp_vs_oracle.py) and finite differences of the loss (tests/cpp).
// A batch is evaluated as one graph per thread (its structures side by side), so the dense
// layers run as matrix products over all of a chunk's atoms.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "painn/calculator.h"

namespace painn {

struct Sample {
  System system;
  double energy = 0.0;                          // eV
  std::vector<std::array<double, 3>> forces;    // eV/A
  std::string group;                            // molecule tag (for splits)
};

struct LossWeights {
  double energy = 1.0;
  double forces = 10.0;
};

using Gradient = std::map<std::string, std::vector<double>>;  // same names/shapes as Model::params

struct BatchStats {
  double loss = 0.0;
  double energy_sq = 0.0;   // sum over structures of ((E - E_ref)/N)^2
  double energy_abs = 0.0;  // sum over structures of |E - E_ref| / N
  double force_sq = 0.0;    // sum over components of (F - F_ref)^2
  double force_abs = 0.0;   // sum over components of |F - F_ref|
  long structures = 0, atoms = 0;
};

// Loss terms of one structure (predictions from calc), and optionally their parameter gradient
// (unnormalised: the caller scales by the batch's structure and atom counts, see batch_loss).
struct StructureTerms {
  double e_err = 0.0;                 // (E - E_ref) / N
  double f_sq = 0.0, f_abs = 0.0;     // sums over the 3N components
  Gradient grad_e_term;               // d/dtheta of e_err^2
  Gradient grad_f_term;               // d/dtheta of sum |F - F_ref|^2
};

StructureTerms structure_terms(const Calculator& calc, const Sample& s, bool with_gradient);

// Loss and gradient of a batch, evaluated with one Calculator per thread (threads >= 1).
// calcs must all hold the same model.
BatchStats batch_loss(std::vector<Calculator>& calcs, const std::vector<const Sample*>& batch,
                      const LossWeights& w, Gradient* grad);

}  // namespace painn
