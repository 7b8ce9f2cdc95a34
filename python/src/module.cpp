// painn_md._core: the PaiNN-MD core for Python. painn::Error (bad model files, unknown elements,
// NaN positions, ...) becomes painn_md.PaiNNError, a ValueError carrying the core's message.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "bindings.h"
#include "painn/error.h"
#include "painn/model.h"

namespace nb = nanobind;

NB_MODULE(_core, m) {
  m.doc() = "PaiNN-MD core: load PaiNN models, evaluate energies, forces and virials";
  nb::exception<painn::Error>(m, "PaiNNError", PyExc_ValueError);
  m.def("atomic_number", &painn::atomic_number, nb::arg("symbol"), "H -> 1, ..., Og -> 118 (PaiNNError if unknown)");
  m.def("element_symbol", &painn::element_symbol, nb::arg("z"));
  painn::python::bind_model(m);
  painn::python::bind_calculator(m);
}
