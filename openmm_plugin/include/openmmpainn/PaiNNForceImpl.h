// ForceImpl of PaiNNForce: resolves particles and elements, owns the kernel.
#pragma once
#include <openmm/Kernel.h>
#include <openmm/internal/ForceImpl.h>

#include <map>
#include <string>
#include <vector>

#include "openmmpainn/PaiNNForce.h"

namespace PaiNNPlugin {

class PaiNNForceImpl : public OpenMM::ForceImpl {
 public:
  explicit PaiNNForceImpl(const PaiNNForce& owner) : owner(owner) {}
  void initialize(OpenMM::ContextImpl& context) override;
  const PaiNNForce& getOwner() const override { return owner; }
  void updateContextState(OpenMM::ContextImpl&, bool&) override {}
  double calcForcesAndEnergy(OpenMM::ContextImpl& context, bool includeForces, bool includeEnergy, int groups) override;
  std::map<std::string, double> getDefaultParameters() override { return {}; }
  std::vector<std::string> getKernelNames() override;
  void updateParametersInContext(OpenMM::ContextImpl& context);

 private:
  const PaiNNForce& owner;
  OpenMM::Kernel kernel;
  // The owner's settings when the Context was created: an update may change the model, precision
  // and threads, not which particles the force acts on, their elements, or periodicity.
  std::vector<int> initialParticles, initialNumbers;
  bool initialPeriodic = false;
};

}  // namespace PaiNNPlugin
