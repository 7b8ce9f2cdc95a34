// A small C interface for the Python module (Debian's OpenMM 7.7 ships no SWIG interface files):
// Python holds the SWIG pointer of a PaiNNForce created from XML and changes it through these.
// Every function returns 0 on success, else 1 with the message in painn_openmm_last_error().
#include <openmm/Context.h>
#include <openmm/OpenMMException.h>
#include <openmm/serialization/XmlSerializer.h>

#include <cstring>
#include <sstream>
#include <string>

#include "openmmpainn/PaiNNForce.h"

using namespace PaiNNPlugin;

namespace {
thread_local std::string last_error, last_string;

template <typename F>
int guarded(F f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
    return 1;
  }
}

PaiNNForce& as_force(void* p) {
  auto* force = dynamic_cast<PaiNNForce*>(static_cast<OpenMM::Force*>(p));
  if (!force) throw OpenMM::OpenMMException("not a PaiNNForce");
  return *force;
}
}  // namespace

extern "C" {

const char* painn_openmm_last_error() { return last_error.c_str(); }

// Serialized XML of a new PaiNNForce read from a model file (Python deserializes it).
int painn_openmm_force_xml(const char* model_path, const char** xml) {
  return guarded([&] {
    PaiNNForce force(model_path);
    std::stringstream ss;
    OpenMM::XmlSerializer::serialize<OpenMM::Force>(&force, "Force", ss);
    last_string = ss.str();
    *xml = last_string.c_str();
  });
}

// The same from a model held in memory (bytes of a model file).
int painn_openmm_force_xml_from_bytes(const char* bytes, long long size, const char** xml) {
  return guarded([&] {
    PaiNNForce force;
    force.setModelBytes(std::string(bytes, static_cast<size_t>(size)));
    std::stringstream ss;
    OpenMM::XmlSerializer::serialize<OpenMM::Force>(&force, "Force", ss);
    last_string = ss.str();
    *xml = last_string.c_str();
  });
}

// 1 when the pointer (an OpenMM::Force*) is a PaiNNForce, else 0.
int painn_openmm_is_painn_force(void* force) {
  return dynamic_cast<PaiNNForce*>(static_cast<OpenMM::Force*>(force)) != nullptr ? 1 : 0;
}

int painn_openmm_set_particles(void* force, const int* particles, int n) {
  return guarded([&] { as_force(force).setParticles(std::vector<int>(particles, particles + n)); });
}

int painn_openmm_get_particles(void* force, const int** out, int* n) {
  return guarded([&] {
    const auto& p = as_force(force).getParticles();
    *out = p.data();
    *n = static_cast<int>(p.size());
  });
}

int painn_openmm_set_atomic_numbers(void* force, const int* numbers, int n) {
  return guarded([&] { as_force(force).setAtomicNumbers(std::vector<int>(numbers, numbers + n)); });
}

int painn_openmm_get_atomic_numbers(void* force, const int** out, int* n) {
  return guarded([&] {
    const auto& p = as_force(force).getAtomicNumbers();
    *out = p.data();
    *n = static_cast<int>(p.size());
  });
}

int painn_openmm_set_periodic(void* force, int periodic) {
  return guarded([&] { as_force(force).setUsesPeriodicBoundaryConditions(periodic != 0); });
}

int painn_openmm_set_precision(void* force, const char* precision) {
  return guarded([&] { as_force(force).setPrecision(precision); });
}

int painn_openmm_get_precision(void* force, const char** out) {
  return guarded([&] { *out = as_force(force).getPrecision().c_str(); });
}

int painn_openmm_set_threads(void* force, int threads) {
  return guarded([&] { as_force(force).setNumThreads(threads); });
}

int painn_openmm_set_model_file(void* force, const char* path) {
  return guarded([&] {
    PaiNNForce fresh(path);
    as_force(force).setModelBytes(fresh.getModelBytes());
  });
}

int painn_openmm_get_threads(void* force, int* out) {
  return guarded([&] { *out = as_force(force).getNumThreads(); });
}

int painn_openmm_set_model_bytes(void* force, const char* bytes, long long size) {
  return guarded([&] { as_force(force).setModelBytes(std::string(bytes, static_cast<size_t>(size))); });
}

// The model file's bytes (valid until the force changes).
int painn_openmm_get_model_bytes(void* force, const char** out, long long* size) {
  return guarded([&] {
    const std::string& b = as_force(force).getModelBytes();
    *out = b.data();
    *size = static_cast<long long>(b.size());
  });
}

int painn_openmm_update_in_context(void* force, void* context) {
  return guarded([&] { as_force(force).updateParametersInContext(*static_cast<OpenMM::Context*>(context)); });
}
}
