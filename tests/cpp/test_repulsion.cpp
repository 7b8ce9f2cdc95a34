// The optional ZBL pair repulsion (docs/model-format.md section 8): its value against the formula
// written out here, smoothness at the pair cutoff, bitwise-unchanged results without it, the file
// keys, and one rejection per malformed setting. Finite differences: test_derivatives.cpp; the
// ghost-node entry point: test_invariance.cpp; the training loss: below.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "finite_differences.h"
#include "load_checks.h"
#include "painn/error.h"
#include "painn/loss.h"
#include "safetensors.h"

using namespace painn;
using namespace painn::test;

namespace {

// The spec's pair energy, typed in from section 8 (no core code).
double zbl_by_hand(int zi, int zj, double r, double r_max) {
  if (r >= r_max) return 0.0;
  const double a = 0.46850 / (std::pow(zi, 0.23) + std::pow(zj, 0.23));
  const double x = r / a;
  const double phi = 0.18175 * std::exp(-3.19980 * x) + 0.50986 * std::exp(-0.94229 * x) +
                     0.28022 * std::exp(-0.40290 * x) + 0.02817 * std::exp(-0.20162 * x);
  const double t = r / r_max;
  const double envelope = 1 - 28 * std::pow(t, 6) + 48 * std::pow(t, 7) - 21 * std::pow(t, 8);  // p = 6
  return 14.399645478425668 * zi * zj / r * phi * envelope;
}

// The network alone (its inner cutoff goes too: section 9 needs a repulsion).
Model without_repulsion(Model m) {
  m.config.repulsion = Repulsion::none;
  m.config.network_inner_cutoff = m.config.network_inner_width = 0.0;
  return m;
}

// Two atoms r apart along (0.6, 0, 0.8); on_axis: from the origin along x (the distance is then
// exactly r).
System pair(int zi, int zj, double r, bool on_axis = false) {
  System s;
  if (on_axis) s.positions = {{0.0, 0.0, 0.0}, {r, 0.0, 0.0}};
  else s.positions = {{0.1, -0.2, 0.3}, {0.1 + 0.6 * r, -0.2, 0.3 + 0.8 * r}};
  s.atomic_numbers = {zi, zj};
  return s;
}

void expect_bitwise_equal(const Result& a, const Result& b) {
  EXPECT_TRUE(same_bits(a.energy, b.energy)) << a.energy << " vs " << b.energy;
  ASSERT_EQ(a.forces.size(), b.forces.size());
  for (size_t i = 0; i < a.forces.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_TRUE(same_bits(a.forces[i][c], b.forces[i][c])) << "force " << i << "," << c;
  for (int k = 0; k < 9; ++k) EXPECT_TRUE(same_bits(a.virial[k], b.virial[k])) << "virial " << k;
  ASSERT_EQ(a.atom_energy.size(), b.atom_energy.size());
  for (size_t i = 0; i < a.atom_energy.size(); ++i) EXPECT_TRUE(same_bits(a.atom_energy[i], b.atom_energy[i]));
}

}  // namespace

TEST(Repulsion, PairEnergyAndForceMatchTheFormula) {
  // Without the network inner cutoff (section 9), so that the network alone is the same network
  // with and without the repulsion at every distance (test_inner_cutoff.cpp covers the switch).
  Model m = small_zbl_model("ultratiny", 21);
  m.config.network_inner_cutoff = m.config.network_inner_width = 0.0;
  const Model net = without_repulsion(m);
  Calculator with(m, Precision::fp64, 1), alone(net, Precision::fp64, 1);
  Request req;
  req.per_atom_energy = true;
  struct Case { int zi, zj; double r; };
  // C-N (r_max 1.47), H-H (0.62), O-O (1.32), N-H (1.02): deep inside, mid-range, near r_max.
  for (const Case& k : {Case{6, 7, 0.3}, Case{6, 7, 0.8}, Case{6, 7, 1.4}, Case{1, 1, 0.5}, Case{8, 8, 1.0},
                        Case{7, 1, 0.7}}) {
    const double r_max = covalent_radius(k.zi) + covalent_radius(k.zj);
    const System s = pair(k.zi, k.zj, k.r);
    const Result a = with.compute(s, req), b = alone.compute(s, req);
    const double expected = zbl_by_hand(k.zi, k.zj, k.r, r_max);
    ASSERT_GT(expected, 1e-4) << k.zi << "-" << k.zj << " at " << k.r;
    const double tol = 1e-12 * std::max(1.0, std::fabs(a.energy));
    EXPECT_NEAR(a.energy - b.energy, expected, tol) << k.zi << "-" << k.zj << " at " << k.r;
    // 1e-11: near r_max the envelope is a difference of O(10) terms that nearly cancel.
    EXPECT_NEAR(repulsion_only(m, s).energy, expected, 1e-11 * expected);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(a.atom_energy[i] - b.atom_energy[i], 0.5 * expected, tol);  // half each
    // Force on atom 1 along the bond: -dE/dr, against a central difference of the hand formula.
    const double h = 1e-6;
    const double dedr = (zbl_by_hand(k.zi, k.zj, k.r + h, r_max) - zbl_by_hand(k.zi, k.zj, k.r - h, r_max)) / (2 * h);
    const double u[3] = {0.6, 0.0, 0.8};
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(a.forces[1][c] - b.forces[1][c], -dedr * u[c], 1e-7 * std::fabs(dedr) + 1e-9);
      EXPECT_NEAR(a.forces[0][c] - b.forces[0][c], dedr * u[c], 1e-7 * std::fabs(dedr) + 1e-9);
    }
  }
  // Beyond r_max the pair adds nothing, bit for bit.
  expect_bitwise_equal(with.compute(pair(6, 7, 1.5), req), alone.compute(pair(6, 7, 1.5), req));
}

