#include "pair_repulsion.h"

#include <cmath>

#include "painn/calculator.h"
#include "painn/repulsion.h"
#include "zbl.h"

namespace painn {

PairRepulsion::PairRepulsion(const ModelConfig& c) {
  active_ = c.repulsion == Repulsion::zbl;
  if (!active_) return;
  n_species_ = static_cast<int>(c.species.size());
  z_ = c.species;
  r_max_.resize(static_cast<size_t>(n_species_) * n_species_);
  for (int a = 0; a < n_species_; ++a)
    for (int b = 0; b < n_species_; ++b)
      r_max_[a * n_species_ + b] = c.repulsion_cutoff_scale * (c.repulsion_radii[a] + c.repulsion_radii[b]);
}

double PairRepulsion::half_edge(const Graph& g, int i, int64_t e, std::array<double, 3>* grad) const {
  const int si = g.species[i], sj = g.species[g.neighbor[e]];
  const double r_max = r_max_[si * n_species_ + sj];
  const auto& v = g.vec[e];
  const double r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
  if (!(r2 < r_max * r_max)) return 0.0;
  const double r = std::sqrt(r2);
  double de_dr = 0.0;
  const double energy = zbl_pair_energy(z_[si], z_[sj], r, r_max, &de_dr);
  if (grad)
    for (int c = 0; c < 3; ++c) (*grad)[c] = 0.5 * de_dr * v[c] / r;
  return 0.5 * energy;
}

void PairRepulsion::add_energies(const Graph& g, std::vector<double>& centre_energy) const {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < g.n_local; ++i)
    for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) centre_energy[i] += half_edge(g, i, e, nullptr);
}

void PairRepulsion::add_edge_gradients(const Graph& g, std::vector<std::array<double, 3>>& edge_grad) const {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < g.n_local; ++i)
    for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) {
      std::array<double, 3> grad{};  // stays zero beyond the pair cutoff
      half_edge(g, i, e, &grad);
      for (int c = 0; c < 3; ++c) edge_grad[e][c] += grad[c];
    }
}

// ---- public helpers (painn/repulsion.h) ---------------------------------------------------

void use_zbl_repulsion(ModelConfig& c, double cutoff_scale) {
  c.repulsion = Repulsion::zbl;
  c.repulsion_cutoff_scale = cutoff_scale;
  c.repulsion_radii.clear();
  for (int z : c.species) c.repulsion_radii.push_back(covalent_radius(z));
  // The network's own short range goes with it: below about 0.3 A a trained network extrapolates
  // without bound (1e8 eV and more, potentials/README.md), so the repulsion alone acts there.
  c.network_inner_cutoff = kDefaultNetworkInnerCutoff;
  c.network_inner_width = kDefaultNetworkInnerWidth;
}

// build_graph has already refused coincident atoms (no 1/0 below).
Result repulsion_only(const Model& model, const System& system) {
  const Graph g = build_graph(system, model, model.config.cutoff);
  const PairRepulsion rep(model.config);
  Result res;
  res.forces.assign(g.n_nodes, {0.0, 0.0, 0.0});
  if (!rep.active()) return res;
  std::vector<double> centre(g.n_local, 0.0);
  rep.add_energies(g, centre);
  for (double e : centre) res.energy += e;
  std::vector<std::array<double, 3>> edge_grad(g.n_edges(), {0.0, 0.0, 0.0});
  rep.add_edge_gradients(g, edge_grad);
  for (int i = 0; i < g.n_local; ++i)
    for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) {
      const auto& G = edge_grad[e];
      for (int c = 0; c < 3; ++c) {
        res.forces[i][c] += G[c];
        res.forces[g.neighbor[e]][c] -= G[c];
      }
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) res.virial[3 * a + b] -= g.vec[e][a] * G[b];
    }
  return res;
}

}  // namespace painn
