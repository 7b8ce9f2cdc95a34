// The model file: round trips, parameter counts, and a specific error for each malformed case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "load_checks.h"
#include "painn/error.h"
#include "safetensors.h"

using namespace painn;
using namespace painn::test;

namespace {

std::string good_bytes(WeightDtype d = WeightDtype::f32) { return small_model("ultratiny", 1).to_bytes(d); }

// Edit the parsed container and write it back.
template <typename F>
std::string edited(F edit, WeightDtype d = WeightDtype::f32) {
  SafetensorsFile f = parse_safetensors(good_bytes(d), "good");
  edit(f);
  return serialize_safetensors(f);
}

}  // namespace

TEST(ModelFile, PresetsHaveTheFormulaParameterCount) {
  for (const auto& name : preset_names()) {
    const Model m = Model::random(preset(name, {1, 6, 7, 8}), 1);
    EXPECT_EQ(m.parameter_count(), Model::parameter_count_formula(m.config)) << name;
  }
  // With schnetpack's 100-row embedding, current is the field's 589,057 parameters.
  std::vector<int> z100(100);
  for (int k = 0; k < 100; ++k) z100[k] = k + 1;
  ModelConfig c = preset("current", z100);
  EXPECT_EQ(Model::parameter_count_formula(c), 589057);
}

TEST(ModelFile, RoundTripKeepsEverything) {
  Model m = small_model("tiny", 2);
  m.config.energy_scale = 0.123456789012345678;
  m.provenance["note"] = "round trip";
  const Model back = Model::from_bytes(m.to_bytes(WeightDtype::f64), "rt");
  EXPECT_EQ(back.config.hidden, m.config.hidden);
  EXPECT_EQ(back.config.species, m.config.species);
  EXPECT_EQ(back.config.energy_scale, m.config.energy_scale);
  EXPECT_EQ(back.config.reference_energy, m.config.reference_energy);
  EXPECT_EQ(back.provenance.at("note"), "round trip");
  for (const auto& [name, t] : m.params) EXPECT_EQ(back.params.at(name).data, t.data) << name;
}

TEST(ModelFile, Int8IsPerRowSymmetric) {
  const Model m = small_model("ultratiny", 3);
  const Model q = Model::from_bytes(m.to_bytes(WeightDtype::i8), "q");
  for (const auto& [name, t] : m.params) {
    const Tensor& u = q.params.at(name);
    if (t.shape.size() != 2) {  // biases are F32
      for (int64_t k = 0; k < t.size(); ++k) EXPECT_NEAR(u.data[k], t.data[k], 1e-6 * std::fabs(t.data[k]) + 1e-30);
      continue;
    }
    for (int64_t r = 0; r < t.shape[0]; ++r) {
      double amax = 0;
      for (int64_t c = 0; c < t.shape[1]; ++c) amax = std::max(amax, std::fabs(t.data[r * t.shape[1] + c]));
      for (int64_t c = 0; c < t.shape[1]; ++c)  // error at most half a step (step = amax / 127)
        EXPECT_LE(std::fabs(u.data[r * t.shape[1] + c] - t.data[r * t.shape[1] + c]), 0.5 * amax / 127 * (1 + 1e-6));
    }
  }
}

TEST(ModelFileErrors, Container) {
  expect_load_error("", "truncated");
  expect_load_error(std::string("\x05\x00\x00", 3), "truncated");
  std::string huge = good_bytes();
  huge[6] = '\x7f';
  expect_load_error(huge, "bad header size");
  std::string notjson = good_bytes();
  notjson[8] = '#';
  expect_load_error(notjson, "does not start with '{'");
  notjson[8] = '{';
  notjson[9] = '#';
  expect_load_error(notjson, "not valid JSON");
  const std::string good = good_bytes();
  expect_load_error(good.substr(0, good.size() - 10), "outside");  // truncated data section
}

