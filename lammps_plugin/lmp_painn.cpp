// lmp_painn: LAMMPS (Debian's liblammps) with pair_style painn registered; otherwise it behaves
// like `lmp`: the same command-line flags (-in, -var, -log, -screen, -echo, -sf, ...) and MPI use
// (the body of LAMMPS's src/main.cpp for a build without LAMMPS_EXCEPTIONS, as Debian's is).
#include <mpi.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "accelerator_kokkos.h"
#include "force.h"
#include "input.h"
#include "lammps.h"
#include "lmppython.h"
#include "pair_painn.h"
#include "version.h"

using namespace LAMMPS_NS;

static Pair *create_painn(LAMMPS *lmp) { return new PairPaiNN(lmp); }

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  try {
    LAMMPS *lmp = new LAMMPS(argc, argv, MPI_COMM_WORLD);
    // Headers and library must be the same LAMMPS (class layouts); refuse a mismatch early.
    if (std::strcmp(lmp->version, LAMMPS_VERSION) != 0) {
      std::fprintf(stderr, "lmp_painn: built with LAMMPS headers of %s but runs with liblammps %s; rebuild\n",
                   LAMMPS_VERSION, lmp->version);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    (*lmp->force->pair_map)["painn"] = &create_painn;
    lmp->input->file();
    delete lmp;
  } catch (std::exception &e) {
    std::fprintf(stderr, "lmp_painn: %s\n", e.what());
    KokkosLMP::finalize();
    Python::finalize();
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  KokkosLMP::finalize();
  Python::finalize();
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
