#include "openmmpainn/PaiNNForce.h"

#include <openmm/OpenMMException.h>
#include <openmm/internal/ContextImpl.h>

#include <fstream>
#include <sstream>

#include "openmmpainn/PaiNNForceImpl.h"
#include "painn/error.h"
#include "painn/model.h"

using namespace PaiNNPlugin;

PaiNNForce::PaiNNForce() = default;

PaiNNForce::PaiNNForce(const std::string& modelPath) {
  std::string bytes;
  try {
    bytes = painn::Model::read_file(modelPath);  // refuses directories, devices and oversized files
  } catch (const painn::Error& e) {
    throw OpenMM::OpenMMException(std::string("PaiNNForce: ") + e.what());
  }
  setModelBytes(bytes);
}

void PaiNNForce::setModelBytes(const std::string& bytes) {
  try {
    painn::Model::from_bytes(bytes, "PaiNNForce model");  // validate now: errors at the user's call
  } catch (const painn::Error& e) {
    throw OpenMM::OpenMMException(std::string("PaiNNForce: ") + e.what());
  }
  modelBytes = bytes;
}

void PaiNNForce::setPrecision(const std::string& p) {
  if (p != "single" && p != "double")
    throw OpenMM::OpenMMException("PaiNNForce: precision must be 'single' or 'double', not '" + p + "'");
  precision = p;
}

void PaiNNForce::updateParametersInContext(OpenMM::Context& context) {
  dynamic_cast<PaiNNForceImpl&>(getImplInContext(context)).updateParametersInContext(getContextImpl(context));
}

OpenMM::ForceImpl* PaiNNForce::createImpl() const { return new PaiNNForceImpl(*this); }
