// XML serialization of PaiNNForce. The model travels inside the XML (base64) with its hash, so
// a serialized System, a Python deepcopy or a CustomCVForce's copy is self-contained.
#include <openmm/OpenMMException.h>
#include <openmm/serialization/SerializationNode.h>
#include <openmm/serialization/SerializationProxy.h>

#include <cstdio>
#include <string>

#include "openmmpainn/PaiNNForce.h"

using namespace PaiNNPlugin;

namespace {

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t k = 0;
  for (; k + 2 < in.size(); k += 3) {
    const unsigned v = (static_cast<unsigned char>(in[k]) << 16) | (static_cast<unsigned char>(in[k + 1]) << 8) |
                       static_cast<unsigned char>(in[k + 2]);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (k + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[k]) << 16;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
  } else if (k + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[k]) << 16) | (static_cast<unsigned char>(in[k + 1]) << 8);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
  }
  return out;
}

std::string base64_decode(const std::string& in) {
  int table[256];
  for (int& t : table) t = -1;
  for (int k = 0; k < 64; ++k) table[static_cast<unsigned char>(kB64[k])] = k;
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    if (table[c] < 0) {
      if (c == '\n' || c == '\r' || c == ' ') continue;
      throw OpenMM::OpenMMException("PaiNNForce XML: the model is not valid base64");
    }
    v = (v << 6) | static_cast<unsigned>(table[c]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((v >> bits) & 0xff));
    }
  }
  return out;
}

std::string fnv1a64(const std::string& bytes) {
  unsigned long long h = 1469598103934665603ull;
  for (unsigned char c : bytes) { h ^= c; h *= 1099511628211ull; }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", h);
  return buf;
}

class PaiNNForceProxy : public OpenMM::SerializationProxy {
 public:
  PaiNNForceProxy() : OpenMM::SerializationProxy("PaiNNForce") {}

  void serialize(const void* object, OpenMM::SerializationNode& node) const override {
    const PaiNNForce& force = *static_cast<const PaiNNForce*>(object);
    node.setIntProperty("version", 1);
    node.setIntProperty("forceGroup", force.getForceGroup());
    node.setStringProperty("name", force.getName());
    node.setBoolProperty("periodic", force.usesPeriodicBoundaryConditions());
    node.setStringProperty("precision", force.getPrecision());
    node.setIntProperty("threads", force.getNumThreads());
    node.setStringProperty("modelHash", fnv1a64(force.getModelBytes()));
    node.setStringProperty("model", base64_encode(force.getModelBytes()));
    OpenMM::SerializationNode& parts = node.createChildNode("Particles");
    for (int p : force.getParticles()) parts.createChildNode("Particle").setIntProperty("index", p);
    OpenMM::SerializationNode& nums = node.createChildNode("AtomicNumbers");
    for (int z : force.getAtomicNumbers()) nums.createChildNode("Atom").setIntProperty("z", z);
  }

  void* deserialize(const OpenMM::SerializationNode& node) const override {
    if (node.getIntProperty("version") != 1) throw OpenMM::OpenMMException("PaiNNForce XML: unsupported version");
    const std::string bytes = base64_decode(node.getStringProperty("model"));
    if (fnv1a64(bytes) != node.getStringProperty("modelHash"))
      throw OpenMM::OpenMMException("PaiNNForce XML: the model does not match its hash (corrupted XML)");
    PaiNNForce* force = new PaiNNForce();
    try {
      force->setModelBytes(bytes);
      force->setForceGroup(node.getIntProperty("forceGroup", 0));
      force->setName(node.getStringProperty("name", "PaiNNForce"));
      force->setUsesPeriodicBoundaryConditions(node.getBoolProperty("periodic"));
      force->setPrecision(node.getStringProperty("precision", "single"));
      force->setNumThreads(node.getIntProperty("threads", 0));
      std::vector<int> particles, numbers;
      for (const auto& child : node.getChildNode("Particles").getChildren()) particles.push_back(child.getIntProperty("index"));
      for (const auto& child : node.getChildNode("AtomicNumbers").getChildren()) numbers.push_back(child.getIntProperty("z"));
      force->setParticles(particles);
      force->setAtomicNumbers(numbers);
    } catch (...) {
      delete force;
      throw;
    }
    return force;
  }
};

// Registered when the library is loaded (before any XML is read).
struct RegisterProxy {
  RegisterProxy() { OpenMM::SerializationProxy::registerProxy(typeid(PaiNNForce), new PaiNNForceProxy()); }
} register_proxy;

}  // namespace
