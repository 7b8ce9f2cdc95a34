// Abstract kernel of PaiNNForce; platforms provide implementations.
#pragma once
#include <openmm/KernelImpl.h>
#include <openmm/System.h>

#include <string>

#include "openmmpainn/PaiNNForce.h"

namespace PaiNNPlugin {

class CalcPaiNNForceKernel : public OpenMM::KernelImpl {
 public:
  static std::string Name() { return "CalcPaiNNForce"; }
  CalcPaiNNForceKernel(std::string name, const OpenMM::Platform& platform) : OpenMM::KernelImpl(name, platform) {}
  // atomicNumbers: one per selected particle, resolved by the ForceImpl.
  virtual void initialize(const OpenMM::System& system, const PaiNNForce& force, const std::vector<int>& particles,
                          const std::vector<int>& atomicNumbers) = 0;
  // Adds forces (kJ/mol/nm) when includeForces; returns the energy (kJ/mol).
  virtual double execute(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy) = 0;
  virtual void copyParametersToContext(OpenMM::ContextImpl& context, const PaiNNForce& force) = 0;
};

}  // namespace PaiNNPlugin
