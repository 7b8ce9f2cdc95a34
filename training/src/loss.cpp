#include "painn/loss.h"

#include <omp.h>

#include <algorithm>
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

void check_sample(const Sample& s) {
  const size_t n = s.system.positions.size();
  if (n == 0) throw Error("training structure has no atoms");
  if (s.forces.size() != n) throw Error("training structure has " + std::to_string(s.forces.size()) +
                                        " reference forces for " + std::to_string(n) + " atoms");
}
}  // namespace

StructureTerms structure_terms(const Calculator& calc, const Sample& s, bool with_gradient) {
  check_sample(s);
  const size_t n = s.system.positions.size();
  Request req;
  req.keep_for_training = with_gradient;
  const Result r = calc.compute(s.system, req);
  StructureTerms t;
  t.e_err = (r.energy - s.energy) / static_cast<double>(n);
  std::vector<std::array<double, 3>> v(n);  // d(sum |dF|^2)/dF = 2 dF
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      const double d = r.forces[i][c] - s.forces[i][c];
      t.f_sq += d * d;
      t.f_abs += std::fabs(d);
      v[i][c] = 2 * d;
    }
  if (!with_gradient) return t;
  // d(e_err^2)/dtheta = 2 e_err / N dE/dtheta;  d(sum |dF|^2)/dtheta = sum v . dF/dtheta = -D_v (dE/dtheta)
  const std::vector<std::array<double, 3>> none(n, {0.0, 0.0, 0.0});
  t.grad_e_term = calc.training_gradient(std::vector<double>(n, 2 * t.e_err / static_cast<double>(n)), none);
  for (auto& x : v)
    for (double& c : x) c = -c;
  t.grad_f_term = calc.training_gradient(std::vector<double>(n, 0.0), v);
  return t;
}

namespace {
constexpr long kChunkAtoms = 1024;  // a chunk's structures are evaluated as one graph

// Contiguous runs of the batch, about one per thread (balanced by atoms), none above kChunkAtoms
// atoms unless a single structure is larger.
std::vector<std::pair<int, int>> make_chunks(const std::vector<const Sample*>& batch, long atoms, int n_threads) {
  const long target = std::min(kChunkAtoms, (atoms + n_threads - 1) / n_threads);
  std::vector<std::pair<int, int>> chunks;
  int begin = 0;
  long in_chunk = 0;
  for (int b = 0; b < static_cast<int>(batch.size()); ++b) {
    const long nb = static_cast<long>(batch[b]->system.positions.size());
    if (in_chunk > 0 && in_chunk + nb > target) {
      chunks.push_back({begin, b});
      begin = b;
      in_chunk = 0;
    }
    in_chunk += nb;
  }
  if (in_chunk > 0) chunks.push_back({begin, static_cast<int>(batch.size())});
  return chunks;
}

// Disjoint union of the structures' neighbour graphs; first[k] = first node of structure k.
Graph union_graph(const Calculator& calc, const std::vector<const Sample*>& batch, int begin, int end,
                  std::vector<int>& first) {
  Graph u;
  u.offsets.push_back(0);
  for (int b = begin; b < end; ++b) {
    const Graph g = build_graph(batch[b]->system, calc.model(), calc.cutoff());
    const int base = u.n_nodes;
    const int64_t edge_base = u.n_edges();
    first.push_back(base);
    u.species.insert(u.species.end(), g.species.begin(), g.species.end());
    for (int i = 0; i < g.n_local; ++i) u.offsets.push_back(edge_base + g.offsets[i + 1]);
    for (int j : g.neighbor) u.neighbor.push_back(base + j);
    u.vec.insert(u.vec.end(), g.vec.begin(), g.vec.end());
    u.n_nodes += g.n_nodes;
    u.n_local += g.n_local;
  }
  first.push_back(u.n_nodes);
  return u;
}
}  // namespace

BatchStats batch_loss(std::vector<Calculator>& calcs, const std::vector<const Sample*>& batch, const LossWeights& w,
                      Gradient* grad) {
  const int n_threads = static_cast<int>(calcs.size());
  const int B = static_cast<int>(batch.size());
  BatchStats st;
  for (const Sample* s : batch) {
    check_sample(*s);
    st.atoms += static_cast<long>(s->system.positions.size());
  }
  st.structures = B;
  // L = ce sum_s e_err_s^2 + cf sum |dF|^2:  dL/dtheta = sum_s a_s dE_s/dtheta - D_t (dE/dtheta) with
  // a_s = 2 ce e_err_s / N_s and t = -2 cf dF (see Calculator::training_gradient).
  const double ce = w.energy / B, cf = w.forces / (3.0 * st.atoms);
  const auto chunks = make_chunks(batch, st.atoms, n_threads);
  const int C = static_cast<int>(chunks.size());
  std::vector<double> e_err(B), f_sq(B), f_abs(B);
  std::vector<Gradient> chunk_grad(C);
  std::string error;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
  for (int c = 0; c < C; ++c) {
    try {
      const Calculator& calc = calcs[omp_get_thread_num()];
      // Chunks already run one per thread: anything parallel inside (the neighbour search) must
      // not start a team of its own, or several trainings side by side oversubscribe the cores.
      omp_set_num_threads(1);
      std::vector<int> first;
      const Graph g = union_graph(calc, batch, chunks[c].first, chunks[c].second, first);
      Request req;
      req.per_atom_energy = true;
      req.keep_for_training = grad != nullptr;
      const Result r = calc.compute(g, req, nullptr);
      std::vector<double> a(g.n_nodes);
      std::vector<std::array<double, 3>> t(g.n_nodes);
      for (int b = chunks[c].first, k = 0; b < chunks[c].second; ++b, ++k) {
        const Sample& s = *batch[b];
        const int n = first[k + 1] - first[k];
        double energy = 0.0;
        for (int i = first[k]; i < first[k + 1]; ++i) energy += r.atom_energy[i];
        e_err[b] = (energy - s.energy) / n;
        f_sq[b] = f_abs[b] = 0.0;
        for (int i = 0; i < n; ++i) {
          for (int x = 0; x < 3; ++x) {
            const double d = r.forces[first[k] + i][x] - s.forces[i][x];
            f_sq[b] += d * d;
            f_abs[b] += std::fabs(d);
            t[first[k] + i][x] = -2.0 * cf * d;
          }
          a[first[k] + i] = 2.0 * ce * e_err[b] / n;
        }
      }
      if (grad) chunk_grad[c] = calc.training_gradient(a, t);
    } catch (const std::exception& e) {
#pragma omp critical
      error = e.what();
    }
  }
  if (!error.empty()) throw Error(error);
  for (int b = 0; b < B; ++b) {
    st.energy_sq += e_err[b] * e_err[b];
    st.energy_abs += std::fabs(e_err[b]);
    st.force_sq += f_sq[b];
    st.force_abs += f_abs[b];
  }
  st.loss = ce * st.energy_sq + cf * st.force_sq;
  if (grad) {
    grad->clear();
    for (int c = 0; c < C; ++c) axpy(*grad, 1.0, chunk_grad[c]);  // fixed order for a given thread count
  }
  return st;
}

}  // namespace painn
