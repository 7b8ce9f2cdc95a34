#!/usr/bin/env bash
# LAMMPS with 1 and 2 MPI ranks (1 OpenMP thread each), and 1 rank with 2 threads, on ~8,000 atoms of drug-like molecules:
# examples/lammps/box (27 molecules, 509 atoms) replicated 2 x 2 x 4 = 8,144 atoms, NVE, 0.5 fs,
# pair_style painn in fp32. Prints ms per step (LAMMPS's loop time after 5 warm-up steps) for each
# rank count and the speedup; bench/README.md records it (issue 14).
# Usage: bench/lammps_ranks.sh [STEPS (default 20)] [MODEL (default potentials/compact-fp32.safetensors)]
#   (Debian's LAMMPS through build/bin/lmp_painn and the system OpenMPI; scripts/build.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-20}
MODEL=${2:-potentials/compact-fp32.safetensors}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/in.bench" <<IN
units metal
atom_style atomic
boundary p p p
read_data examples/lammps/box/molecules.data
replicate 2 2 4
pair_style painn
pair_coeff * * $MODEL H C N O F S Cl
neighbor 1.0 bin
neigh_modify every 1 delay 0 check yes
velocity all create 300.0 87287 mom yes rot no dist gaussian
timestep 0.0005
fix nve all nve
thermo 1000
run 5
run $STEPS
IN
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
declare -A MS
# ranks x OpenMP threads per rank (pair_painn takes LAMMPS's thread count: OMP_NUM_THREADS). --bind-to none:
# OpenMPI binds each of 1-2 ranks to one core by default, which would put both threads of a rank on it.
for cfg in 1x1 2x1 1x2; do
  np=${cfg%x*} nt=${cfg#*x}
  log="$TMP/log.$cfg"
  OMP_NUM_THREADS=$nt mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -np "$np" build/bin/lmp_painn -in "$TMP/in.bench" -log none -screen "$log" > /dev/null
  # "Loop time of T on N procs for S steps with A atoms": the last one is the timed run
  line=$(grep "^Loop time" "$log" | tail -n 1)
  MS[$cfg]=$(echo "$line" | awk '{printf "%.1f", 1000 * $4 / $9}')
  atoms=$(echo "$line" | awk '{print $12}')
  echo "ranks $np x threads $nt: ${MS[$cfg]} ms/step ($atoms atoms, $STEPS steps, $MODEL)"
done
awk -v a="${MS[1x1]}" -v b="${MS[2x1]}" -v c="${MS[1x2]}" \
  'BEGIN { printf "speedup 2 ranks / 1 rank: %.2fx; 2 threads / 1 thread: %.2fx\n", a / b, a / c }'
