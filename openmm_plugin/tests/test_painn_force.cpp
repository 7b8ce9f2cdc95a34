// PaiNNForce through OpenMM's C++ API: against the core calculator, finite differences,
// Reference vs CPU, periodic images, subsets, force groups, serialization, CustomCVForce,
// parameter updates and error messages.
#include <gtest/gtest.h>
#include <openmm/Context.h>
#include <openmm/CustomCVForce.h>
#include <openmm/CustomExternalForce.h>
#include <openmm/OpenMMException.h>
#include <openmm/Platform.h>
#include <openmm/State.h>
#include <openmm/System.h>
#include <openmm/VerletIntegrator.h>
#include <openmm/serialization/XmlSerializer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "openmmpainn/PaiNNForce.h"
#include "painn/calculator.h"
#include "painn/model.h"

using PaiNNPlugin::PaiNNForce;
using OpenMM::Vec3;

namespace {

constexpr double kEV = 96.48533212331002;  // kJ/mol

// Loads OpenMM's own plugins (CPU platform) once, then ours (kernels on Reference and CPU).
void loadPlugins() {
  static bool done = false;
  if (done) return;
  OpenMM::Platform::loadPluginsFromDirectory(OpenMM::Platform::getDefaultPluginsDirectory());
  OpenMM::Platform::loadPluginLibrary(PAINN_OPENMM_LIBRARY);
  done = true;
}

std::string modelBytes(uint64_t seed) {
  painn::Model m = painn::Model::random(painn::preset("ultratiny", {1, 6, 7, 8}), seed);
  return m.to_bytes(painn::WeightDtype::f64);
}

struct Structure {
  std::vector<int> z;
  std::vector<Vec3> x;  // nm
  std::array<Vec3, 3> box{Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)};  // nm
};

// Random atoms at least 0.1 nm apart in a cube of side `side` nm.
Structure randomStructure(int n, double side, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, side);
  const int zs[] = {1, 6, 7, 8};
  Structure s;
  while (static_cast<int>(s.x.size()) < n) {
    Vec3 p(u(rng), u(rng), u(rng));
    bool ok = true;
    for (const Vec3& q : s.x) ok = ok && std::sqrt((p - q).dot(p - q)) > 0.1;
    if (!ok) continue;
    s.x.push_back(p);
    s.z.push_back(zs[s.z.size() % 4]);
  }
  return s;
}

// A small triclinic periodic box (in OpenMM's reduced form) with 12 atoms: the 0.5 nm cutoff
// reaches several images.
Structure triclinicStructure() {
  Structure s = randomStructure(12, 0.75, 7);
  s.box = {Vec3(0.8, 0, 0), Vec3(0.2, 0.75, 0), Vec3(-0.3, 0.25, 0.85)};
  return s;
}

double massOf(int z) { return painn::standard_atomic_mass(z); }

std::unique_ptr<OpenMM::System> makeSystem(const Structure& s, PaiNNForce* force, int extraParticles = 0) {
  auto system = std::make_unique<OpenMM::System>();
  for (int z : s.z) system->addParticle(massOf(z));
  for (int k = 0; k < extraParticles; ++k) system->addParticle(39.9);
  system->setDefaultPeriodicBoxVectors(s.box[0], s.box[1], s.box[2]);
  if (force) system->addForce(force);
  return system;
}

PaiNNForce* makeForce(const std::string& bytes, const Structure& s, const std::string& precision = "double",
                      bool periodic = false) {
  auto* f = new PaiNNForce();
  f->setModelBytes(bytes);
  f->setAtomicNumbers(s.z);
  f->setPrecision(precision);
  f->setUsesPeriodicBoundaryConditions(periodic);
  return f;
}

struct Eval {
  double energy;
  std::vector<Vec3> forces;
};

