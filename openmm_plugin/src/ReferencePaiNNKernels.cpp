// The PaiNNForce kernel for the Reference and CPU platforms (CpuPlatform derives from
// ReferencePlatform and shares its positions/forces data): converts units, builds the core's
// System for the selected particles, evaluates, and adds the forces.
#include <openmm/KernelFactory.h>
#include <openmm/OpenMMException.h>
#include <openmm/internal/ContextImpl.h>
#include <openmm/reference/ReferencePlatform.h>

#include <algorithm>
#include <memory>
#include <string>

#include "openmmpainn/PaiNNKernels.h"
#include "painn/calculator.h"
#include "painn/error.h"

using namespace PaiNNPlugin;

namespace {

constexpr double kKJPerMolPerEV = 96.48533212331002;  // CODATA 2018: e * N_A / 1000
constexpr double kAngstromPerNm = 10.0;

class ReferenceCalcPaiNNForceKernel : public CalcPaiNNForceKernel {
 public:
  // platformThreads: the CPU platform's "Threads" property (0 on the Reference platform).
  ReferenceCalcPaiNNForceKernel(std::string name, const OpenMM::Platform& platform, int platformThreads)
      : CalcPaiNNForceKernel(name, platform), platformThreads(platformThreads) {}

  void initialize(const OpenMM::System&, const PaiNNForce& force, const std::vector<int>& particles,
                  const std::vector<int>& atomicNumbers) override {
    this->particles = particles;
    system.atomic_numbers = atomicNumbers;
    system.positions.resize(particles.size());
    makeCalculator(force);
  }

  double execute(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy) override {
    auto* data = reinterpret_cast<OpenMM::ReferencePlatform::PlatformData*>(context.getPlatformData());
    const std::vector<OpenMM::Vec3>& pos = *data->positions;
    std::vector<OpenMM::Vec3>& forces = *data->forces;
    for (size_t k = 0; k < particles.size(); ++k)
      for (int c = 0; c < 3; ++c) system.positions[k][c] = pos[particles[k]][c] * kAngstromPerNm;
    if (periodic) {
      const OpenMM::Vec3* box = data->periodicBoxVectors;  // changes every barostat step: read each call
      for (int d = 0; d < 3; ++d)
        for (int c = 0; c < 3; ++c) system.cell[d][c] = box[d][c] * kAngstromPerNm;
    }
    painn::Request req;
    req.forces = includeForces;  // energy-only calls (barostat, minimiser) skip the reverse pass
    painn::Result r;
    try {
      r = calc->compute(system, req);
    } catch (const painn::Error& e) {
      throw OpenMM::OpenMMException(std::string("PaiNNForce: ") + e.what());
    }
    if (includeForces) {
      const double f = kKJPerMolPerEV * kAngstromPerNm;  // eV/A -> kJ/mol/nm
      for (size_t k = 0; k < particles.size(); ++k)
        for (int c = 0; c < 3; ++c) forces[particles[k]][c] += f * r.forces[k][c];
    }
    (void) includeEnergy;
    return kKJPerMolPerEV * r.energy;
  }

  void copyParametersToContext(OpenMM::ContextImpl&, const PaiNNForce& force) override { makeCalculator(force); }

 private:
  void makeCalculator(const PaiNNForce& force) {
    try {
      const painn::Model model = painn::Model::from_bytes(force.getModelBytes(), "PaiNNForce model");
      for (int z : system.atomic_numbers)
        if (model.species_index(z) < 0)
          throw OpenMM::OpenMMException("PaiNNForce: the new model lacks element " + painn::element_symbol(z));
      // Threads: the force's own setting, else the CPU platform's, else OpenMP's default.
      const int threads = force.getNumThreads() > 0 ? force.getNumThreads() : platformThreads;
      calc = std::make_unique<painn::Calculator>(
          model, force.getPrecision() == "double" ? painn::Precision::fp64 : painn::Precision::fp32, threads);
    } catch (const painn::Error& e) {
      throw OpenMM::OpenMMException(std::string("PaiNNForce: ") + e.what());
    }
    periodic = force.usesPeriodicBoundaryConditions();
    system.pbc = {periodic, periodic, periodic};
  }

  int platformThreads = 0;
  std::vector<int> particles;
  painn::System system;
  bool periodic = false;
  std::unique_ptr<painn::Calculator> calc;
};

class ReferencePaiNNKernelFactory : public OpenMM::KernelFactory {
 public:
  // The thread count the CPU platform uses for this Context (its "Threads" property, which the
  // user may set); 0 elsewhere or when it cannot be read.
  static int cpuThreads(const OpenMM::Platform& platform, OpenMM::ContextImpl& context) {
    if (platform.getName() != "CPU") return 0;
    try {
      return std::max(0, std::stoi(platform.getPropertyValue(context.getOwner(), "Threads")));
    } catch (const std::exception&) {
      return 0;
    }
  }

  OpenMM::KernelImpl* createKernelImpl(std::string name, const OpenMM::Platform& platform,
                                       OpenMM::ContextImpl& context) const override {
    if (name == CalcPaiNNForceKernel::Name()) return new ReferenceCalcPaiNNForceKernel(name, platform, cpuThreads(platform, context));
    throw OpenMM::OpenMMException("PaiNN plugin: unknown kernel '" + name + "'");
  }
};

}  // namespace

// Called by Platform::loadPluginLibrary: every platform that is a ReferencePlatform (Reference,
// and CPU, which derives from it) gets the kernel.
extern "C" OPENMM_EXPORT void registerKernelFactories() {
  for (int k = 0; k < OpenMM::Platform::getNumPlatforms(); ++k) {
    OpenMM::Platform& platform = OpenMM::Platform::getPlatform(k);
    if (dynamic_cast<OpenMM::ReferencePlatform*>(&platform) != nullptr)
      platform.registerKernelFactory(CalcPaiNNForceKernel::Name(), new ReferencePaiNNKernelFactory());
  }
}

extern "C" OPENMM_EXPORT void registerPlatforms() {}
