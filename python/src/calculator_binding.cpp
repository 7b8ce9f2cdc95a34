// painn_md._core.Calculator: one structure in, energy, forces, virial (and per-atom energies) out.
// The GIL is released while the core computes; a mutex serialises calls on one Calculator, whose
// scratch buffers are not shared-safe (calculator.h), so Python threads may share one safely.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/array.h>
#include <nanobind/stl/string.h>

#include "bindings.h"
#include "numpy_arrays.h"
#include "painn/calculator.h"
#include "painn/error.h"

namespace nb = nanobind;

namespace painn::python {
namespace {

using Positions = nb::ndarray<const double, nb::shape<-1, 3>, nb::c_contig, nb::device::cpu>;
using Numbers = nb::ndarray<const int64_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Cell = nb::ndarray<const double, nb::shape<3, 3>, nb::c_contig, nb::device::cpu>;

struct PyCalculator {
  PyCalculator(const Model& model, const std::string& precision, int threads)
      : calc(model, precision_from_string(precision), threads) {}
  Calculator calc;
  std::unique_ptr<std::mutex> mutex = std::make_unique<std::mutex>();
};

System make_system(const Positions& positions, const Numbers& numbers, const Cell& cell, std::array<bool, 3> pbc) {
  const size_t n = positions.shape(0);
  if (numbers.shape(0) != n)
    throw Error(std::to_string(n) + " positions but " + std::to_string(numbers.shape(0)) + " atomic numbers");
  System s;
  s.positions.resize(n);
  s.atomic_numbers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) s.positions[i][k] = positions(i, k);
    const int64_t z = numbers(i);
    if (z < 1 || z > 118) throw Error("atom " + std::to_string(i) + ": atomic number " + std::to_string(z) + " is not an element");
    s.atomic_numbers[i] = static_cast<int>(z);
  }
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) s.cell[r][k] = cell(r, k);
  s.pbc = pbc;
  return s;
}

nb::dict compute(PyCalculator& self, const Positions& positions, const Numbers& numbers, const Cell& cell,
                 std::array<bool, 3> pbc, bool forces, bool per_atom_energy) {
  const System system = make_system(positions, numbers, cell, pbc);
  Request request;
  request.forces = forces;
  request.per_atom_energy = per_atom_energy;
  Result r;
  {
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(*self.mutex);
    r = self.calc.compute(system, request);
  }
  nb::dict out;
  out["energy"] = r.energy;
  if (forces) {
    out["forces"] = numpy_rows(r.forces);
    out["virial"] = numpy_array(std::vector<double>(r.virial.begin(), r.virial.end()), {3, 3});
  }
  if (per_atom_energy) out["energies"] = numpy_array(std::move(r.atom_energy), {system.positions.size()});
  return out;
}

}  // namespace

void bind_calculator(nb::module_& m) {
  nb::class_<PyCalculator>(m, "Calculator")
      .def(nb::init<const Model&, const std::string&, int>(), nb::arg("model"), nb::arg("precision") = "fp64",
           nb::arg("threads") = 0)
      .def("compute", &compute, nb::arg("positions"), nb::arg("numbers"), nb::arg("cell"), nb::arg("pbc"),
           nb::arg("forces") = true, nb::arg("per_atom_energy") = false,
           "positions [n,3] float64 (A), numbers [n] int64, cell [3,3] rows, pbc 3 bools -> dict of energy (eV), "
           "forces [n,3] (eV/A), virial [3,3] (W = -sum r (x) dE/dr, eV), energies [n] (eV)")
      .def_prop_ro("precision", [](const PyCalculator& self) { return std::string(to_string(self.calc.precision())); })
      .def_prop_ro("cutoff", [](const PyCalculator& self) { return self.calc.cutoff(); })
      .def("set_threads", [](PyCalculator& self, int threads) {
        std::lock_guard<std::mutex> lock(*self.mutex);
        self.calc.set_threads(threads);
      }, nb::arg("threads"));
}

}  // namespace painn::python
