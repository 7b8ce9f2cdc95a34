#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs molecular dynamics with a shipped
# potential: 27 drug-like molecules in a periodic box with the compact PaiNN potential in LAMMPS
# (NVT at 300 K, then NVE), on 2 MPI ranks. Output and log in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p out/demo
build/bin/painn info potentials/compact-fp32.safetensors
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -np 2 build/bin/lmp_painn -in examples/lammps/box/in.box \
  -var nvt_steps 200 -var nve_steps 200 -log out/demo/log.lammps
echo "demo: LAMMPS log in out/demo/log.lammps"
