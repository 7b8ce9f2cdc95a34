// The model's fixed pair repulsion over a graph's edges (docs/model-format.md section 8).
//
// Each directed edge i -> j carries half of its pair's energy (to the centre i) and half of the
// pair's gradient. A full neighbour list holds both directions of every pair, so each pair counts
// once; with ghost nodes the other half sits on the rank that owns j, exactly like the network's
// edge terms. Forces and virials then follow from the edge gradients in the evaluator's one loop.
#pragma once
#include <array>
#include <vector>

#include "painn/graph.h"
#include "painn/model.h"

namespace painn {

class PairRepulsion {
 public:
  explicit PairRepulsion(const ModelConfig& config);  // config must be valid (Model::validate)

  bool active() const { return active_; }

  // centre_energy[i] += half the pair energy of every edge of local centre i (eV).
  void add_energies(const Graph& g, std::vector<double>& centre_energy) const;
  // edge_grad[e] += half the pair's dE/dvec_e for every edge within its pair cutoff.
  void add_edge_gradients(const Graph& g, std::vector<std::array<double, 3>>& edge_grad) const;

 private:
  // Half the pair energy of edge e and, if grad, half its gradient dE/dvec.
  double half_edge(const Graph& g, int i, int64_t e, std::array<double, 3>* grad) const;

  bool active_ = false;
  int n_species_ = 0;
  std::vector<int> z_;            // nuclear charge per species index
  std::vector<double> r_max_;     // [S x S] pair cutoffs, Angstrom
};

}  // namespace painn
