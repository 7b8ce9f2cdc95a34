// Model hyperparameters, presets, tensor layout, validation and random initialisation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

#include "painn/calculator.h"
#include "painn/error.h"
#include "painn/model.h"

namespace painn {

const char* to_string(RadialBasis b) { return b == RadialBasis::bessel ? "bessel" : "gaussian"; }

const char* to_string(WeightDtype d) {
  switch (d) {
    case WeightDtype::f64: return "fp64";
    case WeightDtype::f32: return "fp32";
    case WeightDtype::f16: return "fp16";
    case WeightDtype::i8: return "int8";
  }
  return "?";
}

const char* to_string(Repulsion r) { return r == Repulsion::zbl ? "zbl" : "none"; }

double min_pair_distance(const ModelConfig& c) {
  const bool shielded = c.repulsion != Repulsion::none && c.network_inner_width > 0.0;
  return shielded ? kMinPairDistanceShielded : kMinPairDistance;
}

std::string min_pair_distance_text(const ModelConfig& c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", min_pair_distance(c));
  return buf;
}

Repulsion repulsion_from_string(const std::string& s) {
  if (s == "none") return Repulsion::none;
  if (s == "zbl") return Repulsion::zbl;
  throw Error("unknown repulsion '" + s + "' (expected none or zbl)");
}

WeightDtype weight_dtype_from_string(const std::string& s) {
  if (s == "fp64" || s == "f64" || s == "F64" || s == "float64") return WeightDtype::f64;
  if (s == "fp32" || s == "f32" || s == "F32" || s == "float32") return WeightDtype::f32;
  if (s == "fp16" || s == "f16" || s == "F16" || s == "float16") return WeightDtype::f16;
  if (s == "int8" || s == "i8" || s == "I8") return WeightDtype::i8;
  throw Error("unknown weight dtype '" + s + "' (expected fp64, fp32, fp16 or int8)");
}

int64_t Tensor::size() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::vector<std::string> preset_names() { return {"current", "compact", "efficient", "tiny", "ultratiny"}; }

ModelConfig preset(const std::string& name, const std::vector<int>& species) {
  ModelConfig c;
  if (name == "current") { c.hidden = 128; c.layers = 3; c.rbf = 20; }
  else if (name == "compact") { c.hidden = 96; c.layers = 3; c.rbf = 16; }
  else if (name == "efficient") { c.hidden = 64; c.layers = 3; c.rbf = 16; }
  else if (name == "tiny") { c.hidden = 64; c.layers = 2; c.rbf = 12; }
  else if (name == "ultratiny") { c.hidden = 32; c.layers = 2; c.rbf = 10; }
  else throw Error("unknown preset '" + name + "' (expected current, compact, efficient, tiny or ultratiny)");
  c.cutoff = 5.0;
  c.head_hidden = {c.hidden / 2};
  c.species = species;
  c.reference_energy.assign(species.size(), 0.0);
  return c;
}

int Model::species_index(int z) const {
  for (size_t k = 0; k < config.species.size(); ++k)
    if (config.species[k] == z) return static_cast<int>(k);
  return -1;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> Model::expected_tensors(const ModelConfig& c) {
  const int64_t H = c.hidden, S = static_cast<int64_t>(c.species.size());
  const int64_t F = c.shared_filters ? 1 : c.layers;
  std::vector<std::pair<std::string, std::vector<int64_t>>> t;
  t.push_back({"embedding.weight", {S, H}});
  t.push_back({"filter.weight", {3 * H * F, c.rbf}});
  t.push_back({"filter.bias", {3 * H * F}});
  for (int l = 0; l < c.layers; ++l) {
    const std::string in = "interaction." + std::to_string(l) + ".";
    t.push_back({in + "context1.weight", {H, H}});
    t.push_back({in + "context1.bias", {H}});
    t.push_back({in + "context2.weight", {3 * H, H}});
    t.push_back({in + "context2.bias", {3 * H}});
    const std::string mx = "mixing." + std::to_string(l) + ".";
    t.push_back({mx + "vector_mix.weight", {2 * H, H}});
    t.push_back({mx + "context1.weight", {H, 2 * H}});
    t.push_back({mx + "context1.bias", {H}});
    t.push_back({mx + "context2.weight", {3 * H, H}});
    t.push_back({mx + "context2.bias", {3 * H}});
  }
  int64_t w_in = H;
  std::vector<int64_t> widths(c.head_hidden.begin(), c.head_hidden.end());
  widths.push_back(1);
  for (size_t k = 0; k < widths.size(); ++k) {
    const std::string hd = "head." + std::to_string(k) + ".";
    t.push_back({hd + "weight", {widths[k], w_in}});
    t.push_back({hd + "bias", {widths[k]}});
    w_in = widths[k];
  }
  return t;  // energy.reference is handled separately (always F64, not a parameter)
}

int64_t Model::parameter_count_formula(const ModelConfig& c) {
  const int64_t H = c.hidden, L = c.layers, R = c.rbf, S = static_cast<int64_t>(c.species.size());
  const int64_t F = c.shared_filters ? 1 : L;
  int64_t head = 0, w_in = H;
  std::vector<int64_t> widths(c.head_hidden.begin(), c.head_hidden.end());
  widths.push_back(1);
  for (auto w : widths) { head += (w_in + 1) * w; w_in = w; }
  return S * H + 3 * H * F * (R + 1) + L * (11 * H * H + 8 * H) + head;
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : params) n += t.size();
  return n;
}

namespace {
// The ZBL settings: one positive finite radius per species, a positive finite scale, and every
// pair cutoff inside the model cutoff (the neighbour list holds no longer pairs).
void validate_repulsion(const ModelConfig& c) {
  if (c.repulsion_radii.size() != c.species.size())
    throw Error("model: " + std::to_string(c.repulsion_radii.size()) + " repulsion radii for " +
                std::to_string(c.species.size()) + " species");
  double largest = 0.0;
  for (size_t k = 0; k < c.repulsion_radii.size(); ++k) {
    const double r = c.repulsion_radii[k];
    if (!std::isfinite(r) || !(r > 0.0))
      throw Error("model: repulsion radius of " + element_symbol(c.species[k]) + " must be positive and finite");
    largest = std::max(largest, r);
  }
  const double s = c.repulsion_cutoff_scale;
  if (!std::isfinite(s) || !(s > 0.0)) throw Error("model: repulsion_cutoff_scale must be positive and finite");
  if (s * (largest + largest) > c.cutoff)  // the largest r_max = s (r_i + r_j)
    throw Error("model: the largest repulsion pair cutoff " + std::to_string(s * (largest + largest)) +
                " A exceeds the model cutoff " + std::to_string(c.cutoff) + " A");
}

// The network inner cutoff (section 9): both zero (off), or a switch that ends inside the model
// cutoff; only with a repulsion, because without one nothing would stop two atoms fusing.
void validate_network_inner_cutoff(const ModelConfig& c) {
  const double r0 = c.network_inner_cutoff, w = c.network_inner_width;
  if (r0 == 0.0 && w == 0.0) return;
  if (!std::isfinite(r0) || !(r0 >= 0.0)) throw Error("model: network_inner_cutoff must be finite and >= 0");
  if (!std::isfinite(w) || !(w > 0.0)) throw Error("model: network_inner_width must be positive and finite");
  if (!(r0 + w < c.cutoff))
    throw Error("model: network_inner_cutoff + network_inner_width = " + std::to_string(r0 + w) +
                " A is not inside the model cutoff " + std::to_string(c.cutoff) + " A");
  if (c.repulsion == Repulsion::none)
    throw Error("model: a network inner cutoff needs a pair repulsion (repulsion = zbl); without one, atoms "
                "closer than it would feel no force at all");
}
}  // namespace

void Model::validate(bool config_only) const {
  const ModelConfig& c = config;
  if (c.hidden < 1 || c.hidden > 4096) throw Error("model: hidden = " + std::to_string(c.hidden) + " is out of range 1..4096");
  if (c.layers < 1 || c.layers > 64) throw Error("model: layers = " + std::to_string(c.layers) + " is out of range 1..64");
  if (c.rbf < 1 || c.rbf > 1024) throw Error("model: rbf = " + std::to_string(c.rbf) + " is out of range 1..1024");
  if (!(c.cutoff > 0.0 && c.cutoff < 100.0)) throw Error("model: cutoff must be in (0, 100) Angstrom");
  if (c.basis == RadialBasis::gaussian && c.rbf < 2) throw Error("model: a Gaussian basis needs rbf >= 2");
  for (int w : c.head_hidden)
    if (w < 1 || w > 65536) throw Error("model: head width " + std::to_string(w) + " is out of range");
  if (c.species.empty()) throw Error("model: species list is empty");
  std::set<int> seen;
  for (int z : c.species) {
    if (z < 1 || z > 118) throw Error("model: species atomic number " + std::to_string(z) + " is out of range 1..118");
    if (!seen.insert(z).second) throw Error("model: species " + element_symbol(z) + " is listed twice");
  }
  if (c.reference_energy.size() != c.species.size())
    throw Error("model: " + std::to_string(c.reference_energy.size()) + " reference energies for " +
                std::to_string(c.species.size()) + " species");
  for (double e : c.reference_energy)
    if (!std::isfinite(e)) throw Error("model: reference energy is not finite");
  if (!std::isfinite(c.energy_scale) || !std::isfinite(c.energy_shift))
    throw Error("model: energy_scale/energy_shift is not finite");
  if (c.repulsion == Repulsion::zbl) validate_repulsion(c);
  validate_network_inner_cutoff(c);
  // Section 10. Above 1 the norm would no longer be close to |V| for typical features (0.1-10).
  if (!std::isfinite(c.vector_norm_epsilon) || !(c.vector_norm_epsilon > 0.0) || c.vector_norm_epsilon > 1.0)
    throw Error("model: vector_norm_epsilon = " + std::to_string(c.vector_norm_epsilon) +
                " must be in (0, 1]");
  if (config_only) return;
  const auto expected = expected_tensors(c);
  for (const auto& [name, shape] : expected) {
    auto it = params.find(name);
    if (it == params.end()) throw Error("model: missing tensor '" + name + "'");
    if (it->second.shape != shape) {
      std::string want, got;
      for (auto s : shape) want += (want.empty() ? "" : ",") + std::to_string(s);
      for (auto s : it->second.shape) got += (got.empty() ? "" : ",") + std::to_string(s);
      throw Error("model: tensor '" + name + "' has shape [" + got + "], expected [" + want + "]");
    }
    if (static_cast<int64_t>(it->second.data.size()) != it->second.size())
      throw Error("model: tensor '" + name + "' data size does not match its shape");
    for (double v : it->second.data)
      if (!std::isfinite(v)) throw Error("model: tensor '" + name + "' contains NaN or Inf");
  }
  if (params.size() != expected.size()) {
    for (const auto& [name, t] : params) {
      bool known = false;
      for (const auto& e : expected) known |= (e.first == name);
      if (!known) throw Error("model: unexpected tensor '" + name + "' for this architecture");
    }
  }
}

namespace {
// A small fixed molecule (ethanol-like, H C O; N added) used only to calibrate random weights.
System calibration_molecule(const ModelConfig& c) {
  System s;
  const double xyz[9][3] = {{0.00, 0.00, 0.00}, {1.52, 0.00, 0.00}, {2.05, 1.35, 0.00},
                            {-0.38, 1.02, 0.05}, {-0.38, -0.50, 0.89}, {-0.40, -0.52, -0.86},
                            {1.90, -0.52, 0.89}, {1.88, -0.50, -0.88}, {3.01, 1.30, 0.05}};
  for (int k = 0; k < 9; ++k) {
    s.positions.push_back({xyz[k][0], xyz[k][1], xyz[k][2]});
    s.atomic_numbers.push_back(c.species[k % c.species.size()]);
  }
  return s;
}
}  // namespace

Model Model::random(const ModelConfig& config, uint64_t seed) {
  Model m;
  m.config = config;
  if (m.config.head_hidden.empty()) m.config.head_hidden = {std::max(1, config.hidden / 2)};
  if (m.config.reference_energy.size() != m.config.species.size())
    m.config.reference_energy.assign(m.config.species.size(), 0.0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (const auto& [name, shape] : expected_tensors(m.config)) {
    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(t.size()));
    const bool is_bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    // Weights: unit-variance outputs (1/sqrt(fan_in)); embeddings unit scale; small biases.
    double sd = is_bias ? 0.1 : 1.0 / std::sqrt(static_cast<double>(shape.size() > 1 ? shape[1] : 1));
    if (name == "embedding.weight") sd = 1.0;
    if (name == "filter.weight") sd = 0.3 / std::sqrt(static_cast<double>(shape[1]));
    for (auto& v : t.data) v = sd * normal(rng);
    m.params[name] = std::move(t);
  }
  m.provenance["creator"] = "painn init (random weights)";
  m.provenance["seed"] = std::to_string(seed);
  m.validate();
  // Calibrate: scale the energy so that the calibration molecule's RMS force is 1 eV/A, and
  // shift it so its energy per atom is zero before reference energies.
  m.config.energy_scale = 1.0;
  m.config.energy_shift = 0.0;
  std::vector<double> ref = m.config.reference_energy;
  m.config.reference_energy.assign(ref.size(), 0.0);
  // The network alone is calibrated: the repulsion is fixed, not scaled. (The inner switch goes
  // with it, since it needs a repulsion; the calibration molecule has no pair that short.)
  Model network_only = m;
  network_only.config.repulsion = Repulsion::none;
  network_only.config.network_inner_cutoff = network_only.config.network_inner_width = 0.0;
  Calculator calc(network_only, Precision::fp64, 1);
  const System mol = calibration_molecule(m.config);
  Result r = calc.compute(mol);
  double f2 = 0.0;
  for (const auto& f : r.forces) f2 += f[0] * f[0] + f[1] * f[1] + f[2] * f[2];
  const double rms = std::sqrt(f2 / (3.0 * static_cast<double>(r.forces.size())));
  const double scale = rms > 1e-12 ? 1.0 / rms : 1.0;
  m.config.energy_scale = scale;
  m.config.energy_shift = -scale * r.energy / static_cast<double>(mol.positions.size());
  m.config.reference_energy = ref;
  return m;
}

}  // namespace painn
