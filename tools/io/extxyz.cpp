#include "extxyz.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "painn/error.h"
#include "painn/model.h"

namespace painn {

namespace {

constexpr int kMaxColumns = 1000;  // per-atom columns a Properties line may declare

// Splits `key=value key="quoted value"` pairs of an extxyz comment line.
std::map<std::string, std::string> parse_comment(const std::string& line, const std::string& where) {
  std::map<std::string, std::string> kv;
  size_t p = 0;
  const size_t n = line.size();
  while (p < n) {
    while (p < n && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    if (p >= n) break;
    size_t k0 = p;
    while (p < n && line[p] != '=' && !std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    std::string key = line.substr(k0, p - k0);
    std::string value = "T";  // a bare key is a true flag
    if (p < n && line[p] == '=') {
      ++p;
      if (p < n && (line[p] == '"' || line[p] == '\'')) {
        const char quote = line[p++];
        size_t v0 = p;
        while (p < n && line[p] != quote) ++p;
        if (p >= n) throw Error(where + "unterminated quote in the comment line");
        value = line.substr(v0, p - v0);
        ++p;
      } else {
        size_t v0 = p;
        while (p < n && !std::isspace(static_cast<unsigned char>(line[p]))) ++p;
        value = line.substr(v0, p - v0);
      }
    }
    kv[key] = value;
  }
  return kv;
}

std::vector<double> parse_numbers(const std::string& s, const std::string& what, const std::string& where) {
  std::istringstream ss(s);
  std::vector<double> v;
  std::string tok;
  while (ss >> tok) {
    try {
      size_t pos = 0;
      v.push_back(std::stod(tok, &pos));
      if (pos != tok.size()) throw std::invalid_argument(tok);
    } catch (const std::exception&) {
      throw Error(where + what + ": '" + tok + "' is not a number");
    }
  }
  return v;
}

bool parse_bool(const std::string& t) { return t == "T" || t == "True" || t == "true" || t == "1"; }

struct Column {
  std::string name;
  char type;
  int count;
};

}  // namespace

std::vector<Frame> read_extxyz(std::istream& in, const std::string& origin) {
  std::vector<Frame> frames;
  std::string line;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where0 = origin + ":" + std::to_string(lineno) + ": ";
    long natoms = -1;
    try {
      size_t pos = 0;
      natoms = std::stol(line, &pos);
      if (line.find_first_not_of(" \t\r", pos) != std::string::npos) natoms = -1;
    } catch (const std::exception&) {
      natoms = -1;
    }
    if (natoms < 0) throw Error(where0 + "expected the atom count, found '" + line + "'");
    if (!std::getline(in, line)) throw Error(where0 + "file ends before the comment line (truncated)");
    ++lineno;
    const std::string where = origin + ":" + std::to_string(lineno) + ": ";
    Frame f;
    auto kv = parse_comment(line, where);
    std::vector<Column> cols = {{"species", 'S', 1}, {"pos", 'R', 3}};
    int total_columns = 0;
    if (auto it = kv.find("Properties"); it != kv.end()) {
      cols.clear();
      std::vector<std::string> parts;
      std::stringstream ss(it->second);
      std::string part;
      while (std::getline(ss, part, ':')) parts.push_back(part);
      if (parts.size() % 3 != 0) throw Error(where + "Properties must be name:type:count triples");
      for (size_t k = 0; k < parts.size(); k += 3) {
        // count: a plain positive decimal, at most kMaxColumns (an atom line cannot hold more)
        const std::string& cs = parts[k + 2];
        bool digits = !cs.empty() && cs.size() <= 6 && cs[0] != '0';
        for (char ch : cs) digits &= ch >= '0' && ch <= '9';
        const int count = digits ? std::stoi(cs) : 0;
        if (count < 1 || count > kMaxColumns || parts[k + 1].size() != 1)
          throw Error(where + "bad Properties entry '" + parts[k] + ":" + parts[k + 1] + ":" + cs +
                      "' (type is one letter, count 1.." + std::to_string(kMaxColumns) + ")");
        total_columns += count;
        cols.push_back({parts[k], parts[k + 1][0], count});
      }
      if (total_columns > kMaxColumns)
        throw Error(where + "Properties declare " + std::to_string(total_columns) + " columns, more than " +
                    std::to_string(kMaxColumns));
      kv.erase(it);
    }
    if (auto it = kv.find("Lattice"); it != kv.end()) {
      auto v = parse_numbers(it->second, "Lattice", where);
      if (v.size() != 9) throw Error(where + "Lattice needs 9 numbers");
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) f.cell[a][b] = v[3 * a + b];
      f.has_cell = true;
      f.pbc = {true, true, true};  // ASE's default when a lattice is given
      kv.erase(it);
    }
    if (auto it = kv.find("pbc"); it != kv.end()) {
      std::istringstream ss(it->second);
      std::string t;
      int d = 0;
      while (ss >> t && d < 3) f.pbc[d++] = parse_bool(t);
      if (d != 3) throw Error(where + "pbc needs 3 flags");
      kv.erase(it);
    }
    if (!f.has_cell && (f.pbc[0] || f.pbc[1] || f.pbc[2])) throw Error(where + "periodic frame without a Lattice");
    if (auto it = kv.find("energy"); it != kv.end()) {
      auto v = parse_numbers(it->second, "energy", where);
      if (v.size() != 1) throw Error(where + "energy needs one number");
      f.has_energy = true;
      f.energy = v[0];
      kv.erase(it);
    }
    if (auto it = kv.find("stress"); it != kv.end()) {
      auto v = parse_numbers(it->second, "stress", where);
      if (v.size() == 9) {
        for (int k = 0; k < 9; ++k) f.stress[k] = v[k];
      } else if (v.size() == 6) {  // Voigt xx yy zz yz xz xy
        f.stress = {v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2]};
      } else {
        throw Error(where + "stress needs 6 or 9 numbers");
      }
      f.has_stress = true;
      kv.erase(it);
    }
    f.info = kv;
    bool have_species = false, have_pos = false;
    for (const auto& c : cols) {
      have_species |= c.name == "species";
      have_pos |= c.name == "pos";
    }
    if (!have_species || !have_pos) throw Error(where + "Properties must include species and pos");
    for (long a = 0; a < natoms; ++a) {
      if (!std::getline(in, line))
        throw Error(origin + ": file ends after " + std::to_string(a) + " of " + std::to_string(natoms) +
                    " atom lines (truncated)");
      ++lineno;
      const std::string wa = origin + ":" + std::to_string(lineno) + ": ";
      std::istringstream ss(line);
      for (const auto& c : cols) {
        std::vector<std::string> tok;
        for (int k = 0; k < c.count; ++k) {
          std::string t;
          if (!(ss >> t)) throw Error(wa + "too few columns for the Properties");
          tok.push_back(std::move(t));
        }
        auto num = [&](int k) {
          try {
            size_t pos = 0;
            double x = std::stod(tok[k], &pos);
            if (pos != tok[k].size()) throw std::invalid_argument("");
            return x;
          } catch (const std::exception&) {
            // "nan" and "inf" parse through stod; anything else is malformed
            throw Error(wa + "'" + tok[k] + "' in column " + c.name + " is not a number");
          }
        };
        if (c.name == "species") {
          f.symbols.push_back(tok[0]);
          f.atomic_numbers.push_back(atomic_number(tok[0]));
        } else if (c.name == "pos" && c.count == 3) {
          f.positions.push_back({num(0), num(1), num(2)});
        } else if (c.name == "forces" && c.count == 3) {
          f.forces.push_back({num(0), num(1), num(2)});
        } else if (c.name == "energies" && c.count == 1) {
          f.atom_energies.push_back(num(0));
        }
      }
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

std::vector<Frame> read_extxyz_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("structure file '" + path + "' is a directory");
  std::ifstream in(path);
  if (!in) throw Error("cannot open structure file '" + path + "'");
  return read_extxyz(in, path);
}

void write_extxyz(std::ostream& out, const Frame& f) {
  char buf[64];
  auto num = [&](double x) {
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return std::string(buf);
  };
  const size_t n = f.positions.size();
  out << n << "\n";
  std::string props = "species:S:1:pos:R:3";
  if (!f.forces.empty()) props += ":forces:R:3";
  if (!f.atom_energies.empty()) props += ":energies:R:1";
  if (f.has_cell) {
    out << "Lattice=\"";
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out << (a || b ? " " : "") << num(f.cell[a][b]);
    out << "\" ";
  }
  out << "Properties=" << props;
  if (f.has_energy) out << " energy=" << num(f.energy);
  if (f.has_stress) {
    out << " stress=\"";
    for (int k = 0; k < 9; ++k) out << (k ? " " : "") << num(f.stress[k]);
    out << "\"";
  }
  for (const auto& [k, v] : f.info) out << " " << k << "=\"" << v << "\"";
  out << " pbc=\"" << (f.pbc[0] ? "T" : "F") << " " << (f.pbc[1] ? "T" : "F") << " " << (f.pbc[2] ? "T" : "F")
      << "\"\n";
  for (size_t i = 0; i < n; ++i) {
    out << (i < f.symbols.size() ? f.symbols[i] : element_symbol(f.atomic_numbers[i]));
    for (int c = 0; c < 3; ++c) out << " " << num(f.positions[i][c]);
    if (!f.forces.empty())
      for (int c = 0; c < 3; ++c) out << " " << num(f.forces[i][c]);
    if (!f.atom_energies.empty()) out << " " << num(f.atom_energies[i]);
    out << "\n";
  }
}

}  // namespace painn
