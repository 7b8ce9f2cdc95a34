// Physical invariants: symmetry, periodic images, supercells, smoothness at the cutoff,
// precision, and the ghost-node entry point against the self-contained one.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.h"

using namespace painn;
using namespace painn::test;

namespace {
using M3 = std::array<std::array<double, 3>, 3>;

M3 rotation(double ax, double ay, double az) {
  const double cx = std::cos(ax), sx = std::sin(ax), cy = std::cos(ay), sy = std::sin(ay), cz = std::cos(az),
               sz = std::sin(az);
  const M3 Rx = {{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}}, Ry = {{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}},
           Rz = {{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  auto mul = [](const M3& A, const M3& B) {
    M3 C{};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 3; ++k) C[i][j] += A[i][k] * B[k][j];
    return C;
  };
  return mul(Rz, mul(Ry, Rx));
}

std::array<double, 3> rotate(const M3& R, const std::array<double, 3>& v) {
  std::array<double, 3> o{};
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k) o[i] += R[i][k] * v[k];
  return o;
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(1.0, std::fabs(b)); }
}  // namespace

TEST(Invariance, RotationTranslationPermutationMolecule) {
  const Model m = small_model("efficient", 8);
  Calculator calc(m, Precision::fp64, 1);
  const System s = random_cluster(15, 5.0, 21);
  const Result r0 = calc.compute(s);
  const M3 R = rotation(0.3, -1.1, 2.0);
  System rot = s;
  for (auto& p : rot.positions) {
    p = rotate(R, p);
    p[0] += 17.3;
    p[1] -= 4.2;
    p[2] += 100.0;
  }
  const Result r1 = calc.compute(rot);
  EXPECT_LT(rel(r1.energy, r0.energy), 1e-12);
  for (size_t i = 0; i < s.positions.size(); ++i) {
    const auto f = rotate(R, r0.forces[i]);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(r1.forces[i][c], f[c], 1e-10 * max_abs(r0.forces));
  }
  // Permutation: reverse the atom order.
  System perm = s;
  std::reverse(perm.positions.begin(), perm.positions.end());
  std::reverse(perm.atomic_numbers.begin(), perm.atomic_numbers.end());
  const Result r2 = calc.compute(perm);
  EXPECT_LT(rel(r2.energy, r0.energy), 1e-12);
  const size_t n = s.positions.size();
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(r2.forces[n - 1 - i][c], r0.forces[i][c], 1e-10 * max_abs(r0.forces));
}

TEST(Invariance, RotatedPeriodicCell) {
  const Model m = small_model("ultratiny", 9);
  Calculator calc(m, Precision::fp64, 1);
  const System s = random_periodic(20, triclinic_cell(7.0, 7.2, 7.4), 22);
  const Result r0 = calc.compute(s);
  const M3 R = rotation(1.0, 0.4, -0.7);
  System rot = s;
  for (auto& p : rot.positions) p = rotate(R, p);
  for (auto& row : rot.cell) row = rotate(R, row);
  EXPECT_LT(rel(calc.compute(rot).energy, r0.energy), 1e-12);
}

