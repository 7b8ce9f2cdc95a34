// Minimal safetensors container: parse a byte buffer into named raw tensors + string metadata,
// and write one. Dtype-aware decoding to double lives here too. All failures throw painn::Error.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace painn {

// Limits on what a file may claim before anything is allocated from it.
constexpr uint64_t kMaxHeaderBytes = 16u << 20;   // 16 MiB of JSON header
constexpr int kMaxJsonDepth = 64;                 // nesting depth of any JSON text we parse

// Parses JSON text strictly: no byte-order mark, no duplicate keys in any object, nesting at most
// kMaxJsonDepth. Throws painn::Error "<what> ..." naming the problem.
nlohmann::json parse_json_strict(const std::string& text, const std::string& what);

struct RawTensor {
  std::string dtype;             // F64 | F32 | F16 | I8
  std::vector<int64_t> shape;
  std::string bytes;             // little-endian raw data
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, RawTensor> tensors;
};

// origin names the file in error messages.
SafetensorsFile parse_safetensors(const std::string& buffer, const std::string& origin);
std::string serialize_safetensors(const SafetensorsFile& file);

size_t dtype_size(const std::string& dtype);          // throws on unknown dtype
std::vector<double> decode_to_double(const RawTensor& t);
RawTensor encode(const std::vector<double>& values, const std::vector<int64_t>& shape,
                 const std::string& dtype);             // F64 | F32 | F16 (I8 is model-specific)

}  // namespace painn
