// painn gradient MODEL IN.extxyz -o OUT.json [--precision fp64|fp32]
// For the first frame: dE/dtheta and, when the frame has reference forces, the gradient of
// sum |F - F_ref|^2 (the force-matching term), as JSON {name: [values...]} — for checking the
// trainer's gradients against an independent implementation.
#include <fstream>
#include <nlohmann/json.hpp>

#include "args.h"
#include "extxyz.h"
#include "painn/loss.h"

namespace painn::cli {

int cmd_gradient(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {});
  if (a.positional.size() != 2) throw Error("gradient needs MODEL and IN.extxyz");
  const Model m = Model::load(a.positional[0]);
  const Calculator calc(m, precision_from_string(a.get("--precision", "fp64")), 1);
  const Frame f = read_extxyz_file(a.positional[1]).at(0);
  Sample s;
  s.system.positions = f.positions;
  s.system.atomic_numbers = f.atomic_numbers;
  s.system.cell = f.cell;
  s.system.pbc = f.pbc;
  Request req;
  req.parameter_gradient = true;
  nlohmann::json out;
  out["energy"] = calc.compute(s.system, req).parameter_gradient;
  if (f.forces.size() == f.positions.size()) {
    s.forces = f.forces;
    s.energy = f.has_energy ? f.energy : 0.0;
    out["force_loss"] = structure_terms(calc, s, true).grad_f_term;
  }
  std::ofstream(a.need("-o")) << out.dump();
  return 0;
}

}  // namespace painn::cli