TEST(Invariance, UnwrappedPositionsManyBoxesAway) {
  const Model m = small_model("ultratiny", 10);
  Calculator calc(m, Precision::fp64, 1);
  const System s = random_periodic(20, triclinic_cell(6.5, 7.0, 7.5), 23);
  const Result r0 = calc.compute(s);
  System far = s;
  for (size_t i = 0; i < far.positions.size(); ++i) {
    const int na = static_cast<int>(i % 7) - 3, nb = 40 * (i % 2 ? 1 : -1), nc = static_cast<int>(i) - 10;
    for (int c = 0; c < 3; ++c) far.positions[i][c] += na * s.cell[0][c] + nb * s.cell[1][c] + nc * s.cell[2][c];
  }
  const Result r1 = calc.compute(far);
  EXPECT_LT(rel(r1.energy, r0.energy), 1e-11);
  for (size_t i = 0; i < s.positions.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(r1.forces[i][c], r0.forces[i][c], 1e-9 * max_abs(r0.forces));
}

TEST(Invariance, SupercellEnergyIsExtensive) {
  const Model m = small_model("ultratiny", 12);
  Calculator calc(m, Precision::fp64, 2);
  const System s = random_periodic(8, triclinic_cell(4.0, 4.3, 4.6), 24, 1.1);  // cell < cutoff
  const Result r1 = calc.compute(s);
  System big;
  big.pbc = s.pbc;
  for (int d = 0; d < 3; ++d)
    for (int c = 0; c < 3; ++c) big.cell[d][c] = 2 * s.cell[d][c];
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int cc = 0; cc < 2; ++cc)
        for (size_t i = 0; i < s.positions.size(); ++i) {
          auto p = s.positions[i];
          for (int c = 0; c < 3; ++c) p[c] += a * s.cell[0][c] + b * s.cell[1][c] + cc * s.cell[2][c];
          big.positions.push_back(p);
          big.atomic_numbers.push_back(s.atomic_numbers[i]);
        }
  const Result r8 = calc.compute(big);
  EXPECT_LT(rel(r8.energy, 8 * r1.energy), 1e-12);
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(r8.virial[k], 8 * r1.virial[k], 1e-9 * std::max(1.0, std::fabs(r1.virial[k])));
  for (size_t i = 0; i < s.positions.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(r8.forces[i][c], r1.forces[i][c], 1e-10 * max_abs(r1.forces));
}

TEST(Invariance, EnergySmoothAcrossTheCutoff) {
  // Two atoms: beyond rc they do not interact, so E(rc + delta) is the isolated-atom sum, and
  // the cosine cutoff makes E(rc - delta) approach it quadratically and the force linearly.
  const Model m = small_model("tiny", 13);
  Calculator calc(m, Precision::fp64, 1);
  const double rc = m.config.cutoff;
  auto at = [&](double d) {
    System t;
    t.positions = {{0, 0, 0}, {d * 0.6, d * 0.8, 0}};
    t.atomic_numbers = {6, 8};
    return calc.compute(t);
  };
  const double e_far = at(rc + 1e-9).energy;
  EXPECT_EQ(at(rc + 1e-3).energy, e_far);
  const double gap1 = std::fabs(at(rc - 1e-3).energy - e_far), gap2 = std::fabs(at(rc - 1e-4).energy - e_far);
  EXPECT_LT(gap2, 1e-6);
  EXPECT_LT(gap2, gap1 / 50);  // quadratic approach: a factor ~100 for a 10x smaller gap
  EXPECT_LT(max_abs(at(rc - 1e-4).forces), 1e-2);
  EXPECT_LT(max_abs(at(rc - 1e-5).forces), max_abs(at(rc - 1e-4).forces) / 5);
}

TEST(Precision, Fp32MatchesFp64) {
  const Model m = small_model("compact", 14);
  Calculator c64(m, Precision::fp64, 2), c32(m, Precision::fp32, 2);
  for (const System& s : {random_cluster(20, 6.0, 31), random_periodic(24, triclinic_cell(7, 7, 7), 32)}) {
    const Result a = c64.compute(s), b = c32.compute(s);
    const double scale = max_abs(a.forces);
    double worst = 0;
    for (size_t i = 0; i < s.positions.size(); ++i)
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::fabs(a.forces[i][c] - b.forces[i][c]) / scale);
    EXPECT_LT(worst, 1e-5);
    EXPECT_LT(std::fabs(a.energy - b.energy) / std::max(1.0, std::fabs(a.energy)), 1e-5);
  }
}

TEST(Precision, Fp16AndInt8FilesLoadAndEvaluate) {
  const Model m = small_model("efficient", 15);
  const System s = random_cluster(18, 5.5, 33);
  const Result ref = Calculator(m, Precision::fp64, 1).compute(s);
  for (WeightDtype d : {WeightDtype::f64, WeightDtype::f32, WeightDtype::f16, WeightDtype::i8}) {
    const Model q = Model::from_bytes(m.to_bytes(d), "quantized");
    EXPECT_EQ(q.stored_dtype, d);
    for (Precision p : {Precision::fp64, Precision::fp32}) {
      const Result r = Calculator(q, p, 1).compute(s);
      double err = 0;
      for (size_t i = 0; i < s.positions.size(); ++i)
        for (int c = 0; c < 3; ++c) err = std::max(err, std::fabs(r.forces[i][c] - ref.forces[i][c]));
      const double tol = d == WeightDtype::i8 ? 0.15 : d == WeightDtype::f16 ? 0.02 : 1e-4;
      EXPECT_LT(err / max_abs(ref.forces), tol) << to_string(d) << " " << to_string(p);
      EXPECT_TRUE(std::isfinite(r.energy));
    }
  }
  // fp64 round trip is exact
  const Model back = Model::from_bytes(m.to_bytes(WeightDtype::f64), "f64");
  EXPECT_EQ(Calculator(back, Precision::fp64, 1).compute(s).energy, ref.energy);
}

TEST(Threads, ResultIndependentOfThreadCount) {
  const Model m = small_model("ultratiny", 16);
  const System s = random_periodic(60, triclinic_cell(9, 9, 9), 34);
  const Result a = Calculator(m, Precision::fp64, 1).compute(s), b = Calculator(m, Precision::fp64, 2).compute(s);
  EXPECT_NEAR(a.energy, b.energy, 1e-12 * std::fabs(a.energy));
  for (size_t i = 0; i < s.positions.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.forces[i][c], b.forces[i][c], 1e-12 * max_abs(a.forces));
}

// ---- the ghost-node entry point, with an in-process exchange --------------------------------

