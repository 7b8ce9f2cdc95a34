// GFN-FF (libxtb) Langevin dynamics for sampling training configurations.
#include <unistd.h>
#include <xtb.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "painn/error.h"
#include "painn/model.h"
#include "painn/teacher.h"

namespace painn {

namespace fs = std::filesystem;

struct GfnffModel::Impl {
  xtb_TEnvironment env = nullptr;
  xtb_TMolecule mol = nullptr;
  xtb_TCalculator calc = nullptr;
  xtb_TResults res = nullptr;
  int n = 0;
  fs::path dir, previous;
};

GfnffModel::GfnffModel(const System& s, double charge) : impl_(new Impl) {
  Impl& m = *impl_;
  m.n = static_cast<int>(s.positions.size());
  // Private scratch directory: libxtb reads a stale gfnff_topo of another molecule otherwise.
  m.previous = fs::current_path();
  m.dir = fs::temp_directory_path() / ("painn-gfnff-" + std::to_string(getpid()));
  fs::remove_all(m.dir);
  fs::create_directories(m.dir);
  fs::current_path(m.dir);
  std::vector<double> xyz(3 * m.n);
  for (int i = 0; i < m.n; ++i)
    for (int c = 0; c < 3; ++c) xyz[3 * i + c] = s.positions[i][c] / kBohrInAngstrom;
  const int uhf = 0;
  m.env = xtb_newEnvironment();
  xtb_setVerbosity(m.env, XTB_VERBOSITY_MUTED);
  m.mol = xtb_newMolecule(m.env, &m.n, s.atomic_numbers.data(), xyz.data(), &charge, &uhf, nullptr, nullptr);
  m.calc = xtb_newCalculator();
  m.res = xtb_newResults();
  xtb_loadGFNFF(m.env, m.mol, m.calc, nullptr);
  if (xtb_checkEnvironment(m.env)) throw Error("GFN-FF set-up failed");
}

GfnffModel::~GfnffModel() {
  Impl& m = *impl_;
  xtb_delResults(&m.res);
  xtb_delCalculator(&m.calc);
  xtb_delMolecule(&m.mol);
  xtb_delEnvironment(&m.env);
  std::error_code ec;
  fs::current_path(m.previous, ec);
  fs::remove_all(m.dir, ec);
  delete impl_;
}

Label GfnffModel::compute(const std::vector<std::array<double, 3>>& positions) {
  Impl& m = *impl_;
  std::vector<double> xyz(3 * m.n), grad(3 * m.n);
  for (int i = 0; i < m.n; ++i)
    for (int c = 0; c < 3; ++c) xyz[3 * i + c] = positions[i][c] / kBohrInAngstrom;
  Label out;
  xtb_updateMolecule(m.env, m.mol, xyz.data(), nullptr);
  xtb_singlepoint(m.env, m.mol, m.calc, m.res);
  if (xtb_checkEnvironment(m.env)) {
    out.error = "GFN-FF single point failed";
    return out;
  }
  double e = 0;
  xtb_getEnergy(m.env, m.res, &e);
  xtb_getGradient(m.env, m.res, grad.data());
  out.ok = std::isfinite(e);
  out.energy = e * kHartreeInEV;
  out.forces.resize(m.n);
  for (int i = 0; i < m.n; ++i)
    for (int c = 0; c < 3; ++c) out.forces[i][c] = -grad[3 * i + c] * kHartreeInEV / kBohrInAngstrom;
  return out;
}

std::vector<System> sample_md_gfnff(const System& start, const SampleOptions& o) {
  // Units: A, fs, amu, eV. a = F/m in A/fs^2 needs F (eV/A) / m (amu) * 1e-4 * 96.485...:
  // 1 eV/(A amu) = 9.64853321e-3 A/fs^2.  kT in eV with kB = 8.617333262e-5 eV/K.
  constexpr double kAccel = 9.64853321233e-3, kB = 8.617333262e-5;
  const int n = static_cast<int>(start.positions.size());
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  GfnffModel ff(start);
  std::vector<double> mass(n);
  for (int i = 0; i < n; ++i) mass[i] = standard_atomic_mass(start.atomic_numbers[i]);
  std::vector<std::array<double, 3>> x = start.positions, v(n), f;
  const double kT = kB * o.temperature;
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) v[i][c] = std::sqrt(kT * kAccel / mass[i]) * gauss(rng);  // A/fs
  Label lab = ff.compute(x);
  if (!lab.ok) throw Error(lab.error);
  f = lab.forces;
  const double dt = o.dt_fs, gamma = o.friction_per_ps * 1e-3;
  const double c1 = std::exp(-gamma * dt);
  std::vector<System> frames;
  const int total = o.equilibration_steps + o.interval * o.frames;
  for (int step = 1; step <= total; ++step) {
    // BAOAB: half kick, half drift, Ornstein-Uhlenbeck, half drift, force, half kick
    for (int i = 0; i < n; ++i) {
      const double s = std::sqrt((1 - c1 * c1) * kT * kAccel / mass[i]);
      for (int c = 0; c < 3; ++c) {
        v[i][c] += 0.5 * dt * kAccel * f[i][c] / mass[i];
        x[i][c] += 0.5 * dt * v[i][c];
        v[i][c] = c1 * v[i][c] + s * gauss(rng);
        x[i][c] += 0.5 * dt * v[i][c];
      }
    }
    lab = ff.compute(x);
    if (!lab.ok) throw Error(lab.error + " at MD step " + std::to_string(step));
    f = lab.forces;
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) v[i][c] += 0.5 * dt * kAccel * f[i][c] / mass[i];
    if (step > o.equilibration_steps && (step - o.equilibration_steps) % o.interval == 0) {
      System s = start;
      s.positions = x;
      if (o.displacement > 0 && frames.size() % 2 == 1)
        for (auto& p : s.positions)
          for (double& c : p) c += o.displacement * gauss(rng);
      frames.push_back(std::move(s));
    }
  }
  return frames;
}

}  // namespace painn