Eval evaluate(const OpenMM::System& system, const std::vector<Vec3>& x, const std::string& platform = "Reference",
              int groups = -1, bool forces = true, const std::array<Vec3, 3>* box = nullptr) {
  OpenMM::VerletIntegrator integrator(0.0005);
  OpenMM::Context context(system, integrator, OpenMM::Platform::getPlatformByName(platform));
  if (box) context.setPeriodicBoxVectors((*box)[0], (*box)[1], (*box)[2]);
  context.setPositions(x);
  const int types = OpenMM::State::Energy | (forces ? OpenMM::State::Forces : 0);
  OpenMM::State st = context.getState(types, false, groups);
  return {st.getPotentialEnergy(), forces ? st.getForces() : std::vector<Vec3>()};
}

painn::Result coreResult(const std::string& bytes, const Structure& s, bool periodic) {
  painn::Calculator calc(painn::Model::from_bytes(bytes), painn::Precision::fp64);
  painn::System sys;
  for (size_t i = 0; i < s.x.size(); ++i) sys.positions.push_back({s.x[i][0] * 10, s.x[i][1] * 10, s.x[i][2] * 10});
  sys.atomic_numbers = s.z;
  for (int d = 0; d < 3; ++d)
    for (int c = 0; c < 3; ++c) sys.cell[d][c] = s.box[d][c] * 10;
  sys.pbc = {periodic, periodic, periodic};
  return calc.compute(sys);
}

double maxAbs(const std::vector<Vec3>& f) {
  double m = 0;
  for (const Vec3& v : f)
    for (int c = 0; c < 3; ++c) m = std::max(m, std::fabs(v[c]));
  return m;
}

double maxDiff(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    for (int c = 0; c < 3; ++c) m = std::max(m, std::fabs(a[i][c] - b[i][c]));
  return m;
}

std::string serializeForce(const OpenMM::Force& f) {
  std::stringstream ss;
  OpenMM::XmlSerializer::serialize<OpenMM::Force>(&f, "Force", ss);
  return ss.str();
}

class PaiNNForceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    loadPlugins();
    bytes = new std::string(modelBytes(1));
  }
  static void TearDownTestSuite() { delete bytes; }
  static std::string* bytes;
};
std::string* PaiNNForceTest::bytes = nullptr;

