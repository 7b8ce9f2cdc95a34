#include "safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "half.h"
#include "painn/error.h"

namespace painn {

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F64") return 8;
  if (dtype == "F32") return 4;
  if (dtype == "F16") return 2;
  if (dtype == "I8") return 1;
  throw Error("unsupported tensor dtype '" + dtype + "' (expected F64, F32, F16 or I8)");
}

nlohmann::json parse_json_strict(const std::string& text, const std::string& what) {
  // The callback sees every object start/end and key before the value is built: it bounds the
  // depth (deep nesting would overflow the stack when the value is later dumped or destroyed) and
  // rejects duplicate keys (which nlohmann would silently resolve to the last one).
  std::vector<std::vector<std::string>> keys;  // keys seen so far in each open object
  auto cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if ((event == E::object_start || event == E::array_start) && depth >= kMaxJsonDepth)
      throw Error(what + " is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key && !keys.empty()) {
      const std::string k = parsed.get<std::string>();
      for (const auto& seen : keys.back())
        if (seen == k) throw Error(what + " has the key '" + k + "' twice");
      keys.back().push_back(k);
    }
    return true;
  };
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    throw Error(what + " starts with a byte-order mark (not allowed)");
  try {
    return nlohmann::json::parse(text, cb);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(what + " is not valid JSON (" + std::string(e.what()) + ")");
  }
}

SafetensorsFile parse_safetensors(const std::string& buf, const std::string& origin) {
  const std::string where = "model file " + origin + ": ";
  if (buf.size() < 8) throw Error(where + "truncated: " + std::to_string(buf.size()) +
                                  " bytes, shorter than the 8-byte header size");
  uint64_t header_size = 0;
  for (int k = 7; k >= 0; --k) header_size = (header_size << 8) | static_cast<unsigned char>(buf[k]);
  if (header_size == 0 || header_size > buf.size() - 8)
    throw Error(where + "bad header size " + std::to_string(header_size) + " for a file of " +
                std::to_string(buf.size()) + " bytes (not a safetensors file, or truncated)");
  if (header_size > kMaxHeaderBytes)
    throw Error(where + "header of " + std::to_string(header_size) + " bytes is larger than the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes");
  if (buf[8] != '{') throw Error(where + "header does not start with '{' (not a safetensors JSON header)");
  const nlohmann::json header = parse_json_strict(buf.substr(8, header_size), where + "header");
  if (!header.is_object()) throw Error(where + "header is not a JSON object");
  const uint64_t data_size = buf.size() - 8 - header_size;
  const char* data = buf.data() + 8 + header_size;
  SafetensorsFile out;
  struct Range { uint64_t begin, end; std::string name; };
  std::vector<Range> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) throw Error(where + "__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) throw Error(where + "metadata value '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const auto& t = it.value();
    const std::string tname = "tensor '" + it.key() + "': ";
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") || !t.contains("data_offsets") ||
        !t["dtype"].is_string() || !t["shape"].is_array() || !t["data_offsets"].is_array() ||
        t["data_offsets"].size() != 2)
      throw Error(where + tname + "entry needs dtype, shape and two data_offsets");
    RawTensor raw;
    raw.dtype = t["dtype"].get<std::string>();
    size_t esize = 0;
    try {
      esize = dtype_size(raw.dtype);
    } catch (const Error& e) {
      throw Error(where + tname + e.what());
    }
    uint64_t count = 1;
    for (const auto& s : t["shape"]) {
      if (!s.is_number_unsigned()) throw Error(where + tname + "bad shape (entries must be non-negative integers)");
      const uint64_t n = s.get<uint64_t>();
      if (n > std::numeric_limits<uint32_t>::max() || (n > 0 && count > std::numeric_limits<uint32_t>::max() / n))
        throw Error(where + tname + "shape too large");
      raw.shape.push_back(static_cast<int64_t>(n));
      count *= n;
    }
    const auto& off = t["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw Error(where + tname + "data_offsets must be non-negative integers");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (end < begin || end > data_size)
      throw Error(where + tname + "data [" + std::to_string(begin) + ", " + std::to_string(end) +
                  ") lies outside the " + std::to_string(data_size) + " data bytes (file truncated?)");
    if (end - begin != count * esize)
      throw Error(where + tname + "holds " + std::to_string(end - begin) + " bytes but its shape and dtype need " +
                  std::to_string(count * esize));
    ranges.push_back({begin, end, it.key()});
    raw.bytes.assign(data + begin, end - begin);
    out.tensors[it.key()] = std::move(raw);
  }
  // The tensors tile the data section exactly: no overlaps, no gaps, no trailing bytes.
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  for (size_t k = 1; k < ranges.size(); ++k)
    if (ranges[k].begin < ranges[k - 1].end)
      throw Error(where + "tensor '" + ranges[k].name + "': data [" + std::to_string(ranges[k].begin) + ", " +
                  std::to_string(ranges[k].end) + ") overlaps another tensor's data ('" + ranges[k - 1].name + "')");
  uint64_t pos = 0;
  for (const auto& r : ranges) {
    if (r.begin > pos)
      throw Error(where + "data bytes [" + std::to_string(pos) + ", " + std::to_string(r.begin) +
                  ") belong to no tensor (a gap in the data section)");
    pos = r.end;
  }
  if (pos != data_size)
    throw Error(where + std::to_string(data_size - pos) + " trailing bytes after the last tensor's data");
  return out;
}

std::string serialize_safetensors(const SafetensorsFile& file) {
  nlohmann::json header = nlohmann::json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {  // std::map: sorted, deterministic file order
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');  // align the data section to 8 bytes
  std::string out(8, '\0');
  uint64_t n = text.size();
  for (int k = 0; k < 8; ++k) out[k] = static_cast<char>((n >> (8 * k)) & 0xff);
  out += text;
  for (const auto& [name, t] : file.tensors) out += t.bytes;
  return out;
}

// Host byte order is little-endian on every platform we build for (x86-64, aarch64); memcpy then
// reads the stored little-endian values directly.
static_assert(sizeof(double) == 8 && sizeof(float) == 4, "IEEE types expected");

std::vector<double> decode_to_double(const RawTensor& t) {
  const size_t n = t.bytes.size() / dtype_size(t.dtype);
  std::vector<double> v(n);
  const char* p = t.bytes.data();
  for (size_t k = 0; k < n; ++k) {
    if (t.dtype == "F64") { double x; std::memcpy(&x, p + 8 * k, 8); v[k] = x; }
    else if (t.dtype == "F32") { float x; std::memcpy(&x, p + 4 * k, 4); v[k] = x; }
    else if (t.dtype == "F16") { uint16_t x; std::memcpy(&x, p + 2 * k, 2); v[k] = half_to_double(x); }
    else { v[k] = static_cast<int8_t>(p[k]); }
  }
  return v;
}

RawTensor encode(const std::vector<double>& values, const std::vector<int64_t>& shape, const std::string& dtype) {
  RawTensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.bytes.resize(values.size() * dtype_size(dtype));
  char* p = t.bytes.data();
  for (size_t k = 0; k < values.size(); ++k) {
    if (dtype == "F64") { double x = values[k]; std::memcpy(p + 8 * k, &x, 8); }
    else if (dtype == "F32") { float x = static_cast<float>(values[k]); std::memcpy(p + 4 * k, &x, 4); }
    else if (dtype == "F16") { uint16_t x = double_to_half(values[k]); std::memcpy(p + 2 * k, &x, 2); }
    else throw Error("encode: dtype " + dtype + " not supported here");
  }
  return t;
}

}  // namespace painn
