#include <array>
#include <string>

#include "painn/error.h"
#include "painn/model.h"

namespace painn {

namespace {
const std::array<std::string, 119> kSymbols = {
    "X",  "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",
    "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn",
    "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
    "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po",
    "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md",
    "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};
}  // namespace

int atomic_number(const std::string& symbol) {
  for (size_t z = 1; z < kSymbols.size(); ++z)
    if (kSymbols[z] == symbol) return static_cast<int>(z);
  throw Error("unknown element symbol '" + symbol + "'");
}

const std::string& element_symbol(int z) {
  if (z < 1 || z >= static_cast<int>(kSymbols.size()))
    throw Error("atomic number " + std::to_string(z) + " is out of range 1..118");
  return kSymbols[z];
}

double standard_atomic_mass(int z) {
  // IUPAC standard atomic weights (abridged), amu, for the elements of organic chemistry.
  static const double m[] = {0,      1.008,  4.0026, 6.94,   9.0122, 10.81,  12.011, 14.007, 15.999, 18.998,
                             20.180, 22.990, 24.305, 26.982, 28.085, 30.974, 32.06,  35.45,  39.948, 39.098,
                             40.078};
  if (z >= 1 && z <= 20) return m[z];
  if (z == 35) return 79.904;
  if (z == 53) return 126.90;
  throw Error("no standard atomic mass tabulated for " + (z >= 1 && z <= 118 ? element_symbol(z) : "Z=" + std::to_string(z)));
}

double covalent_radius(int z) {
  // Cordero et al., Dalton Trans. 2008, 2832 (Angstrom; C is sp3). The default per-species radii
  // of a model's ZBL repulsion (docs/model-format.md section 8).
  static const double r[] = {0,    0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58,
                             1.66, 1.41, 1.21, 1.11, 1.07, 1.05, 1.02, 1.06, 2.03, 1.76};
  if (z >= 1 && z <= 20) return r[z];
  if (z == 35) return 1.20;
  if (z == 53) return 1.39;
  throw Error("no covalent radius tabulated for " + (z >= 1 && z <= 118 ? element_symbol(z) : "Z=" + std::to_string(z)) +
              " (the ZBL repulsion needs one per species)");
}

}  // namespace painn
