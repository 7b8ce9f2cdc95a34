// Small command-line argument helpers shared by the painn subcommands.
#pragma once
#include <cctype>
#include <climits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "painn/error.h"
#include "painn/model.h"

namespace painn::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --key value, or --flag -> "1"

  bool has(const std::string& k) const { return options.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = options.find(k);
    return it == options.end() ? def : it->second;
  }
  std::string need(const std::string& k) const {
    auto it = options.find(k);
    if (it == options.end()) throw Error("missing option " + k);
    return it->second;
  }
};

inline Args parse(int argc, char** argv, int start, const std::vector<std::string>& flags) {
  Args a;
  for (int k = start; k < argc; ++k) {
    std::string s = argv[k];
    if (s.size() > 1 && s[0] == '-' && !(s.size() > 1 && (std::isdigit(static_cast<unsigned char>(s[1])) || s[1] == '.'))) {
      bool is_flag = false;
      for (const auto& f : flags) is_flag |= (f == s);
      if (is_flag) {
        a.options[s] = "1";
      } else {
        if (k + 1 >= argc) throw Error("option " + s + " needs a value");
        a.options[s] = argv[++k];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

inline std::vector<int> parse_species(const std::string& list) {
  std::vector<int> z;
  std::stringstream ss(list);
  std::string sym;
  while (std::getline(ss, sym, ',')) {
    if (sym.empty()) continue;
    z.push_back(atomic_number(sym));
  }
  if (z.empty()) throw Error("--species needs at least one element, e.g. H,C,N,O");
  return z;
}

inline int parse_int(const std::string& s, const std::string& what) {
  try {
    size_t pos = 0;
    long long v = std::stoll(s, &pos);
    if (pos != s.size() || v < INT_MIN || v > INT_MAX) throw std::invalid_argument("");
    return static_cast<int>(v);
  } catch (const std::exception&) {
    throw Error(what + " must be an integer (of 32 bits), got '" + s + "'");
  }
}

inline double parse_double(const std::string& s, const std::string& what) {
  try {
    size_t pos = 0;
    double v = std::stod(s, &pos);
    if (pos != s.size()) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    throw Error(what + " must be a number, got '" + s + "'");
  }
}

int cmd_label(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_sample(int argc, char** argv);
int cmd_gradient(int argc, char** argv);
int cmd_import(int argc, char** argv);  // import schnetpack: delegates to Python (import_cmd.cpp)

}  // namespace painn::cli
