// Neighbour list for self-contained evaluation: full list (both directions) of every atom and
// every periodic image within the cutoff, built with a cell list in O(N).
//
// 1. Complete the cell: non-periodic lattice vectors are replaced by unit vectors orthogonal to
//    the periodic ones, so fractional coordinates along periodic directions are well defined.
// 2. Wrap positions into the cell along periodic directions (positions may be unwrapped, many
//    boxes away); edge vectors are differences of wrapped positions plus lattice shifts, which
//    equal the unwrapped differences modulo the lattice.
// 3. Along periodic direction d, images up to ceil(rc / h_d) cells away can be in range
//    (h_d = spacing of the lattice planes); small cells therefore give several images of one atom.
// 4. Images inside the atoms' bounding box grown by rc are binned in cells of side >= rc; each
//    atom looks at the 27 surrounding bins.
#include <Eigen/Dense>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "painn/calculator.h"
#include "painn/error.h"

namespace painn {

namespace {

constexpr double kMaxCoordinate = 1e8;   // A; beyond it double positions resolve distances worse than 1e-8 A
constexpr int64_t kMaxBinsPerDim = int64_t{1} << 20;

using Vec3 = Eigen::Vector3d;

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

Eigen::Matrix3d completed_cell(const System& s) {
  Eigen::Matrix3d B;  // rows are lattice vectors
  std::vector<Vec3> periodic;
  for (int d = 0; d < 3; ++d) {
    const Vec3 v(s.cell[d][0], s.cell[d][1], s.cell[d][2]);
    if (!v.allFinite()) throw Error("cell vector " + std::to_string(d) + " is not finite");
    if (s.pbc[d]) {
      if (v.norm() < 1e-6) throw Error("cell vector " + std::to_string(d) + " is zero but the direction is periodic");
      periodic.push_back(v);
    }
  }
  // Orthonormal completion vectors, orthogonal to every periodic vector.
  std::vector<Vec3> extra;
  if (periodic.size() == 2) {
    extra.push_back(periodic[0].cross(periodic[1]).normalized());
  } else if (periodic.size() == 1) {
    const Vec3 a = periodic[0].normalized();
    Vec3 trial = std::fabs(a.x()) < 0.9 ? Vec3::UnitX() : Vec3::UnitY();
    const Vec3 n1 = (trial - trial.dot(a) * a).normalized();
    extra.push_back(n1);
    extra.push_back(a.cross(n1).normalized());
  } else if (periodic.empty()) {
    extra = {Vec3::UnitX(), Vec3::UnitY(), Vec3::UnitZ()};
  }
  size_t p = 0, x = 0;
  for (int d = 0; d < 3; ++d) B.row(d) = s.pbc[d] ? periodic[p++] : extra[x++];
  const double vol = std::fabs(B.determinant());
  if (!(vol > 1e-9 * B.row(0).norm() * B.row(1).norm() * B.row(2).norm()))
    throw Error("cell is degenerate (its periodic vectors are linearly dependent)");
  return B;
}

}  // namespace

Graph build_graph(const System& s, const Model& model, double rc) {
  const int N = static_cast<int>(s.positions.size());
  if (static_cast<int>(s.atomic_numbers.size()) != N)
    throw Error("system has " + std::to_string(N) + " positions but " + std::to_string(s.atomic_numbers.size()) +
                " atomic numbers");
  Graph g;
  g.n_local = g.n_nodes = N;
  g.species.resize(N);
  for (int i = 0; i < N; ++i) {
    const int z = s.atomic_numbers[i];
    const int k = model.species_index(z);
    if (k < 0) {
      std::string list;
      for (int zz : model.config.species) list += (list.empty() ? "" : ",") + element_symbol(zz);
      const std::string name = (z >= 1 && z <= 118) ? element_symbol(z) : "Z=" + std::to_string(z);
      throw Error("atom " + std::to_string(i) + " is element " + name + ", which the model does not know (species: " +
                  list + ")");
    }
    g.species[i] = k;
    for (int c = 0; c < 3; ++c) {
      if (!std::isfinite(s.positions[i][c]))
        throw Error("position of atom " + std::to_string(i) + " is NaN or infinite");
      if (std::fabs(s.positions[i][c]) > kMaxCoordinate)
        throw Error("position of atom " + std::to_string(i) + " has a coordinate of " + fmt(s.positions[i][c]) +
                    " A, beyond the limit of 1e8 A (distances there lose their precision)");
    }
  }
  g.offsets.assign(N + 1, 0);
  if (N == 0) return g;
  const double min_distance = min_pair_distance(model.config);  // closer atoms are an input error (graph.h)

  const Eigen::Matrix3d B = completed_cell(s);
  const Eigen::Matrix3d Binv = B.inverse();  // frac (row) = pos (row) * Binv
  std::vector<Vec3> wrapped(N);
  for (int i = 0; i < N; ++i) {
    const Vec3 r(s.positions[i][0], s.positions[i][1], s.positions[i][2]);
    Eigen::RowVector3d f = r.transpose() * Binv;
    for (int d = 0; d < 3; ++d)
      if (s.pbc[d]) f[d] -= std::floor(f[d]);
    wrapped[i] = (f * B).transpose();
  }
  int n_img[3];
  for (int d = 0; d < 3; ++d) {
    const double h = 1.0 / Binv.col(d).norm();  // plane spacing along direction d
    n_img[d] = s.pbc[d] ? static_cast<int>(std::ceil(rc / h)) : 0;
    if (s.pbc[d] && n_img[d] > 50) throw Error("cell is too thin for the cutoff (more than 50 images needed)");
  }
  Vec3 lo = wrapped[0], hi = wrapped[0];
  for (const auto& p : wrapped) { lo = lo.cwiseMin(p); hi = hi.cwiseMax(p); }
  lo.array() -= rc;
  hi.array() += rc;

  // Candidate images inside the grown bounding box: at most 1 per A^3 of the box (plus the atoms).
  const double box_volume = (hi - lo).prod();
  const size_t max_candidates = static_cast<size_t>(std::min(1e9, std::max(1000.0, box_volume))) + static_cast<size_t>(N);
  // Candidate images inside the grown bounding box.
  std::vector<Vec3> cand_pos;
  std::vector<int> cand_atom;
  std::vector<char> cand_home;  // the unshifted image
  for (int a = -n_img[0]; a <= n_img[0]; ++a)
    for (int b = -n_img[1]; b <= n_img[1]; ++b)
      for (int c = -n_img[2]; c <= n_img[2]; ++c) {
        const Vec3 shift = (Eigen::RowVector3d(a, b, c) * B).transpose();
        for (int j = 0; j < N; ++j) {
          const Vec3 p = wrapped[j] + shift;
          if ((p.array() < lo.array()).any() || (p.array() > hi.array()).any()) continue;
          if (cand_pos.size() >= max_candidates)
            throw Error("more than " + std::to_string(max_candidates) + " atoms and periodic images lie within " +
                        fmt(rc) + " A of the atoms (a density above 1 atom/A^3, far beyond any matter: a cell too small "
                        "for its atoms)");
          cand_pos.push_back(p);
          cand_atom.push_back(j);
          cand_home.push_back(a == 0 && b == 0 && c == 0);
        }
      }
  const int M = static_cast<int>(cand_pos.size());

  // Bins of side >= rc, hashed: only occupied bins are stored (memory O(candidates) however far
  // apart the atoms are). At most 2^20 bins per direction (side grows for very sparse systems),
  // so bin coordinates fit a 64-bit key and no cast can overflow (coordinates are bounded).
  const Vec3 ext = hi - lo;
  const double side = std::max(rc, ext.maxCoeff() / static_cast<double>(kMaxBinsPerDim - 1));
  int64_t nb[3];
  for (int d = 0; d < 3; ++d) nb[d] = std::max<int64_t>(1, std::min<int64_t>(kMaxBinsPerDim, static_cast<int64_t>(ext[d] / side)));
  auto bin_of = [&](const Vec3& p, int d) {
    const double x = (p[d] - lo[d]) / side;  // in [0, 2^20]
    const int64_t k = static_cast<int64_t>(std::max(0.0, std::min(x, static_cast<double>(nb[d] - 1))));
    return k;
  };
  auto key_of = [&](int64_t x, int64_t y, int64_t z) { return (x << 42) | (y << 21) | z; };
  std::vector<std::pair<int64_t, int>> keyed(M);
  for (int m = 0; m < M; ++m)
    keyed[m] = {key_of(bin_of(cand_pos[m], 0), bin_of(cand_pos[m], 1), bin_of(cand_pos[m], 2)), m};
  std::sort(keyed.begin(), keyed.end());
  std::vector<int> order(M), bin_start;
  std::unordered_map<int64_t, int> bin_index;  // occupied bin key -> its index in bin_start
  bin_index.reserve(static_cast<size_t>(M));
  for (int k = 0; k < M; ++k) {
    order[k] = keyed[k].second;
    if (k == 0 || keyed[k].first != keyed[k - 1].first) {
      bin_index.emplace(keyed[k].first, static_cast<int>(bin_start.size()));
      bin_start.push_back(k);
    }
  }
  bin_start.push_back(M);
  std::vector<std::pair<int64_t, int>>().swap(keyed);

  // Each atom's neighbours, gathered per thread in contiguous chunks of atoms, then joined in
  // atom order so the list does not depend on the thread count.
  const double rc2 = rc * rc;
  std::vector<int> degree(N, 0);
  std::vector<std::vector<int>> chunk_nbr;
  std::vector<std::vector<std::array<double, 3>>> chunk_vec;
  int close_i = -1, close_j = -1, crowded_i = -1;
  double close_d = 0.0;
  // Neighbours per atom are bounded by a density of 1 atom/A^3 (about 5x the densest solids).
  const int max_degree = static_cast<int>(std::min(1e8, std::max(64.0, 4.0 / 3.0 * M_PI * rc * rc * rc)));
#pragma omp parallel
  {
#pragma omp single
    {
      chunk_nbr.resize(omp_get_num_threads());
      chunk_vec.resize(omp_get_num_threads());
    }
    auto& my_nbr = chunk_nbr[omp_get_thread_num()];
    auto& my_vec = chunk_vec[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (int i = 0; i < N; ++i) {
      const Vec3& pi = wrapped[i];
      const int64_t bx = bin_of(pi, 0), by = bin_of(pi, 1), bz = bin_of(pi, 2);
      for (int64_t x = std::max<int64_t>(0, bx - 1); x <= std::min(nb[0] - 1, bx + 1); ++x)
        for (int64_t y = std::max<int64_t>(0, by - 1); y <= std::min(nb[1] - 1, by + 1); ++y)
          for (int64_t z = std::max<int64_t>(0, bz - 1); z <= std::min(nb[2] - 1, bz + 1); ++z) {
            const auto found = bin_index.find(key_of(x, y, z));
            if (found == bin_index.end()) continue;
            const int b = found->second;
            for (int k = bin_start[b]; k < bin_start[b + 1]; ++k) {
              const int m = order[k];
              if (cand_atom[m] == i && cand_home[m]) continue;
              const Vec3 r = cand_pos[m] - pi;
              const double d2 = r.squaredNorm();
              if (d2 >= rc2) continue;
              if (d2 < min_distance * min_distance) {
#pragma omp critical
                if (close_i < 0 || i < close_i) { close_i = i; close_j = cand_atom[m]; close_d = std::sqrt(d2); }
              }
              if (degree[i] >= max_degree) {
#pragma omp critical
                if (crowded_i < 0 || i < crowded_i) crowded_i = i;
                break;
              }
              my_nbr.push_back(cand_atom[m]);
              my_vec.push_back({r[0], r[1], r[2]});
              ++degree[i];
            }
          }
    }
  }
  if (close_i >= 0)
    throw Error(close_i == close_j
                    ? "atom " + std::to_string(close_i) + " is " + fmt(close_d) +
                          " A from its own periodic image (closer than " + min_pair_distance_text(model.config) +
                          " A: the cell is too small)"
                    : "atoms " + std::to_string(close_i) + " and " + std::to_string(close_j) + " (or a periodic image) are " +
                          (close_d == 0.0 ? std::string("at the same position") : fmt(close_d) + " A apart") +
                          ", closer than " + min_pair_distance_text(model.config) + " A (overlapping atoms)");
  if (crowded_i >= 0)
    throw Error("atom " + std::to_string(crowded_i) + " has more than " + std::to_string(max_degree) +
                " neighbours within the " + fmt(rc) + " A cutoff (a density above 1 atom/A^3, far beyond any matter: "
                "overlapping atoms or a cell too small for its atoms)");
  for (int i = 0; i < N; ++i) g.offsets[i + 1] = g.offsets[i] + degree[i];
  for (size_t t = 0; t < chunk_nbr.size(); ++t) {
    g.neighbor.insert(g.neighbor.end(), chunk_nbr[t].begin(), chunk_nbr[t].end());
    g.vec.insert(g.vec.end(), chunk_vec[t].begin(), chunk_vec[t].end());
  }
  return g;
}

}  // namespace painn
