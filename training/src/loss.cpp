#include "painn/loss.h"

#include <omp.h>

#include <cmath>

#include "painn/error.h"

namespace painn {

namespace {
void axpy(Gradient& out, double a, const Gradient& x) {
  for (const auto& [name, v] : x) {
    auto& o = out[name];
    if (o.empty()) o.assign(v.size(), 0.0);
    for (size_t k = 0; k < v.size(); ++k) o[k] += a * v[k];
  }
}
}  // namespace

StructureTerms structure_terms(const Calculator& calc, const Sample& s, bool with_gradient) {
  const size_t n = s.system.positions.size();
  if (n == 0) throw Error("training structure has no atoms");
  if (s.forces.size() != n) throw Error("training structure has " + std::to_string(s.forces.size()) +
                                        " reference forces for " + std::to_string(n) + " atoms");
  Request req;
  req.parameter_gradient = with_gradient;
  const Result r = calc.compute(s.system, req);
  StructureTerms t;
  t.e_err = (r.energy - s.energy) / static_cast<double>(n);
  std::vector<std::array<double, 3>> v(n);  // d(sum |dF|^2)/dF = 2 dF
  double vnorm2 = 0;
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      const double d = r.forces[i][c] - s.forces[i][c];
      t.f_sq += d * d;
      t.f_abs += std::fabs(d);
      v[i][c] = 2 * d;
      vnorm2 += v[i][c] * v[i][c];
    }
  if (!with_gradient) return t;
  // d(e_err^2)/dtheta = 2 e_err / N dE/dtheta
  axpy(t.grad_e_term, 2 * t.e_err / static_cast<double>(n), r.parameter_gradient);
  // sum v . dF/dtheta = -|v| D_vhat (dE/dtheta), central difference along vhat
  const double vnorm = std::sqrt(vnorm2);
  if (vnorm > 0) {
    const double h = calc.precision() == Precision::fp64 ? 1e-5 : 3e-3;
    Request rq;
    rq.parameter_gradient = true;
    System plus = s.system, minus = s.system;
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) {
        plus.positions[i][c] += h * v[i][c] / vnorm;
        minus.positions[i][c] -= h * v[i][c] / vnorm;
      }
    const Result rp = calc.compute(plus, rq), rm = calc.compute(minus, rq);
    axpy(t.grad_f_term, -vnorm / (2 * h), rp.parameter_gradient);
    axpy(t.grad_f_term, vnorm / (2 * h), rm.parameter_gradient);
  }
  return t;
}

BatchStats batch_loss(std::vector<Calculator>& calcs, const std::vector<const Sample*>& batch, const LossWeights& w,
                      Gradient* grad) {
  const int n_threads = static_cast<int>(calcs.size());
  const int B = static_cast<int>(batch.size());
  std::vector<StructureTerms> terms(B);
  std::string error;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
  for (int b = 0; b < B; ++b) {
    try {
      terms[b] = structure_terms(calcs[omp_get_thread_num()], *batch[b], grad != nullptr);
    } catch (const std::exception& e) {
#pragma omp critical
      error = e.what();
    }
  }
  if (!error.empty()) throw Error(error);
  BatchStats st;
  for (int b = 0; b < B; ++b) {
    st.energy_sq += terms[b].e_err * terms[b].e_err;
    st.energy_abs += std::fabs(terms[b].e_err);
    st.force_sq += terms[b].f_sq;
    st.force_abs += terms[b].f_abs;
    st.atoms += static_cast<long>(batch[b]->system.positions.size());
  }
  st.structures = B;
  const double ce = w.energy / B, cf = w.forces / (3.0 * st.atoms);
  st.loss = ce * st.energy_sq + cf * st.force_sq;
  if (grad) {
    grad->clear();
    for (int b = 0; b < B; ++b) {  // fixed order: the result does not depend on the thread count
      axpy(*grad, ce, terms[b].grad_e_term);
      axpy(*grad, cf, terms[b].grad_f_term);
    }
  }
  return st;
}

}  // namespace painn
