// The network inner cutoff (docs/model-format.md section 9): the switch against its formula typed
// in here, what it means physically (a pair closer than r0 is invisible to the network, so two
// atoms at 0.2 A have exactly the network energy of two isolated atoms plus the repulsion),
// bitwise-unchanged results while every pair is beyond the switch, finite differences of forces
// and of the training gradient with pairs inside the ramp, and the reader's rejections.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "finite_differences.h"
#include "load_checks.h"
#include "radial.h"

using namespace painn;
using namespace painn::test;

namespace {

// Section 9's switch, typed in from the spec: 10 x^3 - 15 x^4 + 6 x^5 on [0, 1].
double switch_by_hand(double r0, double w, double d) {
  const double x = std::min(1.0, std::max(0.0, (d - r0) / w));
  return 10 * std::pow(x, 3) - 15 * std::pow(x, 4) + 6 * std::pow(x, 5);
}

Model network_only(Model m) {
  m.config.repulsion = Repulsion::none;
  m.config.network_inner_cutoff = m.config.network_inner_width = 0.0;
  return m;
}

// small_zbl_model (ZBL with the default inner cutoff 0.3 + 0.3 A) and the same network and ZBL
// without the switch.
Model without_switch(Model m) {
  m.config.network_inner_cutoff = m.config.network_inner_width = 0.0;
  return m;
}

// A random cluster (pairs >= 0.8 A) plus one atom `d` A from atom 0: that pair is in the ramp.
System cluster_with_close_pair(int n, uint64_t seed, double d) {
  System s = random_cluster(n, 4.0, seed, 0.8);
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  std::array<double, 3> u{g(rng), g(rng), g(rng)};
  const double nu = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
  s.positions.push_back({s.positions[0][0] + d * u[0] / nu, s.positions[0][1] + d * u[1] / nu,
                         s.positions[0][2] + d * u[2] / nu});
  s.atomic_numbers.push_back(1);
  return s;
}

}  // namespace

TEST(NetworkInnerCutoff, SwitchIsTheSpecsSmoothstepAndC2AtBothEnds) {
  const double r0 = 0.3, w = 0.3;
  for (double d : {0.1, 0.3, 0.31, 0.45, 0.52, 0.599, 0.6, 0.9}) {
    double s, ds;
    inner_switch(r0, w, d, &s, &ds);
    EXPECT_NEAR(s, switch_by_hand(r0, w, d), 1e-15) << d;
    const double h = 1e-6;
    const double fd = (switch_by_hand(r0, w, d + h) - switch_by_hand(r0, w, d - h)) / (2 * h);
    EXPECT_NEAR(ds, fd, 1e-8) << d;
  }
  // Second derivative continuous (zero) at both ends: forces have no kink there.
  for (double end : {r0, r0 + w}) {
    const double h = 1e-6;  // s'' ~ 60 h / w^2 next to the ends: 7e-4 here, 0.5 if it jumped
    double s_in, s_out, d_in, d_out;
    inner_switch(r0, w, end - h, &s_in, &d_in);
    inner_switch(r0, w, end + h, &s_out, &d_out);
    EXPECT_LT(std::fabs(d_out - d_in) / (2 * h), 1e-3) << end;
  }
}

TEST(NetworkInnerCutoff, APairInsideR0IsInvisibleToTheNetwork) {
  // Two atoms 0.2 A apart: the network sees two isolated atoms, the repulsion adds its pair energy.
  const Model m = small_zbl_model("ultratiny", 70);
  ASSERT_EQ(m.config.network_inner_cutoff, 0.3);
  ASSERT_EQ(m.config.network_inner_width, 0.3);
  System pair;
  pair.positions = {{0.1, 0.2, 0.3}, {0.1, 0.2 + 0.2, 0.3}};
  pair.atomic_numbers = {8, 1};
  double isolated = 0.0;
  for (int k = 0; k < 2; ++k) {
    System one;
    one.positions = {pair.positions[k]};
    one.atomic_numbers = {pair.atomic_numbers[k]};
    isolated += Calculator(network_only(m), Precision::fp64, 1).compute(one).energy;
  }
  const Result r = Calculator(m, Precision::fp64, 1).compute(pair);
  const double zbl = repulsion_only(m, pair).energy;
  ASSERT_GT(zbl, 50.0);
  EXPECT_NEAR(r.energy, isolated + zbl, 1e-9 * std::fabs(r.energy));
  // The force is the repulsion's alone.
  const Result rep = repulsion_only(m, pair);
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(r.forces[k][c], rep.forces[k][c], 1e-9 * max_abs(rep.forces));
}