TEST(ModelFileErrors, Metadata) {
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["format"] = "something-else"; }), "not a PaiNN-MD model");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata.erase("format"); }), "not a PaiNN-MD model");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["format_version"] = "99"; }),
                    "format_version 99 is not supported");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata.erase("hidden"); }), "'hidden' is missing");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["hidden"] = "lots"; }), "not an integer");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["cutoff"] = "-1"; }), "cutoff");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["radial_basis"] = "chebyshev"; }), "radial_basis");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["units_energy"] = "kcal/mol"; }), "units");
  // Found by fuzz_model_loader (3 Dec 2026): a wrong units_length with units_energy missing escaped
  // as std::out_of_range from the message's map lookup instead of a painn::Error.
  expect_load_error(edited([](SafetensorsFile& f) {
                      f.metadata["units_length"] = "bohr";
                      f.metadata.erase("units_energy");
                    }),
                    "'units_energy' is missing");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["species"] = "[1,6,7,250]"; }), "out of range");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["species"] = "[1,6,6,8]"; }), "listed twice");
  expect_load_error(edited([](SafetensorsFile& f) { f.metadata["species"] = "H C N O"; }), "not a JSON list");
}

TEST(ModelFileErrors, Tensors) {
  expect_load_error(edited([](SafetensorsFile& f) { f.tensors.erase("mixing.1.context2.bias"); }),
                    "missing tensor 'mixing.1.context2.bias'");
  expect_load_error(edited([](SafetensorsFile& f) {
                      auto& t = f.tensors.at("interaction.0.context1.weight");
                      t.shape = {t.shape[1] * t.shape[0]};
                    }),
                    "has shape");
  expect_load_error(edited([](SafetensorsFile& f) { f.tensors["extra.weight"] = encode({1.0}, {1}, "F32"); }),
                    "unexpected tensor 'extra.weight'");
  expect_load_error(edited([](SafetensorsFile& f) {
                      auto& t = f.tensors.at("head.0.weight");
                      const float nan = std::nanf("");
                      std::memcpy(&t.bytes[4], &nan, 4);
                    }),
                    "NaN or Inf");
  expect_load_error(edited([](SafetensorsFile& f) { f.tensors.at("head.0.bias").dtype = "I16"; }), "unsupported tensor dtype");
  expect_load_error(edited([](SafetensorsFile& f) { f.tensors.erase("head.0.weight.scale"); }, WeightDtype::i8),
                    "missing tensor 'head.0.weight.scale'");
  expect_load_error(edited([](SafetensorsFile& f) { f.tensors.at("energy.reference") = encode({1, 2, 3, 4}, {4}, "F32"); }),
                    "energy.reference");
}

TEST(ModelFileErrors, MissingFile) {
  try {
    Model::load("/nonexistent/model.safetensors");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open model file"), std::string::npos);
  }
}

TEST(InputErrors, StructureProblemsAreNamed) {
  const Model m = small_model("ultratiny", 4);
  Calculator calc(m, Precision::fp64, 1);
  auto expect_error = [&](const System& s, const std::string& text) {
    try {
      calc.compute(s);
      ADD_FAILURE() << "no error; expected '" << text << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  System s = random_cluster(5, 4.0, 1);
  System bad = s;
  bad.atomic_numbers[2] = 26;
  expect_error(bad, "element Fe, which the model does not know");
  bad = s;
  bad.positions[3][1] = std::nan("");
  expect_error(bad, "position of atom 3 is NaN");
  bad = s;
  bad.positions[4] = bad.positions[1];
  expect_error(bad, "same position");
  bad = s;
  bad.pbc = {true, true, true};  // no cell
  expect_error(bad, "cell vector 0 is zero");
  bad.cell = {{{3, 0, 0}, {6, 0, 0}, {0, 0, 3}}};
  expect_error(bad, "degenerate");
  bad = s;
  bad.atomic_numbers.pop_back();
  expect_error(bad, "atomic numbers");
}