TEST(Repulsion, PairCutoffScaleWidensThePair) {
  const Model m = small_zbl_model("ultratiny", 22, 1.3);
  const double r_max = 1.3 * (covalent_radius(6) + covalent_radius(8));
  for (double r : {0.9, 1.6, 1.8}) {
    const double expected = zbl_by_hand(6, 8, r, r_max);
    EXPECT_NEAR(repulsion_only(m, pair(6, 8, r)).energy, expected, 1e-11 * expected);
  }
  EXPECT_GT(repulsion_only(m, pair(6, 8, 1.6)).energy, 0.0);  // beyond 1.42 A: only the wider cutoff
}

TEST(Repulsion, SmoothAtThePairCutoff) {
  // The envelope's value, slope and curvature vanish at r_max: energy ~ delta^3, force ~ delta^2.
  const Model m = small_zbl_model("ultratiny", 23);
  const double r_max = covalent_radius(6) + covalent_radius(8);
  auto rep = [&](double r) { return repulsion_only(m, pair(6, 8, r, true)); };
  EXPECT_EQ(rep(r_max).energy, 0.0);
  EXPECT_EQ(max_abs(rep(r_max).forces), 0.0);
  EXPECT_EQ(rep(r_max + 1e-9).energy, 0.0);
  const double e2 = rep(r_max - 1e-2).energy, e3 = rep(r_max - 1e-3).energy;
  const double f2 = max_abs(rep(r_max - 1e-2).forces), f3 = max_abs(rep(r_max - 1e-3).forces);
  EXPECT_GT(e3, 0.0);
  EXPECT_LT(e3, 1e-6);
  EXPECT_NEAR(e3 / e2, 1e-3, 2e-4);  // cubic
  EXPECT_NEAR(f3 / f2, 1e-2, 2e-3);  // quadratic
  // Across r_max the full model (network + repulsion) changes as its network alone does (the
  // repulsion force 1e-6 A inside is ~2e-10 eV/A).
  Calculator calc(m, Precision::fp64, 1), net(without_repulsion(m), Precision::fp64, 1);
  const System in = pair(6, 8, r_max - 1e-6), out = pair(6, 8, r_max + 1e-6);
  const Result a_in = calc.compute(in), a_out = calc.compute(out), n_in = net.compute(in), n_out = net.compute(out);
  EXPECT_NEAR(a_in.energy - a_out.energy, n_in.energy - n_out.energy, 1e-11);
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a_in.forces[i][c] - a_out.forces[i][c], n_in.forces[i][c] - n_out.forces[i][c], 1e-9);
}

