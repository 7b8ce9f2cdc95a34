// painn: command-line front end of the PaiNN-MD core.
//   painn init --preset NAME --species H,C,N,O [--seed S] [--basis bessel|gaussian] [--dtype D]
//              [--repulsion none|zbl] [--repulsion-scale C] -o OUT
//   painn info MODEL [--json]
//   painn convert MODEL --to fp64|fp32|fp16|int8 -o OUT
//   painn eval MODEL IN.extxyz -o OUT.extxyz [--precision fp64|fp32] [--threads N] [--per-atom]
//   painn import schnetpack MODEL.pt -o OUT [--species H,C,N,O] [--dtype fp32|fp64]
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../io/extxyz.h"
#include "args.h"
#include "painn/calculator.h"
#include "painn/error.h"
#include "painn/model.h"
#include "painn/repulsion.h"

using namespace painn;
using namespace painn::cli;

namespace {

const char* kUsage =
    "usage: painn <command> [options]\n"
    "  init    --preset current|compact|efficient|tiny|ultratiny --species H,C,N,O [--seed N]\n"
    "          [--basis bessel|gaussian] [--shared-filters] [--dtype fp32]\n"
    "          [--repulsion none|zbl] [--repulsion-scale 1] [--vector-norm-epsilon 1e-8] -o OUT.safetensors\n"
    "  info    MODEL [--json]\n"
    "  convert MODEL --to fp64|fp32|fp16|int8 -o OUT.safetensors\n"
    "  eval    MODEL IN.extxyz -o OUT.extxyz [--precision fp64|fp32] [--threads N] [--per-atom]\n"
    "  label   --teacher gfn2|MODEL IN.extxyz -o OUT.extxyz [--charge Q] [--threads N] [--mix-alpha A]\n"
    "  sample  IN.extxyz -o OUT.extxyz [--frames 10 --temperature 300:800 --interval 50 --displace 0.03]\n"
    "  import  schnetpack MODEL.pt -o OUT.safetensors [--species H,C,N,O] [--dtype fp32|fp64]\n"
    "          (runs painn_md's importer in PAINN_PYTHON, default python3: torch, schnetpack, painn_md)\n"
    "  gradient MODEL IN.extxyz -o OUT.json   (parameter gradients of the first frame, for tests)\n"
    "  train   DATA.extxyz [...] -o OUT.safetensors (--preset NAME | --init MODEL) [options; painn train -h]\n";

std::string species_list(const ModelConfig& c) {
  std::string s;
  for (int z : c.species) s += (s.empty() ? "" : ",") + element_symbol(z);
  return s;
}

// "none", or "zbl, pair cutoff 1 x (r_i + r_j), radii H 0.31 C 0.76 A"
std::string repulsion_summary(const ModelConfig& c) {
  if (c.repulsion == Repulsion::none) return "none";
  std::ostringstream s;
  s << to_string(c.repulsion) << ", pair cutoff " << c.repulsion_cutoff_scale << " x (r_i + r_j), radii";
  for (size_t k = 0; k < c.species.size(); ++k) s << " " << element_symbol(c.species[k]) << " " << c.repulsion_radii[k];
  s << " A";
  if (c.network_inner_width > 0.0)
    s << "; network off below " << c.network_inner_cutoff << " A, switched in up to "
      << c.network_inner_cutoff + c.network_inner_width << " A";
  return s.str();
}

size_t file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<size_t>(in.tellg()) : 0;
}

// --repulsion none|zbl, --repulsion-scale C: ZBL with covalent radii, pair cutoffs C (r_i + r_j).
void apply_repulsion_options(const Args& a, ModelConfig& c) {
  if (repulsion_from_string(a.get("--repulsion", "none")) == Repulsion::zbl)
    use_zbl_repulsion(c, parse_double(a.get("--repulsion-scale", "1"), "--repulsion-scale"));
  else if (a.has("--repulsion-scale"))
    throw Error("--repulsion-scale needs --repulsion zbl");
}

int cmd_init(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {"--shared-filters"});
  ModelConfig c = preset(a.need("--preset"), parse_species(a.need("--species")));
  if (a.has("--basis")) {
    const std::string b = a.get("--basis");
    if (b == "bessel") c.basis = RadialBasis::bessel;
    else if (b == "gaussian") c.basis = RadialBasis::gaussian;
    else throw Error("--basis must be bessel or gaussian");
  }
  c.shared_filters = a.has("--shared-filters");
  apply_repulsion_options(a, c);
  if (a.has("--vector-norm-epsilon"))
    c.vector_norm_epsilon = parse_double(a.get("--vector-norm-epsilon"), "--vector-norm-epsilon");
  const uint64_t seed = static_cast<uint64_t>(parse_int(a.get("--seed", "0"), "--seed"));
  Model m = Model::random(c, seed);
  m.provenance["preset"] = a.need("--preset");
  m.save(a.need("-o"), weight_dtype_from_string(a.get("--dtype", "fp32")));
  std::cout << "wrote " << a.need("-o") << " (" << a.need("--preset") << ", " << m.parameter_count()
            << " parameters, species " << species_list(c) << ")\n";
  return 0;
}

