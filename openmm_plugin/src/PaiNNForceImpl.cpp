#include "openmmpainn/PaiNNForceImpl.h"

#include <openmm/OpenMMException.h>
#include <openmm/internal/ContextImpl.h>

#include <cmath>
#include <set>

#include "openmmpainn/PaiNNKernels.h"
#include "painn/error.h"
#include "painn/model.h"

using namespace PaiNNPlugin;


void PaiNNForceImpl::initialize(OpenMM::ContextImpl& context) {
  const OpenMM::System& system = context.getSystem();
  const int n = system.getNumParticles();
  std::vector<int> particles = owner.getParticles();
  if (particles.empty())
    for (int i = 0; i < n; ++i) particles.push_back(i);
  std::set<int> seen;
  for (int p : particles) {
    if (p < 0 || p >= n)
      throw OpenMM::OpenMMException("PaiNNForce: particle index " + std::to_string(p) + " is out of range (the System has " +
                                    std::to_string(n) + " particles)");
    if (!seen.insert(p).second) throw OpenMM::OpenMMException("PaiNNForce: particle " + std::to_string(p) + " is listed twice");
  }
  if (owner.usesPeriodicBoundaryConditions()) {
    // OpenMM gives every System a 2 nm cube until someone sets a box; a periodic PaiNNForce in a
    // System whose box was never set would silently use that placeholder.
    OpenMM::Vec3 a, b, c;
    system.getDefaultPeriodicBoxVectors(a, b, c);
    if (a == OpenMM::Vec3(2, 0, 0) && b == OpenMM::Vec3(0, 2, 0) && c == OpenMM::Vec3(0, 0, 2))
      throw OpenMM::OpenMMException(
          "PaiNNForce: the force is periodic but the System has no box of its own (its default periodic box is "
          "OpenMM's 2 nm placeholder cube); call System.setDefaultPeriodicBoxVectors with the real box, or "
          "setUsesPeriodicBoundaryConditions(False) for a non-periodic system");
  }
  if (owner.getModelBytes().empty())
    throw OpenMM::OpenMMException("PaiNNForce: no model (construct it from a model file or call setModelBytes)");
  painn::Model model;
  try {
    model = painn::Model::from_bytes(owner.getModelBytes(), "PaiNNForce model");
  } catch (const painn::Error& e) {
    throw OpenMM::OpenMMException(std::string("PaiNNForce: ") + e.what());
  }
  std::vector<int> numbers = owner.getAtomicNumbers();
  if (numbers.empty()) {
    // Infer each particle's element from its mass, among the model's elements.
    for (int p : particles) {
      const double mass = system.getParticleMass(p);
      int best = -1;
      for (int z : model.config.species)
        if (std::fabs(painn::standard_atomic_mass(z) - mass) < 0.1) best = z;
      if (best < 0)
        throw OpenMM::OpenMMException("PaiNNForce: cannot tell the element of particle " + std::to_string(p) + " (mass " +
                                      std::to_string(mass) + " amu) among the model's elements; call setAtomicNumbers()");
      numbers.push_back(best);
    }
  }
  if (numbers.size() != particles.size())
    throw OpenMM::OpenMMException("PaiNNForce: " + std::to_string(numbers.size()) + " atomic numbers for " +
                                  std::to_string(particles.size()) + " particles");
  for (size_t k = 0; k < numbers.size(); ++k)
    if (model.species_index(numbers[k]) < 0) {
      std::string list;
      for (int z : model.config.species) list += (list.empty() ? "" : ", ") + painn::element_symbol(z);
      const std::string el = numbers[k] >= 1 && numbers[k] <= 118 ? painn::element_symbol(numbers[k]) : "Z=" + std::to_string(numbers[k]);
      throw OpenMM::OpenMMException("PaiNNForce: particle " + std::to_string(particles[k]) + " is element " + el +
                                    ", which the model does not know (it has " + list + ")");
    }
  initialParticles = owner.getParticles();
  initialNumbers = owner.getAtomicNumbers();
  initialPeriodic = owner.usesPeriodicBoundaryConditions();
  kernel = context.getPlatform().createKernel(CalcPaiNNForceKernel::Name(), context);
  kernel.getAs<CalcPaiNNForceKernel>().initialize(system, owner, particles, numbers);
}

double PaiNNForceImpl::calcForcesAndEnergy(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy,
                                           int groups) {
  if ((groups & (1 << owner.getForceGroup())) == 0) return 0.0;
  return kernel.getAs<CalcPaiNNForceKernel>().execute(context, includeForces, includeEnergy);
}

std::vector<std::string> PaiNNForceImpl::getKernelNames() { return {CalcPaiNNForceKernel::Name()}; }

void PaiNNForceImpl::updateParametersInContext(OpenMM::ContextImpl& context) {
  if (owner.getParticles() != initialParticles || owner.getAtomicNumbers() != initialNumbers)
    throw OpenMM::OpenMMException(
        "PaiNNForce: updateParametersInContext cannot change the particles or their atomic numbers; "
        "reinitialize the Context instead");
  if (owner.usesPeriodicBoundaryConditions() != initialPeriodic)
    throw OpenMM::OpenMMException(
        "PaiNNForce: updateParametersInContext cannot switch periodic boundary conditions; reinitialize the Context instead");
  kernel.getAs<CalcPaiNNForceKernel>().copyParametersToContext(context, owner);
}
