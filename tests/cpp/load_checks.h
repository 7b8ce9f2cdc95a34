// Checks shared by the model-file tests: a load that must fail with a named problem, bitwise
// equality of doubles, and a ZBL model's file with one metadata key changed.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "fixtures.h"
#include "painn/error.h"
#include "safetensors.h"

namespace painn::test {

// Loading must throw painn::Error whose message contains `expected`.
inline void expect_load_error(const std::string& bytes, const std::string& expected) {
  try {
    Model::from_bytes(bytes, "bad.safetensors");
    ADD_FAILURE() << "loaded a malformed model; expected an error containing '" << expected << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << "message was: " << e.what();
  }
}

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// small_zbl_model()'s file with one metadata key set (or erased when value is empty).
inline std::string zbl_file_with_meta(const std::string& key, const std::string& value) {
  SafetensorsFile f = parse_safetensors(small_zbl_model().to_bytes(WeightDtype::f32), "good");
  if (value.empty()) f.metadata.erase(key);
  else f.metadata[key] = value;
  return serialize_safetensors(f);
}

}  // namespace painn::test
