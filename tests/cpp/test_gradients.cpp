// Parameter gradients of the energy and of the force-matching loss against finite differences
// of the parameters themselves (fp64).
#include <gtest/gtest.h>

#include <random>

#include "finite_differences.h"
#include "painn/loss.h"

using namespace painn;
using namespace painn::test;

namespace {
// A few entries of every tensor, chosen at random.
std::vector<std::pair<std::string, size_t>> probe_entries(const Model& m, int per_tensor, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::string, size_t>> out;
  for (const auto& [name, t] : m.params)
    for (int k = 0; k < per_tensor; ++k) out.push_back({name, rng() % t.data.size()});
  return out;
}

Sample make_sample(const System& s, const Model& teacher) {
  Sample smp;
  smp.system = s;
  const Result r = Calculator(teacher, Precision::fp64, 1).compute(s);
  smp.energy = r.energy + 0.3;
  smp.forces = r.forces;
  return smp;
}
}  // namespace

TEST(ParameterGradient, EnergyMatchesFiniteDifferences) {
  Model m = small_model("ultratiny", 40);
  m.config.shared_filters = false;
  for (const System& s : {random_cluster(9, 4.0, 41), random_periodic(10, triclinic_cell(5, 5.5, 6), 42)}) {
    Request req;
    req.parameter_gradient = true;
    const Result r = Calculator(m, Precision::fp64, 2).compute(s, req);
    for (const auto& [name, k] : probe_entries(m, 3, 43)) {
      const double h = 1e-5;
      Model mp = m, mm = m;
      mp.params[name].data[k] += h;
      mm.params[name].data[k] -= h;
      const double fd = (Calculator(mp, Precision::fp64, 1).compute(s, {false}).energy -
                         Calculator(mm, Precision::fp64, 1).compute(s, {false}).energy) / (2 * h);
      const double an = r.parameter_gradient.at(name)[k];
      EXPECT_NEAR(an, fd, 1e-6 * std::max(1.0, std::fabs(fd))) << name << "[" << k << "]";
    }
  }
}

TEST(ParameterGradient, ForceLossMatchesFiniteDifferences) {
  const Model teacher = small_model("ultratiny", 50);
  ModelConfig c = teacher.config;
  c.shared_filters = true;  // exercise the summed shared-filter gradient too
  const Model m = Model::random(c, 51);
  const std::vector<Sample> samples = {make_sample(random_cluster(8, 4.0, 52), teacher),
                                       make_sample(random_periodic(9, triclinic_cell(5, 5, 5.5), 53), teacher)};
  std::vector<const Sample*> batch = {&samples[0], &samples[1]};
  const LossWeights w{1.0, 10.0};
  // One calculator: both structures in one graph (per-structure energy weights); two: one each.
  for (int n_calcs : {1, 2}) {
    std::vector<Calculator> calcs;
    for (int k = 0; k < n_calcs; ++k) calcs.emplace_back(m, Precision::fp64, 1);
    Gradient grad;
    const BatchStats st = batch_loss(calcs, batch, w, &grad);
    ASSERT_GT(st.loss, 0);
    for (const auto& [name, k] : probe_entries(m, 2, 54)) {
      const double fd = loss_fd(m, batch, w, name, k);
      EXPECT_NEAR(grad.at(name)[k], fd, 1e-5 * std::max(1.0, std::fabs(fd)))
          << name << "[" << k << "] with " << n_calcs << " calculators";
    }
  }
}

// Large systems do not keep the edge filters between the passes (the reverse pass recomputes them
// per atom); the two code paths must give the same forces, virial and training gradient.
TEST(FilterCache, RecomputedFiltersGiveTheSameResults) {
  const Model m = small_model("ultratiny", 60);
  const System s = random_periodic(12, triclinic_cell(5, 5.5, 6), 61);
  Calculator cached(m, Precision::fp64, 1), recomputed(m, Precision::fp64, 1);
  recomputed.set_filter_cache_bytes(0);
  Request req;
  req.keep_for_training = true;
  const Result a = cached.compute(s, req), b = recomputed.compute(s, req);
  EXPECT_NEAR(a.energy, b.energy, 1e-12 * std::fabs(a.energy));
  const double f_scale = max_abs(a.forces);
  for (size_t i = 0; i < a.forces.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.forces[i][c], b.forces[i][c], 1e-12 * f_scale);
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(a.virial[k], b.virial[k], 1e-12 * f_scale * 10);
  // training gradient with an energy weight and a displacement
  std::vector<std::array<double, 3>> t(s.positions.size());
  for (size_t i = 0; i < t.size(); ++i) t[i] = {0.1 * i, -0.2, 0.05 * (i % 3)};
  const std::vector<double> weight(t.size(), 0.7);
  const Gradient ga = cached.training_gradient(weight, t), gb = recomputed.training_gradient(weight, t);
  for (const auto& [name, va] : ga) {
    const auto& vb = gb.at(name);
    double scale = 0;
    for (double x : va) scale = std::max(scale, std::fabs(x));
    for (size_t k = 0; k < va.size(); ++k) EXPECT_NEAR(va[k], vb[k], 1e-11 * std::max(scale, 1e-8)) << name << "[" << k << "]";
  }
}
