// The atom graph the network runs on, and the hook a host (LAMMPS) uses to keep ghost atoms in
// step between message-passing layers.
//
// Nodes 0..n_local-1 are the atoms whose energies are wanted; nodes n_local..n_nodes-1 are ghosts
// (periodic or parallel copies that a host owns elsewhere). Edges are directed i -> j, stored
// grouped by centre i (CSR: edges of i are offsets[i]..offsets[i+1]-1), and exist only for local
// centres. vec[e] = R_j - R_i (with the periodic shift already applied), always in double.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace painn {

// Two atoms closer than this are an input error in every entry point (no chemical bond is that
// short; in MD it means the run has already blown up): the self-contained neighbour search and a
// host's graph are checked against the same bound, min_pair_distance(model) (model.h).
constexpr double kMinPairDistance = 0.1;  // Angstrom
// The bound for a model that defines its energy there: a pair repulsion, and a network switched off
// below its inner cutoff (docs/model-format.md sections 8, 9). Its energy is then a steep, finite
// wall down to coincident atoms, and minimisers probe it: OpenMM's L-BFGS takes a first trial step
// that moves atoms by up to about 1 A and backs off from the energy it finds.
constexpr double kMinPairDistanceShielded = 0.01;  // Angstrom

struct Graph {
  int n_local = 0;
  int n_nodes = 0;
  std::vector<int> species;                  // per node: row of the embedding (model species index)
  std::vector<int64_t> offsets;              // n_local + 1
  std::vector<int> neighbor;                 // per edge: node j
  std::vector<std::array<double, 3>> vec;    // per edge: R_j - R_i in Angstrom
  int64_t n_edges() const { return static_cast<int64_t>(neighbor.size()); }
};

// Synchronises ghost nodes with their owners. Rows are node-major: q has H values per node, mu has
// 3H (x, y, z blocks of H). The core calls forward() after every layer but the last, once all
// local rows are final, and reverse() before each layer's backward step. A host that has no ghosts
// passes no exchange at all.
class GhostExchange {
 public:
  virtual ~GhostExchange() = default;
  // Overwrite every ghost row with its owner's row.
  virtual void forward(double* q, double* mu, int hidden) = 0;
  virtual void forward(float* q, float* mu, int hidden) = 0;
  // Add every ghost row into its owner's row, then zero the ghost rows.
  virtual void reverse(double* gq, double* gmu, int hidden) = 0;
  virtual void reverse(float* gq, float* gmu, int hidden) = 0;
};

}  // namespace painn
