// Minimal safetensors container: parse a byte buffer into named raw tensors + string metadata,
// and write one. Dtype-aware decoding to double lives here too. All failures throw painn::Error.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace painn {

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
