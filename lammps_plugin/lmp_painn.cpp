// lmp_painn: LAMMPS (Debian's liblammps) with pair_style painn registered; otherwise it behaves
// like `lmp`: the same command-line flags (-in, -var, -log, -screen, -echo, ...) and MPI use.
#include <mpi.h>

#include <cstdio>

#include "force.h"
#include "input.h"
#include "lammps.h"
#include "pair_painn.h"

using namespace LAMMPS_NS;

static Pair *create_painn(LAMMPS *lmp) { return new PairPaiNN(lmp); }

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  try {
    LAMMPS *lmp = new LAMMPS(argc, argv, MPI_COMM_WORLD);
    (*lmp->force->pair_map)["painn"] = &create_painn;
    lmp->input->file();
    delete lmp;
  } catch (std::exception &e) {
    std::fprintf(stderr, "lmp_painn: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
