// Reading and writing the painn-md safetensors model file (docs/model-format.md).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "painn/error.h"
#include "painn/model.h"
#include "safetensors.h"

namespace painn {

namespace {

constexpr int kFormatVersion = 1;

std::string format_double(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

const std::string& need(const std::map<std::string, std::string>& meta, const std::string& key,
                        const std::string& where) {
  auto it = meta.find(key);
  if (it == meta.end()) throw Error(where + "metadata key '" + key + "' is missing");
  return it->second;
}

// Integers are plain decimal: an optional '-', then digits without leading zeros ("0" itself is
// fine), nothing else (no spaces, '+', hex or fraction), and within the range of int.
int parse_int(const std::string& s, const std::string& key, const std::string& where) {
  const size_t d0 = (!s.empty() && s[0] == '-') ? 1 : 0;
  bool ok = s.size() > d0 && s.size() - d0 <= 10 && !(s[d0] == '0' && s.size() > d0 + 1);
  for (size_t k = d0; ok && k < s.size(); ++k) ok = s[k] >= '0' && s[k] <= '9';
  if (!ok)
    throw Error(where + "metadata '" + key + "' = '" + s +
                "' is not an integer (plain decimal: optional '-', digits, no leading zeros or spaces)");
  const long long v = std::stoll(s);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw Error(where + "metadata '" + key + "' = '" + s + "' is out of the integer range");
  return static_cast<int>(v);
}

// Decimals follow JSON's number grammar (what %.17g writes): -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
double parse_double(const std::string& s, const std::string& key, const std::string& where) {
  size_t k = 0;
  const size_t n = s.size();
  auto digits = [&] {
    const size_t k0 = k;
    while (k < n && s[k] >= '0' && s[k] <= '9') ++k;
    return k - k0;
  };
  bool ok = true;
  if (k < n && s[k] == '-') ++k;
  if (k < n && s[k] == '0') ++k;
  else ok = digits() > 0;
  if (ok && k < n && s[k] == '.') { ++k; ok = digits() > 0; }
  if (ok && k < n && (s[k] == 'e' || s[k] == 'E')) {
    ++k;
    if (k < n && (s[k] == '+' || s[k] == '-')) ++k;
    ok = digits() > 0;
  }
  if (!ok || k != n || n == 0) throw Error(where + "metadata '" + key + "' = '" + s + "' is not a decimal number");
  const double v = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(v)) throw Error(where + "metadata '" + key + "' = '" + s + "' is not finite");
  return v;
}

// A JSON list of integers, each within the range of int (no fractions, no wrap-around).
std::vector<int> parse_int_list(const std::string& s, const std::string& key, const std::string& where) {
  nlohmann::json j;
  try {
    j = parse_json_strict(s, "it");
  } catch (const Error& e) {
    throw Error(where + "metadata '" + key + "' = '" + s.substr(0, 80) + "' is not a JSON list of integers (" + e.what() + ")");
  }
  if (!j.is_array()) throw Error(where + "metadata '" + key + "' = '" + s + "' is not a JSON list of integers");
  std::vector<int> out;
  for (const auto& v : j) {
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())
                                : (v.get<int64_t>() < std::numeric_limits<int>::min() ||
                                   v.get<int64_t>() > std::numeric_limits<int>::max())))
      throw Error(where + "metadata '" + key + "' = '" + s + "' is not a JSON list of integers (entry " + v.dump() + ")");
    out.push_back(static_cast<int>(v.get<int64_t>()));
  }
  return out;
}

std::vector<double> parse_double_list(const std::string& s, const std::string& key, const std::string& where) {
  try {
    auto j = nlohmann::json::parse(s);
    return j.get<std::vector<double>>();
  } catch (const std::exception&) {
    throw Error(where + "metadata '" + key + "' = '" + s + "' is not a JSON list of numbers");
  }
}

// Section 8: the optional repulsion keys. Absent `repulsion` means none (files written before it
// existed); with none the other two keys are ignored.
void read_repulsion(const std::map<std::string, std::string>& meta, ModelConfig& c, const std::string& where) {
  auto it = meta.find("repulsion");
  if (it == meta.end()) return;
  if (it->second == "none") return;
  if (it->second != "zbl") throw Error(where + "repulsion '" + it->second + "' is unknown (expected none or zbl)");
  c.repulsion = Repulsion::zbl;
  c.repulsion_radii = parse_double_list(need(meta, "repulsion_radii", where), "repulsion_radii", where);
  auto scale = meta.find("repulsion_cutoff_scale");
  c.repulsion_cutoff_scale =
      scale == meta.end() ? 1.0 : parse_double(scale->second, "repulsion_cutoff_scale", where);
}

