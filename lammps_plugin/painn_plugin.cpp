// `plugin load painn_lammps_plugin.so` for LAMMPS builds with the PLUGIN package.
#include "lammpsplugin.h"
#include "pair_painn.h"
#include "version.h"

using namespace LAMMPS_NS;

static Pair *create_painn(LAMMPS *lmp) { return new PairPaiNN(lmp); }

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc) {
  lammpsplugin_t plugin;
  auto register_plugin = (lammpsplugin_regfunc) regfunc;
  plugin.version = LAMMPS_VERSION;
  plugin.style = "pair";
  plugin.name = "painn";
  plugin.info = "PaiNN neural-network potential (PaiNN-MD)";
  plugin.author = "PaiNN-MD developers";
  plugin.creator.v1 = (lammpsplugin_factory1 *) &create_painn;
  plugin.handle = handle;
  (*register_plugin)(&plugin, lmp);
}