template <typename F>
void expectOpenMMError(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing '" << fragment << "'";
  } catch (const OpenMM::OpenMMException& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST_F(PaiNNForceTest, MatchesCoreCalculatorWithUnitConversion) {
  for (bool periodic : {false, true}) {
    const Structure s = periodic ? triclinicStructure() : randomStructure(15, 0.8, 3);
    auto system = makeSystem(s, makeForce(*bytes, s, "double", periodic));
    const Eval e = evaluate(*system, s.x);
    const painn::Result r = coreResult(*bytes, s, periodic);
    EXPECT_NEAR(e.energy, r.energy * kEV, 1e-12 * std::fabs(r.energy * kEV) + 1e-12);
    for (size_t i = 0; i < s.x.size(); ++i)
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(e.forces[i][c], r.forces[i][c] * kEV * 10, 1e-9) << i << " " << c;
    EXPECT_GT(maxAbs(e.forces), 1.0);  // the model does something
  }
}

TEST_F(PaiNNForceTest, ForcesAreMinusEnergyGradient) {
  for (bool periodic : {false, true}) {
    const Structure s = periodic ? triclinicStructure() : randomStructure(10, 0.7, 4);
    auto system = makeSystem(s, makeForce(*bytes, s, "double", periodic));
    const Eval e = evaluate(*system, s.x);
    const double h = 1e-5;  // nm
    for (int i : {0, 3, 9})
      for (int c = 0; c < 3; ++c) {
        std::vector<Vec3> xp = s.x, xm = s.x;
        xp[i][c] += h;
        xm[i][c] -= h;
        const double fd = -(evaluate(*system, xp, "Reference", -1, false).energy -
                            evaluate(*system, xm, "Reference", -1, false).energy) / (2 * h);
        EXPECT_NEAR(fd, e.forces[i][c], 1e-5 * maxAbs(e.forces)) << "atom " << i << " axis " << c;
      }
  }
}

TEST_F(PaiNNForceTest, EnergyOnlyCallsGiveTheSameEnergy) {
  const Structure s = randomStructure(12, 0.7, 5);
  for (const char* precision : {"single", "double"}) {
    auto system = makeSystem(s, makeForce(*bytes, s, precision));
    EXPECT_EQ(evaluate(*system, s.x, "Reference", -1, true).energy, evaluate(*system, s.x, "Reference", -1, false).energy);
  }
}

TEST_F(PaiNNForceTest, ReferenceAndCpuAreIdentical) {
  for (const char* precision : {"single", "double"})
    for (bool periodic : {false, true}) {
      const Structure s = periodic ? triclinicStructure() : randomStructure(12, 0.7, 6);
      auto system = makeSystem(s, makeForce(*bytes, s, precision, periodic));
      const Eval a = evaluate(*system, s.x, "Reference"), b = evaluate(*system, s.x, "CPU");
      EXPECT_EQ(a.energy, b.energy) << precision << " periodic " << periodic;
      EXPECT_EQ(maxDiff(a.forces, b.forces), 0.0) << precision << " periodic " << periodic;
    }
}

TEST_F(PaiNNForceTest, CpuPlatformThreadCountDoesNotChangeResults) {
  const Structure s = randomStructure(20, 0.9, 8);
  auto system = makeSystem(s, makeForce(*bytes, s, "double"));
  OpenMM::Platform& cpu = OpenMM::Platform::getPlatformByName("CPU");
  std::vector<Eval> results;
  for (const char* threads : {"1", "2", "3"}) {
    OpenMM::VerletIntegrator integrator(0.0005);
    OpenMM::Context context(*system, integrator, cpu, {{"Threads", threads}});
    EXPECT_EQ(cpu.getPropertyValue(context, "Threads"), threads);
    context.setPositions(s.x);
    OpenMM::State st = context.getState(OpenMM::State::Energy | OpenMM::State::Forces);
    results.push_back({st.getPotentialEnergy(), st.getForces()});
  }
  for (const Eval& r : results) {
    EXPECT_NEAR(r.energy, results[0].energy, 1e-12 * std::fabs(results[0].energy));
    EXPECT_LT(maxDiff(r.forces, results[0].forces), 1e-10 * maxAbs(results[0].forces));
  }
}

TEST_F(PaiNNForceTest, PositionsShiftedByBoxVectorsGiveTheSameResult) {
  const Structure s = triclinicStructure();
  auto system = makeSystem(s, makeForce(*bytes, s, "double", true));
  const Eval e0 = evaluate(*system, s.x);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> shift(-6, 6);
  std::vector<Vec3> x = s.x;
  for (Vec3& p : x) p += s.box[0] * shift(rng) + s.box[1] * shift(rng) + s.box[2] * shift(rng);
  const Eval e1 = evaluate(*system, x);
  EXPECT_NEAR(e1.energy, e0.energy, 1e-11 * std::fabs(e0.energy));
  EXPECT_LT(maxDiff(e1.forces, e0.forces), 1e-9 * maxAbs(e0.forces));
}

TEST_F(PaiNNForceTest, BoxChangesInTheContextAreUsed) {
  // A barostat changes the box between steps: the kernel must read it on every call.
  const Structure s = triclinicStructure();
  auto system = makeSystem(s, makeForce(*bytes, s, "double", true));
  Structure scaled = s;
  for (Vec3& v : scaled.box) v *= 1.05;
  for (Vec3& p : scaled.x) p *= 1.05;
  const Eval fresh = evaluate(*makeSystem(scaled, makeForce(*bytes, s, "double", true)), scaled.x);
  OpenMM::VerletIntegrator integrator(0.0005);
  OpenMM::Context context(*system, integrator, OpenMM::Platform::getPlatformByName("Reference"));
  context.setPositions(s.x);
  const double before = context.getState(OpenMM::State::Energy).getPotentialEnergy();
  context.setPeriodicBoxVectors(scaled.box[0], scaled.box[1], scaled.box[2]);
  context.setPositions(scaled.x);
  const double after = context.getState(OpenMM::State::Energy).getPotentialEnergy();
  EXPECT_NE(before, after);
  EXPECT_NEAR(after, fresh.energy, 1e-12 * std::fabs(fresh.energy));
}

TEST_F(PaiNNForceTest, SubsetOnlyListedParticlesFeelTheForce) {
  // ML region: particles 5, 1, 8, 3, 0 (unordered) of a 10-particle system.
  const Structure all = randomStructure(10, 0.6, 9);
  const std::vector<int> subset = {5, 1, 8, 3, 0};
  Structure iso;
  for (int p : subset) {
    iso.x.push_back(all.x[p]);
    iso.z.push_back(all.z[p]);
  }
  auto* f = makeForce(*bytes, iso);
  f->setParticles(subset);
  auto system = makeSystem(all, f);
  const Eval e = evaluate(*system, all.x);
  const Eval ref = evaluate(*makeSystem(iso, makeForce(*bytes, iso)), iso.x);
  EXPECT_NEAR(e.energy, ref.energy, 1e-12 * std::fabs(ref.energy));
  for (int p = 0; p < 10; ++p) {
    const auto it = std::find(subset.begin(), subset.end(), p);
    for (int c = 0; c < 3; ++c) {
      if (it == subset.end())
        EXPECT_EQ(e.forces[p][c], 0.0) << "particle " << p;
      else
        EXPECT_NEAR(e.forces[p][c], ref.forces[it - subset.begin()][c], 1e-10 * maxAbs(ref.forces));
    }
  }
}

TEST_F(PaiNNForceTest, ForcesAreAddedToOtherForces) {
  // The other force comes first and second in the System, on both platforms: the kernel must add.
  const Structure s = randomStructure(8, 0.6, 10);
  const Eval ml = evaluate(*makeSystem(s, makeForce(*bytes, s)), s.x);
  for (bool externalFirst : {true, false})
    for (const char* platform : {"Reference", "CPU"}) {
      auto* ext = new OpenMM::CustomExternalForce("3*x-2*y+z");
      for (int i = 0; i < 8; ++i) ext->addParticle(i, {});
      auto system = makeSystem(s, nullptr);
      if (externalFirst) system->addForce(ext);
      system->addForce(makeForce(*bytes, s));
      if (!externalFirst) system->addForce(ext);
      const Eval both = evaluate(*system, s.x, platform);
      for (int i = 0; i < 8; ++i) {
        EXPECT_NEAR(both.forces[i][0], ml.forces[i][0] - 3, 1e-9) << platform << externalFirst;
        EXPECT_NEAR(both.forces[i][1], ml.forces[i][1] + 2, 1e-9) << platform << externalFirst;
        EXPECT_NEAR(both.forces[i][2], ml.forces[i][2] - 1, 1e-9) << platform << externalFirst;
      }
    }
}

TEST_F(PaiNNForceTest, ForceGroupsAreHonoured) {
  const Structure s = randomStructure(8, 0.6, 12);
  auto* f = makeForce(*bytes, s);
  f->setForceGroup(3);
  auto system = makeSystem(s, f);
  const Eval on = evaluate(*system, s.x, "Reference", 1 << 3);
  const Eval off = evaluate(*system, s.x, "Reference", ~(1 << 3));
  EXPECT_NE(on.energy, 0.0);
  EXPECT_EQ(off.energy, 0.0);
  EXPECT_EQ(maxAbs(off.forces), 0.0);
  EXPECT_EQ(evaluate(*system, s.x, "CPU", ~(1 << 3)).energy, 0.0);
}

TEST_F(PaiNNForceTest, ElementsInferredFromMasses) {
  const Structure s = randomStructure(8, 0.6, 13);
  auto* f = makeForce(*bytes, s);
  const Eval given = evaluate(*makeSystem(s, f), s.x);
  auto* g = makeForce(*bytes, s);
  g->setAtomicNumbers({});
  const Eval inferred = evaluate(*makeSystem(s, g), s.x);
  EXPECT_EQ(given.energy, inferred.energy);
}

TEST_F(PaiNNForceTest, XmlRoundTripIsExact) {
  const Structure s = randomStructure(8, 0.6, 14);
  auto* f = makeForce(*bytes, s, "single", true);
  f->setParticles({0, 1, 2, 3, 4, 5, 6, 7});
  f->setForceGroup(5);
  f->setName("ml");
  f->setNumThreads(2);
  const std::string xml = serializeForce(*f);
  std::stringstream in(xml);
  std::unique_ptr<OpenMM::Force> back(OpenMM::XmlSerializer::deserialize<OpenMM::Force>(in));
  auto* p = dynamic_cast<PaiNNForce*>(back.get());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->getModelBytes(), *bytes);
  EXPECT_EQ(p->getParticles(), f->getParticles());
  EXPECT_EQ(p->getAtomicNumbers(), s.z);
  EXPECT_TRUE(p->usesPeriodicBoundaryConditions());
  EXPECT_EQ(p->getPrecision(), "single");
  EXPECT_EQ(p->getForceGroup(), 5);
  EXPECT_EQ(p->getName(), "ml");
  EXPECT_EQ(p->getNumThreads(), 2);
  EXPECT_EQ(serializeForce(*p), xml);

  // A whole System through XML evaluates identically.
  auto system = makeSystem(s, f);
  std::stringstream sx;
  OpenMM::XmlSerializer::serialize<OpenMM::System>(system.get(), "System", sx);
  std::unique_ptr<OpenMM::System> copy(OpenMM::XmlSerializer::deserialize<OpenMM::System>(sx));
  const Eval a = evaluate(*system, s.x), b = evaluate(*copy, s.x);
  EXPECT_EQ(a.energy, b.energy);
  EXPECT_EQ(maxDiff(a.forces, b.forces), 0.0);
}

