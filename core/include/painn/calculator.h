// Evaluation API: energies, forces and virials of a structure for a loaded model.
#pragma once
#include <array>
#include <map>
#include <string>
#include <memory>
#include <vector>

#include "painn/graph.h"
#include "painn/model.h"

namespace painn {

enum class Precision { fp32, fp64 };
Precision precision_from_string(const std::string& s);  // "fp32" | "fp64" (also single/double)
const char* to_string(Precision p);

// A structure in Angstrom. Positions may be unwrapped (any distance outside the cell).
// cell rows are the lattice vectors a, b, c; a non-periodic direction's vector is ignored
// (it may be zero).
struct System {
  std::vector<std::array<double, 3>> positions;
  std::vector<int> atomic_numbers;
  std::array<std::array<double, 3>, 3> cell{};  // rows a, b, c
  std::array<bool, 3> pbc{false, false, false};
};

struct Request {
  bool forces = true;             // also run the reverse pass (forces, virial)
  bool per_atom_energy = false;
  bool per_atom_virial = false;
  bool edge_gradients = false;    // dE/d(vec[e]) per edge (graph entry point)
  bool parameter_gradient = false;  // dE/d(theta) for every model tensor (training)
  bool keep_for_training = false;   // keep this evaluation's state for Calculator::training_gradient
};

struct Result {
  double energy = 0.0;                              // eV, accumulated in double
  std::vector<double> atom_energy;                  // per local atom (if requested)
  std::vector<std::array<double, 3>> forces;        // per node: -dE/dR, eV/A
  // Virial W = -sum_edges vec_e (x) dE/dvec_e (row-major 3x3, eV). Stress = -W / volume.
  std::array<double, 9> virial{};
  std::vector<std::array<double, 9>> atom_virial;   // per node, half of each edge to each end
  std::vector<std::array<double, 3>> edge_gradient; // per edge, dE/dvec (if requested)
  // dE/d(tensor), row-major like Model::params (if requested; needs forces = true)
  std::map<std::string, std::vector<double>> parameter_gradient;
};

class Evaluator;  // internal, templated on the compute type

// One Calculator evaluates one structure at a time (it keeps scratch buffers between calls);
// threads of a host that evaluate concurrently each need their own.
class Calculator {
 public:
  // threads <= 0: OpenMP default (OMP_NUM_THREADS or all cores); above kMaxThreads: painn::Error.
  // fp32 compute refuses a model with a weight beyond float's range. Every result is checked:
  // a non-finite energy, force or virial throws painn::Error naming the model (Model::origin).
  static constexpr int kMaxThreads = 1024;
  Calculator(const Model& model, Precision precision, int threads = 0);
  ~Calculator();
  Calculator(Calculator&&) noexcept;
  Calculator& operator=(Calculator&&) noexcept;

  // Self-contained: builds the neighbour list (cell list, periodic images) and evaluates.
  // Throws painn::Error on NaN/Inf positions, unknown elements, coincident atoms, bad cells.
  // From 512 atoms on (and not for training requests) the atoms are evaluated in a spatial
  // (Morton) order for cache locality; results and messages use the caller's order.
  // fp64 results equal the given order's to rounding (summation order), not bitwise.
  Result compute(const System& system, const Request& request = {}) const;

  // Host-provided graph (local + ghost nodes) with an optional ghost exchange.
  Result compute(const Graph& graph, const Request& request, GhostExchange* exchange) const;

  // Training (forward-over-reverse, exact): after a compute() with forces and keep_for_training
  // on a graph without ghost nodes (it keeps the primal adjoints of its reverse pass), returns
  //   sum_s a_s dE_s/dtheta  +  d/d(eps) [dE/dtheta](R + eps t)
  // by tensor name, where energy_weight[i] = a_s for every node i of structure s (nodes of one
  // connected structure must share a weight; several disjoint structures may form one graph) and
  // displacement[i] = t_i (A). The second term is -d/dtheta (sum_i t_i . F_i): with t = dL/dF it
  // is the force-matching part of a loss gradient. Cost: about 2 energy+force evaluations.
  std::map<std::string, std::vector<double>> training_gradient(
      const std::vector<double>& energy_weight, const std::vector<std::array<double, 3>>& displacement) const;

  const Model& model() const { return model_; }
  Precision precision() const { return precision_; }
  double cutoff() const { return model_.config.cutoff; }
  void set_threads(int threads);
  // Memory allowed for keeping every layer's edge filters between the forward and the reverse
  // pass (default 256 MiB). Above it the reverse pass recomputes them per atom: same results,
  // more arithmetic. 0 never keeps them.
  void set_filter_cache_bytes(double bytes);

 private:
  Model model_;
  Precision precision_;
  int threads_;
  std::unique_ptr<Evaluator> impl_;
};

// Neighbour list used by Calculator::compute(System): full list (both directions), all periodic
// images within the cutoff, O(N) cell list. Exposed for tests and hosts.
Graph build_graph(const System& system, const Model& model, double cutoff);

}  // namespace painn
