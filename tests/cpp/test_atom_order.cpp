// Calculator::compute(System) evaluates large structures in a spatial atom order (atom_order.h)
// and must give the caller's results in the caller's order: checked against the graph entry
// point, which evaluates exactly the order it is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "atom_order.h"
#include "fixtures.h"

using namespace painn;
using namespace painn::test;

namespace {

System shuffled(const System& s, uint64_t seed) {
  std::vector<int> p(s.positions.size());
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), std::mt19937_64(seed));
  return permuted(s, p);
}

// compute(System) (reordered inside) against compute(Graph) of the same system in its own order.
void expect_same_as_graph_path(const Model& m, const System& s) {
  Request req;
  req.per_atom_energy = req.per_atom_virial = true;
  const Calculator calc(m, Precision::fp64, 2);
  ASSERT_FALSE(spatial_order(s, 0.5 * m.config.cutoff).empty()) << "the structure is below the reordering size";
  const Result a = calc.compute(s, req);
  const Result b = calc.compute(build_graph(s, m, m.config.cutoff), req, nullptr);
  EXPECT_NEAR(a.energy, b.energy, 1e-12 * std::fabs(b.energy));
  const double fmax = max_abs(b.forces);
  ASSERT_EQ(a.forces.size(), b.forces.size());
  for (size_t i = 0; i < s.positions.size(); ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.forces[i][c], b.forces[i][c], 1e-11 * fmax) << "atom " << i;
    EXPECT_NEAR(a.atom_energy[i], b.atom_energy[i], 1e-11 * std::max(1.0, std::fabs(b.atom_energy[i]))) << i;
    for (int c = 0; c < 9; ++c) EXPECT_NEAR(a.atom_virial[i][c], b.atom_virial[i][c], 1e-10 * std::max(1.0, fmax)) << i;
  }
  for (int c = 0; c < 9; ++c) EXPECT_NEAR(a.virial[c], b.virial[c], 1e-10 * std::max(1.0, std::fabs(b.virial[c])));
}

}  // namespace

TEST(AtomOrder, PeriodicBoxResultsInTheCallersOrder) {
  const System s = shuffled(random_periodic(900, triclinic_cell(21, 21, 21), 5), 9);
  expect_same_as_graph_path(small_zbl_model("ultratiny", 4), s);
}

TEST(AtomOrder, ClusterWithOneFarAtomResultsInTheCallersOrder) {
  System s = shuffled(random_cluster(600, 19, 6), 10);
  s.positions[17] = {3.0e5, -2.0e5, 1.0e5};  // a legitimate, distant atom: clamped into the last cell
  expect_same_as_graph_path(small_model("ultratiny", 5), s);
}

TEST(AtomOrder, IsAPermutationThatBringsNeighboursTogether) {
  const Model m = small_model();
  const System s = shuffled(random_periodic(1000, triclinic_cell(22, 22, 22), 7), 11);
  EXPECT_TRUE(spatial_order(random_cluster(40, 8, 1), 5.0).empty());  // small: kept as given
  const std::vector<int> order = spatial_order(s, 0.5 * m.config.cutoff);
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(s.positions.size());
  std::iota(identity.begin(), identity.end(), 0);
  ASSERT_EQ(sorted, identity);
  // Share of edges whose two atoms are within N/10 of each other in memory: what the edge loops'
  // gathers see (about 0.19 for a random order).
  auto near_share = [&](const System& x) {
    const Graph g = build_graph(x, m, m.config.cutoff);
    int64_t near = 0;
    for (int i = 0; i < g.n_nodes; ++i)
      for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) near += std::abs(g.neighbor[e] - i) < g.n_nodes / 10;
    return static_cast<double>(near) / static_cast<double>(g.neighbor.size());
  };
  const double before = near_share(s), after = near_share(permuted(s, order));
  EXPECT_LT(before, 0.3);
  EXPECT_GT(after, 0.45) << "before " << before;
}

TEST(AtomOrder, ErrorsNameTheCallersAtoms) {
  System s = random_cluster(700, 20, 8);
  s.positions[650] = {s.positions[3][0] + 0.05, s.positions[3][1], s.positions[3][2]};
  const Calculator calc(small_model(), Precision::fp64, 1);
  const std::string msg = error_of([&] { calc.compute(s); });
  EXPECT_TRUE(msg.find("atoms 3 and 650") != std::string::npos || msg.find("atoms 650 and 3") != std::string::npos)
      << msg;
  s.positions[650][0] = std::nan("");
  EXPECT_ERROR(calc.compute(s), "position of atom 650 is NaN");
}