TEST_F(PaiNNForceTest, CorruptedXmlIsRefused) {
  const Structure s = randomStructure(4, 0.4, 15);
  std::unique_ptr<PaiNNForce> f(makeForce(*bytes, s));
  const std::string xml = serializeForce(*f);
  const size_t k = xml.find("model=\"") + 300;
  std::string bad = xml;
  bad[k] = bad[k] == 'A' ? 'B' : 'A';
  std::stringstream in(bad);
  expectOpenMMError([&] { delete OpenMM::XmlSerializer::deserialize<OpenMM::Force>(in); }, "does not match its hash");
}

TEST_F(PaiNNForceTest, CustomCVForceWrapsAClone) {
  const Structure s = randomStructure(8, 0.6, 16);
  std::unique_ptr<PaiNNForce> f(makeForce(*bytes, s));
  const Eval plain = evaluate(*makeSystem(s, makeForce(*bytes, s)), s.x);
  auto* cv = new OpenMM::CustomCVForce("2*painn+1");
  cv->addCollectiveVariable("painn", OpenMM::XmlSerializer::clone<OpenMM::Force>(*f));
  auto system = makeSystem(s, nullptr);
  system->addForce(cv);
  for (const char* platform : {"Reference", "CPU"}) {
    const Eval e = evaluate(*system, s.x, platform);
    EXPECT_NEAR(e.energy, 2 * plain.energy + 1, 1e-12 * std::fabs(plain.energy));
    for (size_t i = 0; i < s.x.size(); ++i)
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(e.forces[i][c], 2 * plain.forces[i][c], 1e-9 * maxAbs(plain.forces));
  }
}

