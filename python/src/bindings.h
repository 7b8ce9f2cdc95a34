// The parts of painn_md._core, each defined in its own file and registered by module.cpp.
#pragma once
#include <nanobind/nanobind.h>

namespace painn::python {

void bind_model(nanobind::module_& m);       // painn_md.Model (model_binding.cpp)
void bind_calculator(nanobind::module_& m);  // painn_md._core.Calculator (calculator_binding.cpp)

}  // namespace painn::python
