// The first block's inference shortcut (blocks.h, FirstLayerInput: per-species context, no Wvv
// channel, no input gradients) against the general path, which training takes
// (keep_for_training): energies, forces, virials and per-atom virials must agree, with the
// filter cache on and off, periodic and not, for 1 to 3 layers.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "painn/calculator.h"

using namespace painn;
using namespace painn::test;

namespace {

double max_abs(const std::vector<std::array<double, 3>>& v) {
  double m = 0;
  for (const auto& x : v)
    for (double c : x) m = std::max(m, std::fabs(c));
  return m;
}

void expect_same(const Model& m, const System& s, Precision p, double tol, bool cache) {
  Calculator fast(m, p, 1), general(m, p, 1);
  if (!cache) {
    fast.set_filter_cache_bytes(0);
    general.set_filter_cache_bytes(0);
  }
  Request inference;
  inference.per_atom_virial = true;
  Request training = inference;
  training.keep_for_training = true;  // keeps the inputs: the general first block
  const Result a = fast.compute(s, inference), b = general.compute(s, training);
  ASSERT_TRUE(std::isfinite(a.energy));
  EXPECT_NEAR(a.energy, b.energy, tol * std::max(1.0, std::fabs(b.energy)));
  const double f_scale = std::max(1.0, max_abs(b.forces));
  ASSERT_GT(max_abs(b.forces), 1e-6);  // the comparison has something to compare
  for (size_t i = 0; i < a.forces.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.forces[i][c], b.forces[i][c], tol * f_scale) << "atom " << i;
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(a.virial[k], b.virial[k], 10 * tol * f_scale);
  for (size_t i = 0; i < a.atom_virial.size(); ++i)
    for (int k = 0; k < 9; ++k) EXPECT_NEAR(a.atom_virial[i][k], b.atom_virial[i][k], 10 * tol * f_scale);
}

}  // namespace

TEST(FirstLayerShortcut, MatchesTheGeneralPath) {
  for (int layers : {1, 2, 3}) {
    ModelConfig c = small_model("ultratiny", 70).config;
    c.layers = layers;
    c.shared_filters = false;
    const Model m = Model::random(c, 71 + layers);
    for (const System& s : {random_cluster(11, 4.5, 72), random_periodic(10, triclinic_cell(5, 5.5, 6), 73)})
      for (bool cache : {true, false}) {
        SCOPED_TRACE("layers " + std::to_string(layers) + (cache ? ", cached filters" : ", recomputed filters"));
        expect_same(m, s, Precision::fp64, 1e-12, cache);
        expect_same(m, s, Precision::fp32, 2e-5, cache);
      }
  }
}