TEST_F(PaiNNForceTest, UpdateParametersInContextSwapsTheModel) {
  const Structure s = randomStructure(8, 0.6, 17);
  const std::string other = modelBytes(2);
  auto* f = makeForce(*bytes, s);
  auto system = makeSystem(s, f);
  OpenMM::VerletIntegrator integrator(0.0005);
  OpenMM::Context context(*system, integrator, OpenMM::Platform::getPlatformByName("CPU"));
  context.setPositions(s.x);
  const double e0 = context.getState(OpenMM::State::Energy).getPotentialEnergy();
  f->setModelBytes(other);
  // Not yet pushed: the Context keeps its copy.
  EXPECT_EQ(context.getState(OpenMM::State::Energy).getPotentialEnergy(), e0);
  f->updateParametersInContext(context);
  const double e1 = context.getState(OpenMM::State::Energy).getPotentialEnergy();
  EXPECT_NEAR(e1, coreResult(other, s, false).energy * kEV, 1e-12 * std::fabs(e1));
  EXPECT_NE(e0, e1);
  // A model without one of the particles' elements is refused.
  f->setModelBytes(painn::Model::random(painn::preset("ultratiny", {1, 6}), 3).to_bytes(painn::WeightDtype::f32));
  expectOpenMMError([&] { f->updateParametersInContext(context); }, "lacks element");
  f->setModelBytes(other);
  // What the Context was built for cannot change in it.
  f->setParticles({0, 1, 2, 3});
  expectOpenMMError([&] { f->updateParametersInContext(context); }, "cannot change the particles");
  f->setParticles({});
  f->setUsesPeriodicBoundaryConditions(true);
  expectOpenMMError([&] { f->updateParametersInContext(context); }, "cannot switch periodic");
  f->setUsesPeriodicBoundaryConditions(false);
  f->setPrecision("single");
  f->updateParametersInContext(context);
  EXPECT_NEAR(context.getState(OpenMM::State::Energy).getPotentialEnergy(), e1, 1e-5 * std::fabs(e1));
}

