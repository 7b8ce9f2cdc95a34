// PaiNNForce: a PaiNN neural-network potential as an OpenMM Force (public API).
#pragma once
#include <openmm/Context.h>
#include <openmm/Force.h>

#include <string>
#include <vector>

namespace PaiNNPlugin {

class PaiNNForce : public OpenMM::Force {
 public:
  // Reads the model file now (its bytes travel with the force, e.g. inside serialized XML).
  explicit PaiNNForce(const std::string& modelPath);
  // An empty force, filled by setModelBytes (deserialization, models held in memory).
  PaiNNForce();

  void setModelBytes(const std::string& bytes);  // validates the model; throws OpenMMException
  const std::string& getModelBytes() const { return modelBytes; }

  // Particles the potential acts on (ML/MM); empty means every particle of the System.
  void setParticles(const std::vector<int>& particles) { this->particles = particles; }
  const std::vector<int>& getParticles() const { return particles; }
  // Atomic number of each selected particle (same order). Empty: inferred from the particle
  // masses when the Context is created (matched to the model's elements).
  void setAtomicNumbers(const std::vector<int>& numbers) { atomicNumbers = numbers; }
  const std::vector<int>& getAtomicNumbers() const { return atomicNumbers; }

  void setUsesPeriodicBoundaryConditions(bool periodic) { this->periodic = periodic; }
  bool usesPeriodicBoundaryConditions() const override { return periodic; }
  // "single" (fp32 compute, the default) or "double"
  void setPrecision(const std::string& precision);
  const std::string& getPrecision() const { return precision; }
  // Threads for the CPU evaluation; 0: the CPU platform's count (its "Threads" property), and
  // OpenMP's default on the Reference platform.
  void setNumThreads(int threads) { numThreads = threads; }
  int getNumThreads() const { return numThreads; }

  // Pushes a changed model (setModelBytes) or precision into an existing Context.
  void updateParametersInContext(OpenMM::Context& context);

 protected:
  OpenMM::ForceImpl* createImpl() const override;

 private:
  std::string modelBytes;
  std::vector<int> particles, atomicNumbers;
  bool periodic = false;
  std::string precision = "single";
  int numThreads = 0;
};

}  // namespace PaiNNPlugin
