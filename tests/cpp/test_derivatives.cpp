// Forces and virials against finite differences of the energy (fp64).
#include <gtest/gtest.h>

#include "finite_differences.h"

using namespace painn;
using namespace painn::test;

namespace {

// dE/d(strain) = -virial: deform positions and cell by (I + eps) and difference the energy.
void check_virial_fd(const Model& m, const System& s0, double rel_tol) {
  Calculator calc(m, Precision::fp64, 2);
  const Result r = calc.compute(s0);
  double scale = 0;
  for (double w : r.virial) scale = std::max(scale, std::fabs(w));
  ASSERT_GT(scale, 1e-4);
  const double h = 1e-6;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double e[2];
      for (int sign = 0; sign < 2; ++sign) {
        System s = s0;
        const double eps = sign ? -h : h;
        auto deform = [&](std::array<double, 3>& v) { v[b] += eps * v[a]; };  // v' = v (I + eps e_a e_b)
        for (auto& p : s.positions) deform(p);
        for (auto& row : s.cell) deform(row);
        e[sign] = calc.compute(s, {false}).energy;
      }
      const double dE = (e[0] - e[1]) / (2 * h);
      EXPECT_NEAR(dE, -r.virial[3 * a + b], rel_tol * scale) << "component " << a << b;
    }
}

}  // namespace

TEST(Derivatives, MoleculeForcesMatchFiniteDifferences) {
  check_forces_fd(small_model("ultratiny"), random_cluster(12, 5.0, 1), 1e-7);
  check_forces_fd(small_model("compact"), random_cluster(10, 4.5, 2), 1e-7);
}

TEST(Derivatives, GaussianBasisAndSharedFilters) {
  ModelConfig c = preset("tiny", {1, 6, 7, 8});
  c.basis = RadialBasis::gaussian;
  c.shared_filters = true;
  c.head_hidden = {24, 12};
  c.reference_energy = {1, 2, 3, 4};
  check_forces_fd(Model::random(c, 11), random_cluster(10, 4.5, 5), 1e-7);
}

TEST(Derivatives, PeriodicTriclinicForcesAndVirial) {
  const Model m = small_model("ultratiny", 4);
  const System s = random_periodic(16, triclinic_cell(7.0, 7.5, 8.0), 3);
  check_forces_fd(m, s, 1e-7);
  check_virial_fd(m, s, 1e-6);
}

TEST(Derivatives, SmallCellWithManyImages) {
  // Cell edges ~3 A < cutoff 5 A: each atom sees several images of each neighbour (and itself).
  const Model m = small_model("ultratiny", 5);
  const System s = random_periodic(3, triclinic_cell(3.0, 3.2, 3.4), 9, 1.2);
  ASSERT_EQ(s.positions.size(), 3u);
  check_forces_fd(m, s, 1e-7);
  check_virial_fd(m, s, 1e-6);
}

TEST(Derivatives, MixedPeriodicitySlab) {
  const Model m = small_model("ultratiny", 6);
  System s = random_periodic(14, triclinic_cell(6.0, 6.5, 7.0), 4);
  s.pbc = {true, true, false};
  s.cell[2] = {0.0, 0.0, 0.0};  // a non-periodic direction needs no vector
  check_forces_fd(m, s, 1e-7);
}

// ZBL repulsion (docs/model-format.md section 8): close pairs (0.5-0.7 A and up) inside their
// pair cutoffs, where the repulsion dominates the forces.
TEST(Derivatives, RepulsionForcesMatchFiniteDifferences) {
  const Model m = small_zbl_model("ultratiny", 7);
  const System s = random_cluster(12, 4.0, 8, 0.55);
  ASSERT_GT(repulsion_only(m, s).energy, 1.0);
  check_forces_fd(m, s, 1e-7);
  // A wider pair cutoff (c = 1.5) moves the smooth envelope out to typical bond lengths.
  check_forces_fd(small_zbl_model("ultratiny", 7, 1.5), random_cluster(10, 4.0, 9, 0.9), 1e-7);
}

TEST(Derivatives, RepulsionPeriodicForcesAndVirial) {
  const Model m = small_zbl_model("ultratiny", 8);
  const System s = random_periodic(16, triclinic_cell(6.0, 6.5, 7.0), 10, 0.6);
  ASSERT_GT(repulsion_only(m, s).energy, 1.0);
  check_forces_fd(m, s, 1e-7);
  check_virial_fd(m, s, 1e-6);
  // A cell of ~1.3 A edges: C and N repel their own periodic images (r_max 1.52 and 1.42 A).
  const System small = random_periodic(2, triclinic_cell(1.3, 1.4, 1.5), 11, 0.6);
  ASSERT_EQ(small.positions.size(), 2u);
  check_forces_fd(m, small, 1e-7);
  check_virial_fd(m, small, 1e-6);
}