TEST_F(PaiNNForceTest, ClearErrors) {
  expectOpenMMError([] { PaiNNForce f("/nonexistent/model.safetensors"); }, "cannot open model file '/nonexistent/model.safetensors'");
  const std::string path = ::testing::TempDir() + "painn_bad_model.safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    out << "this is not a model";
  }
  try {
    PaiNNForce f(path);
    ADD_FAILURE() << "malformed model accepted";
  } catch (const OpenMM::OpenMMException& e) {
    EXPECT_EQ(std::string(e.what()).rfind("PaiNNForce: ", 0), 0u) << e.what();
  }
  std::remove(path.c_str());
  expectOpenMMError([] { PaiNNForce().setModelBytes(std::string(100, '\0')); }, "PaiNNForce: ");
  expectOpenMMError([] { PaiNNForce().setPrecision("half"); }, "precision must be 'single' or 'double'");

  const Structure s = randomStructure(4, 0.4, 18);
  {
    auto system = makeSystem(s, new PaiNNForce());
    OpenMM::VerletIntegrator integrator(0.001);
    expectOpenMMError([&] { OpenMM::Context c(*system, integrator, OpenMM::Platform::getPlatformByName("Reference")); },
                      "PaiNNForce: no model");
  }
  auto context = [&](PaiNNForce* f, int extra = 0) {
    auto system = makeSystem(s, f, extra);
    OpenMM::VerletIntegrator integrator(0.001);
    OpenMM::Context c(*system, integrator, OpenMM::Platform::getPlatformByName("Reference"));
  };
  {
    auto* f = makeForce(*bytes, s);
    f->setAtomicNumbers({1, 6, 26, 8});
    expectOpenMMError([&] { context(f); }, "particle 2 is element Fe, which the model does not know (it has H, C, N, O)");
  }
  {
    auto* f = makeForce(*bytes, s);
    f->setAtomicNumbers({1, 6});
    expectOpenMMError([&] { context(f); }, "2 atomic numbers for 4 particles");
  }
  {
    auto* f = makeForce(*bytes, s);
    f->setParticles({0, 1, 2, 7});
    expectOpenMMError([&] { context(f); }, "particle index 7 is out of range");
  }
  {
    auto* f = makeForce(*bytes, s);
    f->setParticles({0, 1, 1, 2});
    expectOpenMMError([&] { context(f); }, "particle 1 is listed twice");
  }
  {
    auto* f = makeForce(*bytes, s);
    f->setAtomicNumbers({});
    expectOpenMMError([&] { context(f, 1); }, "cannot tell the element of particle 4");
  }
  {
    // Coincident atoms are a core error, reported through OpenMM at evaluation.
    auto* f = makeForce(*bytes, s);
    auto system = makeSystem(s, f);
    std::vector<Vec3> x = s.x;
    x[1] = x[0];
    expectOpenMMError([&] { evaluate(*system, x); }, "PaiNNForce: ");
  }
}
