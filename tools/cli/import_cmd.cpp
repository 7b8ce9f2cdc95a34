// painn import schnetpack MODEL.pt -o OUT.safetensors [--species H,C,N,O] [--dtype fp32|fp64]
// Reading a schnetpack model means unpickling PyTorch modules, which only Python can do: this
// runs the importer of the painn_md package (python/painn_md/schnetpack_import.py) in the Python
// named by PAINN_PYTHON (default python3), which needs torch, schnetpack and painn_md
// (`pip install .`). The importer's exit status is this command's.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"

namespace painn::cli {
namespace {

// Imports the package first, so that a Python without it (or without torch) gets a message that
// says what to install instead of a traceback.
const char* kLauncher =
    "import sys\n"
    "try:\n"
    "    import torch\n"
    "    from painn_md.schnetpack_import import main\n"
    "except ImportError as e:\n"
    "    sys.exit(f'painn import schnetpack: error: {sys.executable} cannot import the importer ({e}); '\n"
    "             'it needs torch, schnetpack and the painn_md package (pip install . in this repository); '\n"
    "             'PAINN_PYTHON names the Python to use')\n"
    "sys.exit(main(sys.argv[1:]))\n";

}  // namespace

int cmd_import(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "schnetpack")
    throw Error("import needs a source format: painn import schnetpack MODEL.pt -o OUT.safetensors");
  const char* env = std::getenv("PAINN_PYTHON");
  const std::string python = env && *env ? env : "python3";
  std::vector<std::string> args = {python, "-c", kLauncher};
  for (int k = 3; k < argc; ++k) args.push_back(argv[k]);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  execvp(python.c_str(), cargs.data());
  throw Error("cannot run Python '" + python + "' (" + std::strerror(errno) +
              "): painn import schnetpack needs a Python with torch, schnetpack and painn_md; set PAINN_PYTHON");
}

}  // namespace painn::cli
