// Errors raised by the PaiNN-MD core. Every problem with user input (model files, structures,
// options) is reported as painn::Error with a message that names the problem; callers (CLI,
// LAMMPS, OpenMM) translate it into their own error mechanism.
#pragma once
#include <stdexcept>
#include <string>

namespace painn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace painn