TEST(NetworkInnerCutoff, BeyondTheSwitchResultsAreBitwiseUnchanged) {
  const Model m = small_zbl_model("ultratiny", 71);
  const System s = random_periodic(14, triclinic_cell(5, 5.5, 6), 72, 0.61);
  Request req;
  req.per_atom_energy = true;
  for (Precision p : {Precision::fp64, Precision::fp32}) {
    const Result a = Calculator(m, p, 1).compute(s, req), b = Calculator(without_switch(m), p, 1).compute(s, req);
    EXPECT_TRUE(same_bits(a.energy, b.energy));
    for (size_t i = 0; i < a.forces.size(); ++i)
      for (int c = 0; c < 3; ++c) EXPECT_TRUE(same_bits(a.forces[i][c], b.forces[i][c]));
    for (int k = 0; k < 9; ++k) EXPECT_TRUE(same_bits(a.virial[k], b.virial[k]));
  }
  // ... and a pair in the ramp does change them (the test above can fail).
  const System close = cluster_with_close_pair(9, 73, 0.45);
  EXPECT_GT(std::fabs(Calculator(m, Precision::fp64, 1).compute(close).energy -
                      Calculator(without_switch(m), Precision::fp64, 1).compute(close).energy),
            1e-3);
}

TEST(NetworkInnerCutoff, ForcesInTheRampMatchFiniteDifferences) {
  const Model m = small_zbl_model("ultratiny", 74);
  for (double d : {0.35, 0.45, 0.55}) {
    SCOPED_TRACE("pair at " + std::to_string(d) + " A");
    check_forces_fd(m, cluster_with_close_pair(9, 75, d), 1e-7, 1e-5);
  }
}

TEST(NetworkInnerCutoff, TrainingGradientInTheRampMatchesFiniteDifferences) {
  // The force-loss gradient uses the envelope's derivative in the tangent pass: check it where
  // the switch is neither 0 nor 1.
  check_training_gradient_fd(small_zbl_model("ultratiny", 77), small_zbl_model("ultratiny", 76),
                             {cluster_with_close_pair(8, 78, 0.42), cluster_with_close_pair(7, 79, 0.52)},
                             {"filter.weight", "filter.bias", "embedding.weight"}, 80);
}

TEST(NetworkInnerCutoff, FileKeysRoundTripAndOldFilesHaveNone) {
  Model m = small_zbl_model("ultratiny", 81);
  m.config.network_inner_cutoff = 0.25;
  m.config.network_inner_width = 0.35;
  const std::string bytes = m.to_bytes(WeightDtype::i8);
  const SafetensorsFile f = parse_safetensors(bytes, "switch");
  EXPECT_EQ(f.metadata.at("network_inner_cutoff"), "0.25");
  EXPECT_EQ(f.metadata.at("network_inner_width"), "0.34999999999999998");
  const Model back = Model::from_bytes(bytes, "switch");
  EXPECT_EQ(back.config.network_inner_cutoff, 0.25);
  EXPECT_EQ(back.config.network_inner_width, 0.35);
  // Without the switch (every model before it, and all without a repulsion) the keys are absent.
  const SafetensorsFile plain = parse_safetensors(small_model("ultratiny", 82).to_bytes(WeightDtype::f32), "plain");
  EXPECT_EQ(plain.metadata.count("network_inner_cutoff"), 0u);
  EXPECT_EQ(plain.metadata.count("network_inner_width"), 0u);
  SafetensorsFile g = parse_safetensors(small_zbl_model().to_bytes(WeightDtype::f32), "zbl");
  g.metadata.erase("network_inner_cutoff");
  g.metadata.erase("network_inner_width");
  const Model off = Model::from_bytes(serialize_safetensors(g), "zbl without switch");  // earlier ZBL files
  EXPECT_EQ(off.config.network_inner_width, 0.0);
}