// Section 9: the optional network inner cutoff. Absent keys mean off (files written before it).
void read_network_inner_cutoff(const std::map<std::string, std::string>& meta, ModelConfig& c,
                               const std::string& where) {
  auto r0 = meta.find("network_inner_cutoff");
  auto w = meta.find("network_inner_width");
  if (r0 == meta.end() && w == meta.end()) return;
  if (r0 == meta.end() || w == meta.end())
    throw Error(where + "network_inner_cutoff and network_inner_width come together (only one is present)");
  c.network_inner_cutoff = parse_double(r0->second, "network_inner_cutoff", where);
  c.network_inner_width = parse_double(w->second, "network_inner_width", where);
}

bool is_matrix_weight(const std::string& name, const std::vector<int64_t>& shape) {
  return shape.size() == 2 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}

}  // namespace

std::string Model::read_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status)) throw Error("model file '" + path + "' is a directory");
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status) && !std::filesystem::is_fifo(status))
    throw Error("model file '" + path + "' is not a regular file (a device or socket)");
  if (std::filesystem::is_regular_file(status)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxModelFileBytes)
      throw Error("model file '" + path + "' has " + std::to_string(size) + " bytes, more than the limit of " +
                  std::to_string(kMaxModelFileBytes >> 20) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open model file '" + path + "'");
  // Read in chunks up to the limit (also for pipes and devices such as /dev/zero).
  std::string bytes;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.append(chunk, static_cast<size_t>(in.gcount()));
    if (bytes.size() > kMaxModelFileBytes)
      throw Error("model file '" + path + "' is larger than the limit of " + std::to_string(kMaxModelFileBytes >> 20) +
                  " MiB");
  }
  if (in.bad()) throw Error("error while reading model file '" + path + "'");
  return bytes;
}

Model Model::load(const std::string& path) { return from_bytes(read_file(path), path); }