TEST(Repulsion, EnergyOnlyAndFp32IncludeIt) {
  const Model m = small_zbl_model("ultratiny", 24);
  const System s = random_cluster(10, 4.0, 25, 0.6);
  const double rep = repulsion_only(m, s).energy;
  ASSERT_GT(rep, 1.0);
  const Result full = Calculator(m, Precision::fp64, 1).compute(s);
  const Result energy_only = Calculator(m, Precision::fp64, 1).compute(s, {false});
  EXPECT_EQ(energy_only.energy, full.energy);
  const double net = Calculator(without_repulsion(m), Precision::fp64, 1).compute(s, {false}).energy;
  EXPECT_NEAR(full.energy - net, rep, 1e-11 * std::fabs(full.energy));
  const Result f32 = Calculator(m, Precision::fp32, 1).compute(s);
  EXPECT_NEAR(f32.energy, full.energy, 1e-5 * std::fabs(full.energy - net) + 1e-4);
  for (size_t i = 0; i < s.positions.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(f32.forces[i][c], full.forces[i][c], 1e-5 * max_abs(full.forces));
}

TEST(Repulsion, ModelsWithoutItAreBitwiseUnchanged) {
  const Model m = small_model("ultratiny", 26);
  const std::string plain = m.to_bytes(WeightDtype::f32);
  // The writer leaves the keys out, so such files are byte for byte what they were.
  SafetensorsFile f = parse_safetensors(plain, "plain");
  EXPECT_EQ(f.metadata.count("repulsion"), 0u);
  EXPECT_EQ(f.metadata.count("repulsion_radii"), 0u);
  EXPECT_EQ(f.metadata.count("repulsion_cutoff_scale"), 0u);
  // `repulsion none` (its other keys ignored) loads to the same model and the same results.
  f.metadata["repulsion"] = "none";
  f.metadata["repulsion_radii"] = "[1, 2]";
  const Model a = Model::from_bytes(plain, "plain"), b = Model::from_bytes(serialize_safetensors(f), "none");
  EXPECT_EQ(b.config.repulsion, Repulsion::none);
  EXPECT_EQ(b.to_bytes(WeightDtype::f32), plain);
  Request req;
  req.per_atom_energy = true;
  for (const System& s : {random_cluster(10, 4.0, 27, 0.6), random_periodic(12, triclinic_cell(5, 5.5, 6), 28, 0.6)})
    for (Precision p : {Precision::fp64, Precision::fp32})
      expect_bitwise_equal(Calculator(a, p, 1).compute(s, req), Calculator(b, p, 1).compute(s, req));
  // ZBL whose pair cutoffs no pair reaches adds exactly nothing either.
  Model tiny_radii = a;
  use_zbl_repulsion(tiny_radii.config, 0.01);
  const System s = random_periodic(12, triclinic_cell(5, 5.5, 6), 29, 0.6);
  expect_bitwise_equal(Calculator(a, Precision::fp64, 1).compute(s, req),
                       Calculator(tiny_radii, Precision::fp64, 1).compute(s, req));
}

TEST(Repulsion, FileKeysRoundTrip) {
  Model m = small_zbl_model("ultratiny", 30, 1.25);
  m.config.repulsion_radii[1] = 0.123456789012345678;
  const std::string bytes = m.to_bytes(WeightDtype::i8);
  const SafetensorsFile f = parse_safetensors(bytes, "zbl");
  EXPECT_EQ(f.metadata.at("repulsion"), "zbl");
  EXPECT_EQ(f.metadata.at("repulsion_cutoff_scale"), "1.25");
  EXPECT_EQ(f.metadata.at("format_version"), "1");
  const Model back = Model::from_bytes(bytes, "zbl");
  EXPECT_EQ(back.config.repulsion, Repulsion::zbl);
  EXPECT_EQ(back.config.repulsion_radii, m.config.repulsion_radii);  // exact
  EXPECT_EQ(back.config.repulsion_cutoff_scale, 1.25);
  // The scale is optional (default 1).
  const Model one = Model::from_bytes(zbl_file_with_meta("repulsion_cutoff_scale", ""), "noscale");
  EXPECT_EQ(one.config.repulsion_cutoff_scale, 1.0);
  EXPECT_EQ(one.config.repulsion_radii, (std::vector<double>{0.31, 0.76, 0.71, 0.66}));
}

TEST(Repulsion, ReaderRejectsBadSettings) {
  expect_load_error(zbl_file_with_meta("repulsion", "lj"), "repulsion 'lj' is unknown");
  expect_load_error(zbl_file_with_meta("repulsion", "ZBL"), "repulsion 'ZBL' is unknown");
  expect_load_error(zbl_file_with_meta("repulsion_radii", ""), "metadata key 'repulsion_radii' is missing");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "0.3"), "not a JSON list of numbers");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, \"C\", 0.71, 0.66]"), "not a JSON list of numbers");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 0.76, 0.71]"), "3 repulsion radii for 4 species");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 0.76, 0.71, 0.66, 1]"), "5 repulsion radii for 4 species");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 0, 0.71, 0.66]"), "repulsion radius of C must be positive");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 0.76, -0.71, 0.66]"), "repulsion radius of N must be positive");
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 0.76, 0.71, 1e999]"), "not a JSON list of numbers");
  expect_load_error(zbl_file_with_meta("repulsion_cutoff_scale", "0"), "repulsion_cutoff_scale must be positive");
  expect_load_error(zbl_file_with_meta("repulsion_cutoff_scale", "-1"), "repulsion_cutoff_scale must be positive");
  expect_load_error(zbl_file_with_meta("repulsion_cutoff_scale", "nan"), "'repulsion_cutoff_scale' = 'nan' is not a decimal number");
  expect_load_error(zbl_file_with_meta("repulsion_cutoff_scale", "one"), "'repulsion_cutoff_scale' = 'one' is not a decimal number");
  // r_max(C, C) = 3.3 * 1.52 = 5.016 A > cutoff 5 A; 3.28 gives 4.9856 A and loads.
  expect_load_error(zbl_file_with_meta("repulsion_cutoff_scale", "3.3"), "exceeds the model cutoff");
  EXPECT_NO_THROW(Model::from_bytes(zbl_file_with_meta("repulsion_cutoff_scale", "3.28"), "ok"));
  expect_load_error(zbl_file_with_meta("repulsion_radii", "[0.31, 2.6, 0.71, 0.66]"), "exceeds the model cutoff");
  // Built in code: the Calculator validates the same way.
  Model m = small_zbl_model();
  m.config.repulsion_radii.pop_back();
  EXPECT_THROW(Calculator(m, Precision::fp64, 1), Error);
  m.config.repulsion_radii.push_back(std::nan(""));
  EXPECT_THROW(Calculator(m, Precision::fp64, 1), Error);
  m.config.repulsion_radii.back() = 0.66;
  m.config.repulsion_cutoff_scale = INFINITY;
  EXPECT_THROW(Calculator(m, Precision::fp64, 1), Error);
  m.config.repulsion_cutoff_scale = 1.0;
  EXPECT_NO_THROW(Calculator(m, Precision::fp64, 1));
  ModelConfig c = preset("ultratiny", {1, 6, 54});  // Xe has no tabulated radius
  EXPECT_THROW(use_zbl_repulsion(c), Error);
}

