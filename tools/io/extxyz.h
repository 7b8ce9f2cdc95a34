// Extended XYZ reading and writing, following ASE's conventions (Lattice, Properties, pbc,
// energy, stress; per-atom columns species, pos, forces, energies).
#pragma once
#include <array>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace painn {

struct Frame {
  std::vector<std::string> symbols;
  std::vector<int> atomic_numbers;
  std::vector<std::array<double, 3>> positions;
  std::array<std::array<double, 3>, 3> cell{};  // rows a, b, c
  bool has_cell = false;
  std::array<bool, 3> pbc{false, false, false};
  std::map<std::string, std::string> info;  // other key=value pairs of the comment line, raw
  // Optional labels (present when the file carries them)
  bool has_energy = false;
  double energy = 0.0;
  std::vector<std::array<double, 3>> forces;  // empty if absent
  std::vector<double> atom_energies;          // empty if absent
  bool has_stress = false;
  std::array<double, 9> stress{};  // row-major 3x3, eV/A^3
};

// Reads every frame; errors name the file (origin) and line. Throws painn::Error.
std::vector<Frame> read_extxyz(std::istream& in, const std::string& origin);
std::vector<Frame> read_extxyz_file(const std::string& path);
void write_extxyz(std::ostream& out, const Frame& frame);

}  // namespace painn