Model Model::from_bytes(const std::string& bytes, const std::string& origin) {
  const std::string where = "model file " + origin + ": ";
  SafetensorsFile f = parse_safetensors(bytes, origin);
  const auto& meta = f.metadata;
  auto fmt = meta.find("format");
  if (fmt == meta.end() || fmt->second != "painn-md")
    throw Error(where + "not a PaiNN-MD model (metadata 'format' is " +
                (fmt == meta.end() ? std::string("missing") : "'" + fmt->second + "'") + ", expected 'painn-md')");
  const int version = parse_int(need(meta, "format_version", where), "format_version", where);
  if (version != kFormatVersion)
    throw Error(where + "format_version " + std::to_string(version) + " is not supported (this build reads version " +
                std::to_string(kFormatVersion) + ")");
  Model m;
  ModelConfig& c = m.config;
  c.hidden = parse_int(need(meta, "hidden", where), "hidden", where);
  c.layers = parse_int(need(meta, "layers", where), "layers", where);
  c.rbf = parse_int(need(meta, "rbf", where), "rbf", where);
  c.cutoff = parse_double(need(meta, "cutoff", where), "cutoff", where);
  const std::string& basis = need(meta, "radial_basis", where);
  if (basis == "bessel") c.basis = RadialBasis::bessel;
  else if (basis == "gaussian") c.basis = RadialBasis::gaussian;
  else throw Error(where + "radial_basis '" + basis + "' is unknown (expected bessel or gaussian)");
  if (need(meta, "cutoff_function", where) != "cosine")
    throw Error(where + "cutoff_function '" + meta.at("cutoff_function") + "' is unknown (expected cosine)");
  if (need(meta, "activation", where) != "silu")
    throw Error(where + "activation '" + meta.at("activation") + "' is unknown (expected silu)");
  const std::string& shared = need(meta, "shared_filters", where);
  if (shared != "true" && shared != "false") throw Error(where + "shared_filters must be 'true' or 'false'");
  c.shared_filters = shared == "true";
  c.head_hidden = parse_int_list(need(meta, "head_hidden", where), "head_hidden", where);
  c.species = parse_int_list(need(meta, "species", where), "species", where);
  c.energy_scale = parse_double(need(meta, "energy_scale", where), "energy_scale", where);
  c.energy_shift = parse_double(need(meta, "energy_shift", where), "energy_shift", where);
  // Both keys are looked up (and a missing one reported) before either is compared: the message
  // quotes both (found by fuzz_model_loader: a file with a wrong units_length and no units_energy
  // escaped as std::out_of_range).
  const std::string& units_length = need(meta, "units_length", where);
  const std::string& units_energy = need(meta, "units_energy", where);
  if (units_length != "angstrom" || units_energy != "eV")
    throw Error(where + "units must be angstrom and eV (found " + units_length + ", " + units_energy + ")");
  m.stored_dtype = weight_dtype_from_string(need(meta, "weight_dtype", where));
  read_repulsion(meta, c, where);
  read_network_inner_cutoff(meta, c, where);
  if (auto e = meta.find("vector_norm_epsilon"); e != meta.end())  // section 10; absent: 1e-8
    c.vector_norm_epsilon = parse_double(e->second, "vector_norm_epsilon", where);
  if (auto p = meta.find("provenance"); p != meta.end()) {
    const nlohmann::json j = parse_json_strict(p->second, where + "metadata 'provenance'");
    if (!j.is_object()) throw Error(where + "metadata 'provenance' is not a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
      m.provenance[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  // Check the hyperparameters before anything is sized from them (tensors are only ever decoded
  // from the file's own bytes, after their shapes matched).
  try {
    Model probe;
    probe.config = c;
    probe.config.reference_energy.assign(c.species.size(), 0.0);
    probe.validate(/*config_only=*/true);  // hyperparameter ranges and species checks
  } catch (const Error& e) {
    throw Error(where + e.what());
  }

  auto take = [&](const std::string& name) -> RawTensor& {
    auto it = f.tensors.find(name);
    if (it == f.tensors.end()) throw Error(where + "missing tensor '" + name + "'");
    return it->second;
  };
  const RawTensor& ref = take("energy.reference");
  if (ref.dtype != "F64" || ref.shape != std::vector<int64_t>{static_cast<int64_t>(c.species.size())})
    throw Error(where + "tensor 'energy.reference' must be F64 of shape [" + std::to_string(c.species.size()) + "]");
  c.reference_energy = decode_to_double(ref);
  size_t used = 1;
  for (const auto& [name, shape] : expected_tensors(c)) {
    RawTensor& raw = take(name);
    ++used;
    Tensor t;
    t.shape = raw.shape;
    if (raw.shape != shape) {
      std::string want, got;
      for (auto s : shape) want += (want.empty() ? "" : ",") + std::to_string(s);
      for (auto s : raw.shape) got += (got.empty() ? "" : ",") + std::to_string(s);
      throw Error(where + "tensor '" + name + "' has shape [" + got + "], expected [" + want + "]");
    }
    // Every weight is stored in the dtype the metadata declares (section 3, "Weight dtypes").
    const char* want_dtype = m.stored_dtype == WeightDtype::f64   ? "F64"
                             : m.stored_dtype == WeightDtype::f32 ? "F32"
                             : m.stored_dtype == WeightDtype::f16 ? "F16"
                             : is_matrix_weight(name, shape)      ? "I8"
                                                                  : "F32";
    if (raw.dtype != want_dtype)
      throw Error(where + "tensor '" + name + "' is " + raw.dtype + " but weight_dtype " + to_string(m.stored_dtype) +
                  " stores it as " + want_dtype);
    t.data = decode_to_double(raw);
    if (raw.dtype == "I8") {
      if (!is_matrix_weight(name, shape)) throw Error(where + "tensor '" + name + "' may not be stored as I8");
      const RawTensor& sc = take(name + ".scale");
      ++used;
      if (sc.dtype != "F32" || sc.shape != std::vector<int64_t>{shape[0]})
        throw Error(where + "tensor '" + name + ".scale' must be F32 of shape [" + std::to_string(shape[0]) + "]");
      const std::vector<double> scale = decode_to_double(sc);
      for (int64_t r = 0; r < shape[0]; ++r) {
        if (!std::isfinite(scale[r]) || scale[r] < 0) throw Error(where + "tensor '" + name + ".scale' has a bad value");
        for (int64_t k = 0; k < shape[1]; ++k) t.data[r * shape[1] + k] *= scale[r];
      }
    }
    m.params[name] = std::move(t);
  }
  if (used != f.tensors.size()) {
    for (const auto& [name, raw] : f.tensors)
      if (name != "energy.reference" && !m.params.count(name) &&
          !(name.size() > 6 && name.compare(name.size() - 6, 6, ".scale") == 0 && m.params.count(name.substr(0, name.size() - 6))))
        throw Error(where + "unexpected tensor '" + name + "' for this architecture");
  }
  try {
    m.validate();
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
  m.origin = origin;
  return m;
}

std::string Model::to_bytes(WeightDtype dtype) const {
  validate();
  SafetensorsFile f;
  const ModelConfig& c = config;
  auto& meta = f.metadata;
  meta["format"] = "painn-md";
  meta["format_version"] = std::to_string(kFormatVersion);
  meta["hidden"] = std::to_string(c.hidden);
  meta["layers"] = std::to_string(c.layers);
  meta["rbf"] = std::to_string(c.rbf);
  meta["cutoff"] = format_double(c.cutoff);
  meta["radial_basis"] = to_string(c.basis);
  meta["cutoff_function"] = "cosine";
  meta["activation"] = "silu";
  meta["shared_filters"] = c.shared_filters ? "true" : "false";
  meta["head_hidden"] = nlohmann::json(c.head_hidden).dump();
  meta["species"] = nlohmann::json(c.species).dump();
  meta["energy_scale"] = format_double(c.energy_scale);
  meta["energy_shift"] = format_double(c.energy_shift);
  meta["units_length"] = "angstrom";
  meta["units_energy"] = "eV";
  meta["weight_dtype"] = to_string(dtype);
  if (c.repulsion == Repulsion::zbl) {  // without it the keys are left out: such files are as before
    meta["repulsion"] = to_string(c.repulsion);
    meta["repulsion_radii"] = nlohmann::json(c.repulsion_radii).dump();  // shortest round-trip decimals
    meta["repulsion_cutoff_scale"] = format_double(c.repulsion_cutoff_scale);
  }
  if (c.network_inner_width > 0.0) {  // off: the keys are left out, such files are as before
    meta["network_inner_cutoff"] = format_double(c.network_inner_cutoff);
    meta["network_inner_width"] = format_double(c.network_inner_width);
  }
  if (c.vector_norm_epsilon != ModelConfig::kDefaultVectorNormEpsilon)  // default: left out, as before
    meta["vector_norm_epsilon"] = format_double(c.vector_norm_epsilon);
  nlohmann::json prov = nlohmann::json::object();
  for (const auto& [k, v] : provenance) prov[k] = v;
  meta["provenance"] = prov.dump();

  f.tensors["energy.reference"] = encode(c.reference_energy, {static_cast<int64_t>(c.species.size())}, "F64");
  for (const auto& [name, t] : params) {
    switch (dtype) {
      case WeightDtype::f64: f.tensors[name] = encode(t.data, t.shape, "F64"); break;
      case WeightDtype::f32: f.tensors[name] = encode(t.data, t.shape, "F32"); break;
      case WeightDtype::f16: f.tensors[name] = encode(t.data, t.shape, "F16"); break;
      case WeightDtype::i8: {
        if (!is_matrix_weight(name, t.shape)) {  // biases stay F32
          f.tensors[name] = encode(t.data, t.shape, "F32");
          break;
        }
        // Symmetric per-output-channel (row) quantization: w = q * scale, q in [-127, 127].
        const int64_t rows = t.shape[0], cols = t.shape[1];
        std::vector<double> scale(rows);
        RawTensor q;
        q.dtype = "I8";
        q.shape = t.shape;
        q.bytes.resize(static_cast<size_t>(rows * cols));
        for (int64_t r = 0; r < rows; ++r) {
          double amax = 0.0;
          for (int64_t k = 0; k < cols; ++k) amax = std::max(amax, std::fabs(t.data[r * cols + k]));
          const float s = amax > 0 ? static_cast<float>(amax / 127.0) : 1.0f;  // stored as F32
          scale[r] = s;
          for (int64_t k = 0; k < cols; ++k) {
            double v = std::nearbyint(t.data[r * cols + k] / static_cast<double>(s));
            v = std::min(127.0, std::max(-127.0, v));
            q.bytes[r * cols + k] = static_cast<char>(static_cast<int8_t>(v));
          }
        }
        f.tensors[name] = std::move(q);
        f.tensors[name + ".scale"] = encode(scale, {rows}, "F32");
        break;
      }
    }
  }
  return serialize_safetensors(f);
}

void Model::save(const std::string& path, WeightDtype dtype) const {
  const std::string bytes = to_bytes(dtype);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write model file '" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error("error while writing model file '" + path + "'");
}

}  // namespace painn