int cmd_info(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {"--json"});
  if (a.positional.size() != 1) throw Error("info needs exactly one MODEL");
  const std::string path = a.positional[0];
  Model m = Model::load(path);
  const ModelConfig& c = m.config;
  nlohmann::json j;
  j["path"] = path;
  j["hidden"] = c.hidden;
  j["layers"] = c.layers;
  j["rbf"] = c.rbf;
  j["cutoff"] = c.cutoff;
  j["radial_basis"] = to_string(c.basis);
  j["shared_filters"] = c.shared_filters;
  j["head_hidden"] = c.head_hidden;
  j["species"] = c.species;
  std::vector<std::string> symbols;
  for (int z : c.species) symbols.push_back(element_symbol(z));
  j["elements"] = symbols;
  j["parameters"] = m.parameter_count();
  j["parameters_formula"] = Model::parameter_count_formula(c);
  j["weight_dtype"] = to_string(m.stored_dtype);
  j["bytes"] = file_size(path);
  j["reference_energy"] = c.reference_energy;
  j["energy_scale"] = c.energy_scale;
  j["energy_shift"] = c.energy_shift;
  j["repulsion"] = to_string(c.repulsion);
  if (c.repulsion != Repulsion::none) {
    j["repulsion_radii"] = c.repulsion_radii;
    j["repulsion_cutoff_scale"] = c.repulsion_cutoff_scale;
  }
  j["network_inner_cutoff"] = c.network_inner_cutoff;
  j["network_inner_width"] = c.network_inner_width;
  j["vector_norm_epsilon"] = c.vector_norm_epsilon;
  j["provenance"] = m.provenance;
  if (a.has("--json")) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "model        " << path << "\n"
            << "architecture PaiNN, hidden " << c.hidden << ", " << c.layers << " layers, " << c.rbf << " "
            << to_string(c.basis) << " radial functions, cutoff " << c.cutoff << " A"
            << (c.shared_filters ? ", shared filters" : "") << ", vector norm epsilon " << c.vector_norm_epsilon << "\n"
            << "head         " << c.hidden;
  for (int w : c.head_hidden) std::cout << " -> " << w;
  std::cout << " -> 1 (SiLU)\n"
            << "parameters   " << m.parameter_count() << " (formula: " << Model::parameter_count_formula(c) << ")\n"
            << "weights      " << to_string(m.stored_dtype) << ", file " << file_size(path) << " bytes\n"
            << "species      " << species_list(c) << "\n"
            << "units        angstrom, eV\n"
            << "repulsion    " << repulsion_summary(c) << "\n";
  for (const auto& [k, v] : m.provenance) std::cout << "provenance   " << k << ": " << v << "\n";
  return 0;
}

int cmd_convert(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {});
  if (a.positional.size() != 1) throw Error("convert needs exactly one MODEL");
  Model m = Model::load(a.positional[0]);
  const WeightDtype to = weight_dtype_from_string(a.need("--to"));
  m.provenance["converted_from"] = std::string(to_string(m.stored_dtype)) + " " + a.positional[0];
  m.save(a.need("-o"), to);
  std::cout << "wrote " << a.need("-o") << " (" << to_string(to) << ", " << file_size(a.need("-o")) << " bytes)\n";
  return 0;
}

int cmd_eval(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {"--per-atom"});
  if (a.positional.size() != 2) throw Error("eval needs MODEL and IN.extxyz");
  const Model m = Model::load(a.positional[0]);
  const Precision prec = precision_from_string(a.get("--precision", "fp64"));
  const int threads = parse_int(a.get("--threads", "0"), "--threads");
  Calculator calc(m, prec, threads);
  std::vector<Frame> frames = read_extxyz_file(a.positional[1]);
  if (frames.empty()) throw Error("structure file '" + a.positional[1] + "' holds no frames (it is empty)");
  std::ofstream out(a.need("-o"));
  if (!out) throw Error("cannot write '" + a.need("-o") + "'");
  Request req;
  req.per_atom_energy = a.has("--per-atom");
  for (size_t k = 0; k < frames.size(); ++k) {
    Frame& f = frames[k];
    System s;
    s.positions = f.positions;
    s.atomic_numbers = f.atomic_numbers;
    s.cell = f.cell;
    s.pbc = f.pbc;
    Result r;
    try {
      r = calc.compute(s, req);
    } catch (const Error& e) {
      throw Error("frame " + std::to_string(k) + " of " + a.positional[1] + ": " + e.what());
    }
    f.has_energy = true;
    f.energy = r.energy;
    f.forces = r.forces;
    f.atom_energies = r.atom_energy;
    f.has_stress = false;
    if (f.pbc[0] && f.pbc[1] && f.pbc[2]) {
      const auto& C = f.cell;
      const double vol = std::fabs(C[0][0] * (C[1][1] * C[2][2] - C[1][2] * C[2][1]) -
                                   C[0][1] * (C[1][0] * C[2][2] - C[1][2] * C[2][0]) +
                                   C[0][2] * (C[1][0] * C[2][1] - C[1][1] * C[2][0]));
      f.has_stress = true;
      for (int c = 0; c < 9; ++c) f.stress[c] = -r.virial[c] / vol;  // ASE sign
    }
    write_extxyz(out, f);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "init") return cmd_init(argc, argv);
    if (cmd == "info") return cmd_info(argc, argv);
    if (cmd == "convert") return cmd_convert(argc, argv);
    if (cmd == "eval") return cmd_eval(argc, argv);
    if (cmd == "label") return cmd_label(argc, argv);
    if (cmd == "train") return cmd_train(argc, argv);
    if (cmd == "sample") return cmd_sample(argc, argv);
    if (cmd == "gradient") return cmd_gradient(argc, argv);
    if (cmd == "import") return cmd_import(argc, argv);
    std::cerr << "painn: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const Error& e) {
    std::cerr << "painn " << cmd << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "painn " << cmd << ": unexpected error: " << e.what() << "\n";
    return 1;
  }
}