namespace {
// Ghosts are periodic images of the local atoms; owner[g - n_local] is the local atom they copy.
struct ImageExchange : GhostExchange {
  int n_local;
  std::vector<int> owner;
  template <typename T>
  void fwd(T* q, T* mu, int H) {
    for (size_t g = 0; g < owner.size(); ++g) {
      std::copy(q + owner[g] * H, q + (owner[g] + 1) * H, q + (n_local + g) * H);
      std::copy(mu + 3 * owner[g] * H, mu + 3 * (owner[g] + 1) * H, mu + 3 * (n_local + g) * H);
    }
  }
  template <typename T>
  void rev(T* q, T* mu, int H) {
    for (size_t g = 0; g < owner.size(); ++g) {
      for (int h = 0; h < H; ++h) {
        q[owner[g] * H + h] += q[(n_local + g) * H + h];
        q[(n_local + g) * H + h] = 0;
      }
      for (int h = 0; h < 3 * H; ++h) {
        mu[3 * owner[g] * H + h] += mu[3 * (n_local + g) * H + h];
        mu[3 * (n_local + g) * H + h] = 0;
      }
    }
  }
  void forward(double* q, double* mu, int H) override { fwd(q, mu, H); }
  void forward(float* q, float* mu, int H) override { fwd(q, mu, H); }
  void reverse(double* q, double* mu, int H) override { rev(q, mu, H); }
  void reverse(float* q, float* mu, int H) override { rev(q, mu, H); }
};

// The ghost-node entry point on local atoms + their images against compute(System).
void check_ghost_graph(const Model& m, const System& s) {
  const double rc = m.config.cutoff;
  // Nodes: local atoms, then every image (in a 3x3x3 block) within rc of the cell's atoms.
  const int n = static_cast<int>(s.positions.size());
  std::vector<std::array<double, 3>> pos = s.positions;
  ImageExchange ex;
  ex.n_local = n;
  Graph g;
  g.n_local = n;
  for (int i = 0; i < n; ++i) g.species.push_back(m.species_index(s.atomic_numbers[i]));
  for (int a = -1; a <= 1; ++a)
    for (int b = -1; b <= 1; ++b)
      for (int c = -1; c <= 1; ++c) {
        if (!a && !b && !c) continue;
        for (int j = 0; j < n; ++j) {
          std::array<double, 3> p{};
          for (int k = 0; k < 3; ++k) p[k] = s.positions[j][k] + a * s.cell[0][k] + b * s.cell[1][k] + c * s.cell[2][k];
          bool near = false;
          for (int i = 0; i < n && !near; ++i) {
            double d2 = 0;
            for (int k = 0; k < 3; ++k) d2 += (p[k] - s.positions[i][k]) * (p[k] - s.positions[i][k]);
            near = d2 < rc * rc;
          }
          if (!near) continue;
          pos.push_back(p);
          ex.owner.push_back(j);
          g.species.push_back(g.species[j]);
        }
      }
  g.n_nodes = static_cast<int>(pos.size());
  g.offsets.push_back(0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < g.n_nodes; ++j) {
      if (j == i) continue;
      std::array<double, 3> r{};
      double d2 = 0;
      for (int k = 0; k < 3; ++k) { r[k] = pos[j][k] - pos[i][k]; d2 += r[k] * r[k]; }
      if (d2 < rc * rc) { g.neighbor.push_back(j); g.vec.push_back(r); }
    }
    g.offsets.push_back(static_cast<int64_t>(g.neighbor.size()));
  }
  Calculator calc(m, Precision::fp64, 2);
  const Result ref = calc.compute(s);
  Request req;
  req.per_atom_energy = true;
  req.per_atom_virial = true;
  const Result r = calc.compute(g, req, &ex);
  EXPECT_NEAR(r.energy, ref.energy, 1e-10 * std::fabs(ref.energy));
  // Owner force = own force + forces on its ghost copies (what a host's reverse comm does).
  std::vector<std::array<double, 3>> f(r.forces.begin(), r.forces.begin() + n);
  for (size_t gh = 0; gh < ex.owner.size(); ++gh)
    for (int c = 0; c < 3; ++c) f[ex.owner[gh]][c] += r.forces[n + gh][c];
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(f[i][c], ref.forces[i][c], 1e-10 * max_abs(ref.forces));
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(r.virial[k], ref.virial[k], 1e-10 * std::max(1.0, std::fabs(ref.virial[k])));
  // Per-atom energies and virials sum to the totals.
  double esum = 0;
  std::array<double, 9> vsum{};
  for (double e : r.atom_energy) esum += e;
  for (const auto& v : r.atom_virial)
    for (int k = 0; k < 9; ++k) vsum[k] += v[k];
  EXPECT_NEAR(esum, r.energy, 1e-10 * std::fabs(r.energy));
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(vsum[k], r.virial[k], 1e-10 * std::max(1.0, std::fabs(r.virial[k])));
}
}  // namespace

TEST(GhostGraph, MatchesSelfContainedPeriodicEvaluation) {
  check_ghost_graph(small_model("tiny", 17), random_periodic(30, triclinic_cell(8, 8.5, 9), 35));
}

TEST(GhostGraph, RepulsionMatchesSelfContainedPeriodicEvaluation) {
  // Close pairs (>= 0.6 A) inside the ZBL pair cutoffs, several of them across the cell faces.
  const Model m = small_zbl_model("tiny", 17);
  const System s = random_periodic(30, triclinic_cell(7, 7.5, 8), 36, 0.6);
  ASSERT_GT(repulsion_only(m, s).energy, 1.0);  // pairs inside their ZBL cutoffs exist
  check_ghost_graph(m, s);
}
