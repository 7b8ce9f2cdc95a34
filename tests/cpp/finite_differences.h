// Finite-difference checks shared by the C++ tests: forces against the energy (five-point
// stencil) and the training loss's parameter gradient against the loss (central difference).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "fixtures.h"
#include "painn/loss.h"

namespace painn::test {

// Every force component against -dE/dx; the worst error relative to the largest force.
inline void check_forces_fd(const Model& m, const System& s0, double rel_tol, double h = 1e-4) {
  Calculator calc(m, Precision::fp64, 2);
  const Result r = calc.compute(s0);
  // five-point stencil: truncation O(h^4), round-off ~1e-16 |E| / h
  const double scale = max_abs(r.forces);
  ASSERT_GT(scale, 1e-3);
  double worst = 0;
  for (size_t i = 0; i < s0.positions.size(); ++i)
    for (int c = 0; c < 3; ++c) {
      auto energy_at = [&](double dx) {
        System t = s0;
        t.positions[i][c] += dx;
        return calc.compute(t, {false}).energy;
      };
      const double fd = -(8 * (energy_at(h) - energy_at(-h)) - (energy_at(2 * h) - energy_at(-2 * h))) / (12 * h);
      worst = std::max(worst, std::fabs(fd - r.forces[i][c]) / scale);
    }
  EXPECT_LT(worst, rel_tol);
}

// d(loss)/d(parameter k of tensor name) by central differences of batch_loss (one calculator).
inline double loss_fd(const Model& m, const std::vector<const Sample*>& batch, const LossWeights& w,
                      const std::string& name, size_t k, double h = 1e-5) {
  auto loss_at = [&](double dx) {
    Model mp = m;
    mp.params[name].data[k] += dx;
    std::vector<Calculator> cs;
    cs.emplace_back(mp, Precision::fp64, 1);
    return batch_loss(cs, batch, w, nullptr).loss;
  };
  return (loss_at(h) - loss_at(-h)) / (2 * h);
}

// The training gradient of `m` (energy and force loss, weights 1 and 10) on `systems` labelled by
// `teacher` (energies offset by 0.3 eV, so that the loss is not zero), against loss_fd for
// `probes` random entries of each named tensor.
inline void check_training_gradient_fd(const Model& m, const Model& teacher, const std::vector<System>& systems,
                                       const std::vector<std::string>& names, uint64_t seed, int probes = 3) {
  std::vector<Sample> samples(systems.size());
  std::vector<const Sample*> batch;
  for (size_t k = 0; k < systems.size(); ++k) {
    samples[k].system = systems[k];
    const Result r = Calculator(teacher, Precision::fp64, 1).compute(systems[k]);
    samples[k].energy = r.energy + 0.3;
    samples[k].forces = r.forces;
    batch.push_back(&samples[k]);
  }
  const LossWeights w{1.0, 10.0};
  std::vector<Calculator> calcs;
  calcs.emplace_back(m, Precision::fp64, 1);
  Gradient grad;
  ASSERT_GT(batch_loss(calcs, batch, w, &grad).loss, 0);
  std::mt19937_64 rng(seed);
  for (const std::string& name : names) {
    for (int probe = 0; probe < probes; ++probe) {
      const size_t k = rng() % m.params.at(name).data.size();
      const double fd = loss_fd(m, batch, w, name, k);
      EXPECT_NEAR(grad.at(name)[k], fd, 1e-5 * std::max(1.0, std::fabs(fd))) << name << "[" << k << "]";
    }
  }
}

}  // namespace painn::test
