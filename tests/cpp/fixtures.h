// Structures and models shared by the C++ tests.
#pragma once
#include <cmath>
#include <random>
#include <string>

#include "painn/calculator.h"
#include "painn/error.h"
#include "painn/model.h"
#include "painn/repulsion.h"

namespace painn::test {

// The message of the painn::Error that f throws, or "<no error>".
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

#define EXPECT_ERROR(call, text) \
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, text, ::painn::test::error_of([&] { call; }))

// Random organic-looking cluster: atoms placed with a minimum separation.
inline System random_cluster(int n, double box, uint64_t seed, double min_sep = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, box);
  const int zs[4] = {1, 6, 7, 8};
  System s;
  while (static_cast<int>(s.positions.size()) < n) {
    std::array<double, 3> p{u(rng), u(rng), u(rng)};
    bool ok = true;
    for (const auto& q : s.positions) {
      const double d2 = (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]);
      ok &= d2 > min_sep * min_sep;
    }
    if (ok) {
      s.positions.push_back(p);
      s.atomic_numbers.push_back(zs[s.positions.size() % 4]);
    }
  }
  return s;
}

// Periodic box with a (possibly triclinic) cell; positions fractional-random with min separation.
inline System random_periodic(int n, std::array<std::array<double, 3>, 3> cell, uint64_t seed, double min_sep = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int zs[4] = {1, 6, 7, 8};
  System s;
  s.cell = cell;
  s.pbc = {true, true, true};
  int tries = 0;
  while (static_cast<int>(s.positions.size()) < n && tries++ < 100000) {
    const double f[3] = {u(rng), u(rng), u(rng)};
    std::array<double, 3> p{};
    for (int c = 0; c < 3; ++c) p[c] = f[0] * cell[0][c] + f[1] * cell[1][c] + f[2] * cell[2][c];
    // minimum-image check over the 27 neighbouring images (enough for the cells used in tests)
    bool ok = true;
    for (const auto& q : s.positions)
      for (int a = -1; a <= 1 && ok; ++a)
        for (int b = -1; b <= 1 && ok; ++b)
          for (int c = -1; c <= 1 && ok; ++c) {
            double d2 = 0;
            for (int k = 0; k < 3; ++k) {
              const double dk = p[k] - q[k] + a * cell[0][k] + b * cell[1][k] + c * cell[2][k];
              d2 += dk * dk;
            }
            ok = d2 > min_sep * min_sep;
          }
    if (ok) {
      s.positions.push_back(p);
      s.atomic_numbers.push_back(zs[s.positions.size() % 4]);
    }
  }
  return s;
}

inline std::array<std::array<double, 3>, 3> triclinic_cell(double a, double b, double c) {
  return {{{a, 0.0, 0.0}, {0.3 * b, 0.95 * b, 0.0}, {-0.2 * c, 0.25 * c, 0.9 * c}}};
}

inline Model small_model(const std::string& preset_name = "ultratiny", uint64_t seed = 3,
                         RadialBasis basis = RadialBasis::bessel) {
  ModelConfig c = preset(preset_name, {1, 6, 7, 8});
  c.basis = basis;
  c.reference_energy = {-13.6, -1029.5, -1485.3, -2042.6};
  return Model::random(c, seed);
}

// small_model with the ZBL repulsion: covalent radii, pair cutoffs scale * (r_i + r_j). Its
// network is small_model's (Model::random calibrates the network alone).
inline Model small_zbl_model(const std::string& preset_name = "ultratiny", uint64_t seed = 3, double scale = 1.0) {
  ModelConfig c = preset(preset_name, {1, 6, 7, 8});
  c.reference_energy = {-13.6, -1029.5, -1485.3, -2042.6};
  use_zbl_repulsion(c, scale);
  return Model::random(c, seed);
}

inline double max_abs(const std::vector<std::array<double, 3>>& v) {
  double m = 0;
  for (const auto& x : v)
    for (double c : x) m = std::max(m, std::fabs(c));
  return m;
}

}  // namespace painn::test
