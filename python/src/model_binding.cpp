// painn_md.Model: a PaiNN-MD model file (docs/model-format.md) loaded into the core, its
// hyperparameters, and Model.from_arrays for writers in Python (the schnetpack importer), so that
// a model built there is checked and saved by the core's own validation and writer.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "painn/error.h"
#include "painn/model.h"

namespace nb = nanobind;

namespace painn::python {
namespace {

using InputTensor = nb::ndarray<const double, nb::c_contig, nb::device::cpu>;

template <class T>
T need(const nb::dict& config, const char* key) {
  if (!config.contains(key)) throw Error(std::string("model config lacks '") + key + "'");
  return nb::cast<T>(config[key]);
}

RadialBasis basis_from_string(const std::string& s) {
  if (s == "bessel") return RadialBasis::bessel;
  if (s == "gaussian") return RadialBasis::gaussian;
  throw Error("radial_basis must be 'bessel' or 'gaussian', not '" + s + "'");
}

// config: hidden, layers, rbf, cutoff, radial_basis, shared_filters, head_hidden, species,
// energy_scale, energy_shift, reference_energy (the keys of docs/model-format.md section 2), and
// optionally vector_norm_epsilon (section 10);
// tensors: float64 arrays named as in section 3 (energy.reference goes in config).
Model from_arrays(const nb::dict& config, const std::map<std::string, InputTensor>& tensors,
                  const std::map<std::string, std::string>& provenance) {
  Model m;
  ModelConfig& c = m.config;
  c.hidden = need<int>(config, "hidden");
  c.layers = need<int>(config, "layers");
  c.rbf = need<int>(config, "rbf");
  c.cutoff = need<double>(config, "cutoff");
  c.basis = basis_from_string(need<std::string>(config, "radial_basis"));
  c.shared_filters = need<bool>(config, "shared_filters");
  c.head_hidden = need<std::vector<int>>(config, "head_hidden");
  c.species = need<std::vector<int>>(config, "species");
  c.energy_scale = need<double>(config, "energy_scale");
  c.energy_shift = need<double>(config, "energy_shift");
  c.reference_energy = need<std::vector<double>>(config, "reference_energy");
  if (config.contains("vector_norm_epsilon"))  // section 10; absent: the standard 1e-8
    c.vector_norm_epsilon = nb::cast<double>(config["vector_norm_epsilon"]);
  for (const auto& [name, array] : tensors) {
    Tensor t;
    for (size_t d = 0; d < array.ndim(); ++d) t.shape.push_back(static_cast<int64_t>(array.shape(d)));
    t.data.assign(array.data(), array.data() + array.size());
    m.params[name] = std::move(t);
  }
  m.provenance = provenance;
  m.stored_dtype = WeightDtype::f64;
  m.origin = "<Model.from_arrays>";
  m.validate();
  return m;
}

}  // namespace

void bind_model(nb::module_& m) {
  nb::class_<Model>(m, "Model", "A PaiNN-MD model (safetensors file, docs/model-format.md).")
      .def("__init__", [](Model* self, const std::filesystem::path& path) { new (self) Model(Model::load(path.string())); },
           nb::arg("path"), "Loads a model file; raises PaiNNError naming what is wrong with it.")
      .def_static("from_arrays", &from_arrays, nb::arg("config"), nb::arg("tensors"), nb::arg("provenance"),
                  "A model from a config dict and float64 arrays named as in the spec (validated).")
      .def("save", [](const Model& self, const std::filesystem::path& path, const std::string& dtype) {
             self.save(path.string(), weight_dtype_from_string(dtype));
           }, nb::arg("path"), nb::arg("dtype") = "fp32", "Writes the model with weights stored as fp64|fp32|fp16|int8.")
      .def_prop_ro("species", [](const Model& self) { return self.config.species; }, "atomic numbers, embedding row order")
      .def_prop_ro("cutoff", [](const Model& self) { return self.config.cutoff; })
      .def_prop_ro("hidden", [](const Model& self) { return self.config.hidden; })
      .def_prop_ro("layers", [](const Model& self) { return self.config.layers; })
      .def_prop_ro("rbf", [](const Model& self) { return self.config.rbf; })
      .def_prop_ro("radial_basis", [](const Model& self) { return std::string(to_string(self.config.basis)); })
      .def_prop_ro("shared_filters", [](const Model& self) { return self.config.shared_filters; })
      .def_prop_ro("head_hidden", [](const Model& self) { return self.config.head_hidden; })
      .def_prop_ro("energy_scale", [](const Model& self) { return self.config.energy_scale; })
      .def_prop_ro("energy_shift", [](const Model& self) { return self.config.energy_shift; })
      .def_prop_ro("reference_energy", [](const Model& self) { return self.config.reference_energy; })
      .def_prop_ro("repulsion", [](const Model& self) { return std::string(to_string(self.config.repulsion)); })
      .def_prop_ro("weight_dtype", [](const Model& self) { return std::string(to_string(self.stored_dtype)); })
      .def_prop_ro("provenance", [](const Model& self) { return self.provenance; })
      .def_prop_ro("origin", [](const Model& self) { return self.origin; })
      .def_prop_ro("parameter_count", &Model::parameter_count)
      .def("__repr__", [](const Model& self) {
        return "<painn_md.Model " + self.origin + ": hidden " + std::to_string(self.config.hidden) + ", " +
               std::to_string(self.config.layers) + " layers, cutoff " + std::to_string(self.config.cutoff) + " A>";
      });
}

}  // namespace painn::python