TEST(NetworkInnerCutoff, ReaderRejectsBadSettings) {
  expect_load_error(zbl_file_with_meta("network_inner_width", ""), "come together");
  expect_load_error(zbl_file_with_meta("network_inner_cutoff", ""), "come together");
  expect_load_error(zbl_file_with_meta("network_inner_width", "0"), "network_inner_width must be positive");
  expect_load_error(zbl_file_with_meta("network_inner_width", "-0.1"), "network_inner_width must be positive");
  expect_load_error(zbl_file_with_meta("network_inner_cutoff", "-0.1"), "network_inner_cutoff must be finite and >= 0");
  expect_load_error(zbl_file_with_meta("network_inner_cutoff", "4.8"), "not inside the model cutoff");
  expect_load_error(zbl_file_with_meta("network_inner_cutoff", "0x1"), "is not a decimal number");
  expect_load_error(zbl_file_with_meta("network_inner_width", "nan"), "is not a decimal number");
  expect_load_error(zbl_file_with_meta("repulsion", "none"), "needs a pair repulsion");
  EXPECT_NO_THROW(Model::from_bytes(zbl_file_with_meta("network_inner_cutoff", "0"), "ok"));  // switch from 0 A
  // Built in code: the Calculator validates the same way.
  Model m = small_zbl_model();
  m.config.repulsion = Repulsion::none;
  EXPECT_THROW(Calculator(m, Precision::fp64, 1), Error);
}

// graph.h: with a repulsion and the switch, the energy is defined far below any bond, and only
// coincident atoms (< 0.01 A) are an input error; a minimiser's trial step may land in between.
// Without either, 0.1 A stays the bound (the bare network extrapolates without limit there).
TEST(NetworkInnerCutoff, ShieldedModelsEvaluatePairsDownToAHundredthOfAnAngstrom) {
  const Model m = small_zbl_model("ultratiny", 71);
  EXPECT_EQ(min_pair_distance(m.config), 0.01);
  EXPECT_EQ(min_pair_distance(without_switch(m).config), 0.1);
  EXPECT_EQ(min_pair_distance(network_only(m).config), 0.1);
  const Calculator calc(m, Precision::fp64, 1);
  System pair;
  pair.atomic_numbers = {8, 1};
  double previous = -INFINITY;
  for (double d : {0.3, 0.09, 0.05, 0.02, 0.0101}) {  // the energy rises as the pair closes
    pair.positions = {{0.1, 0.2, 0.3}, {0.1, 0.2 + d, 0.3}};
    const Result r = calc.compute(pair);
    ASSERT_TRUE(std::isfinite(r.energy)) << d;
    EXPECT_GT(r.energy, previous) << d;
    EXPECT_GT(r.forces[1][1], 0.0) << d;  // H pushed away from O
    previous = r.energy;
  }
  for (double d : {0.0099, 1e-7}) {
    pair.positions = {{0.1, 0.2, 0.3}, {0.1, 0.2 + d, 0.3}};
    EXPECT_ERROR(calc.compute(pair), "closer than 0.01 A (overlapping atoms)") << d;
  }
  pair.positions = {{0.1, 0.2, 0.3}, {0.1, 0.25, 0.3}};
  EXPECT_ERROR(Calculator(without_switch(m), Precision::fp64, 1).compute(pair), "closer than 0.1 A");
  // A host's graph (LAMMPS) is held to the same bound.
  const Graph g = build_graph(pair, m, m.config.cutoff);
  EXPECT_NO_THROW(calc.compute(g, Request{}, nullptr));
  Graph bad = g;
  for (auto& v : bad.vec)
    for (double& x : v) x *= 0.1;  // 0.005 A
  EXPECT_ERROR(calc.compute(bad, Request{}, nullptr), "closer than 0.01 A");
}
