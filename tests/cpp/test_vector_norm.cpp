// The mixing block's vector norm epsilon (docs/model-format.md section 10): what it does
// physically (at a centre of symmetry every vector feature vanishes, so with eps = 1e-8 the energy
// is a cone in the centre atom's displacement, and a larger eps makes it quadratic), forces and
// the training gradient against finite differences with a large eps, the file keys, and the
// reader's rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "finite_differences.h"
#include "load_checks.h"

using namespace painn;
using namespace painn::test;

namespace {

Model with_epsilon(Model m, double eps) {
  m.config.vector_norm_epsilon = eps;
  return m;
}

// Methane in its tetrahedral geometry (C at the origin), the C moved by s along a direction that
// is no symmetry axis of the cage.
System methane_with_carbon_moved(double s) {
  const double a = 1.09 / std::sqrt(3.0);
  System m;
  m.atomic_numbers = {6, 1, 1, 1, 1};
  m.positions = {{0, 0, 0}, {a, a, a}, {-a, -a, a}, {-a, a, -a}, {a, -a, -a}};
  const double u[3] = {0.8, 0.5, 0.33166247903554};  // unit length
  for (int c = 0; c < 3; ++c) m.positions[0][c] += s * u[c];
  return m;
}

// E(s) - E(0) for the C moved by s.
double rise(const Model& m, double s) {
  Calculator calc(m, Precision::fp64, 1);
  return calc.compute(methane_with_carbon_moved(s)).energy - calc.compute(methane_with_carbon_moved(0)).energy;
}

}  // namespace

TEST(VectorNormEpsilon, AtACentreOfSymmetryTheStandardEpsilonLeavesAConeALargerOneASmoothMinimum) {
  // A cone rises linearly: E(2s) - E(0) = 2 (E(s) - E(0)); a smooth minimum quadratically: 4x.
  // sqrt(1e-8) = 1e-4, so at s = 1e-3..4e-3 A the standard file is well outside its rounding.
  for (uint64_t seed : {5u, 6u, 7u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Model m = small_model("ultratiny", seed);
    ASSERT_EQ(m.config.vector_norm_epsilon, 1e-8);
    const double standard = rise(m, 2e-3) / rise(m, 1e-3);
    EXPECT_NEAR(standard, 2.0, 0.2);
    const Model rounded = with_epsilon(m, 1e-2);
    const double smooth = rise(rounded, 2e-3) / rise(rounded, 1e-3);
    EXPECT_NEAR(smooth, 4.0, 0.1);
  }
}

TEST(VectorNormEpsilon, ForcesMatchFiniteDifferencesAtAndAwayFromTheCentre) {
  for (double eps : {1e-4, 1e-2}) {
    SCOPED_TRACE("eps " + std::to_string(eps));
    const Model m = with_epsilon(small_model("tiny", 9), eps);
    check_forces_fd(m, random_cluster(11, 4.0, 10, 0.9), 1e-6, 1e-5);
    check_forces_fd(m, methane_with_carbon_moved(2e-3), 1e-6, 1e-5);
  }
}

TEST(VectorNormEpsilon, TrainingGradientMatchesFiniteDifferences) {
  // The force loss's gradient runs through the tangent pass, which reads the norm from the
  // forward cache: check it with an eps large enough to matter.
  check_training_gradient_fd(with_epsilon(small_model("ultratiny", 12), 5e-2), small_model("ultratiny", 11),
                             {random_cluster(8, 3.5, 13, 0.9), methane_with_carbon_moved(0.05)},
                             {"mixing.0.vector_mix.weight", "mixing.1.context1.weight", "filter.weight"}, 16);
}

TEST(VectorNormEpsilon, FileKeyRoundTripsAndIsAbsentAtTheDefault) {
  const Model m = with_epsilon(small_zbl_model("ultratiny", 14), 1e-4);
  const std::string bytes = m.to_bytes(WeightDtype::f16);
  EXPECT_EQ(parse_safetensors(bytes, "eps").metadata.at("vector_norm_epsilon"), "0.0001");
  EXPECT_EQ(Model::from_bytes(bytes, "eps").config.vector_norm_epsilon, 1e-4);
  const SafetensorsFile plain = parse_safetensors(small_model("ultratiny", 15).to_bytes(WeightDtype::f32), "plain");
  EXPECT_EQ(plain.metadata.count("vector_norm_epsilon"), 0u);
  // Results follow the key: the same weights with and without it differ at a centre of symmetry.
  const System ch4 = methane_with_carbon_moved(1e-3);
  EXPECT_NE(Calculator(Model::from_bytes(bytes, "eps"), Precision::fp64, 1).compute(ch4).energy,
            Calculator(with_epsilon(m, 1e-8), Precision::fp64, 1).compute(ch4).energy);
}

TEST(VectorNormEpsilon, ReaderRejectsBadValues) {
  for (const char* bad : {"0", "-1e-4", "1.5"})
    expect_load_error(zbl_file_with_meta("vector_norm_epsilon", bad), "vector_norm_epsilon = ");
  for (const char* bad : {"nan", "inf", "1e-4x", "0x1p-10"})
    expect_load_error(zbl_file_with_meta("vector_norm_epsilon", bad), "vector_norm_epsilon");
  EXPECT_NO_THROW(Model::from_bytes(zbl_file_with_meta("vector_norm_epsilon", "1"), "ok"));
  Model m = small_model();
  m.config.vector_norm_epsilon = -1.0;
  EXPECT_THROW(Calculator(m, Precision::fp64, 1), Error);
}