TEST(Repulsion, TrainingLossSeesItButNotItsGradient) {
  // The loss compares predictions that include the repulsion; the repulsion has no parameters,
  // so the parameter gradient is the network's alone and matches finite differences.
  const Model m = small_zbl_model("ultratiny", 31);
  const Model net = without_repulsion(m);
  Sample smp;
  smp.system = random_cluster(9, 4.0, 32, 0.6);
  ASSERT_GT(repulsion_only(m, smp.system).energy, 0.5);
  const Result target = Calculator(m, Precision::fp64, 1).compute(smp.system);
  smp.energy = target.energy + 0.2;
  smp.forces = target.forces;
  for (auto& f : smp.forces) f[0] += 0.05;
  const std::vector<const Sample*> batch = {&smp};
  const LossWeights w{1.0, 10.0};
  std::vector<Calculator> with, alone;
  with.emplace_back(m, Precision::fp64, 1);
  alone.emplace_back(net, Precision::fp64, 1);
  Gradient g_with, g_alone;
  const BatchStats a = batch_loss(with, batch, w, &g_with), b = batch_loss(alone, batch, w, &g_alone);
  // Against this target only the offsets remain with the repulsion: |dE| / N = 0.2 / 9, |dF| = 0.05.
  EXPECT_NEAR(a.energy_abs, 0.2 / 9, 1e-10);
  EXPECT_NEAR(a.force_abs, 0.05 * 9, 1e-9);
  EXPECT_GT(b.energy_abs, 0.05);  // the network alone misses the repulsion
  // Gradient: finite differences of the loss with the repulsion on.
  const std::string name = "head.0.weight";
  for (size_t k : {size_t(0), size_t(5)}) {
    const double fd = loss_fd(m, batch, w, name, k);
    EXPECT_NEAR(g_with.at(name)[k], fd, 1e-5 * std::max(1.0, std::fabs(fd)));
  }
}
