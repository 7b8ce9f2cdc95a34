#!/usr/bin/env bash
# The C++ tests and the Python tests that drive the painn CLI, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (incl. float-cast-overflow; any report is fatal) into build-asan/.
# LAMMPS and OpenMM are left out (their host processes are not sanitized).
#   scripts/sanitize.sh [extra ctest arguments]      JOBS=N (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAINN_BUILD_LAMMPS=OFF -DPAINN_BUILD_OPENMM=OFF \
  -DCMAKE_CXX_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  > build-asan.cmake.log 2>&1 || { cat build-asan.cmake.log; exit 1; }
cmake --build build-asan -j"${JOBS:-2}" --target painn painn_core_tests
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PAINN_SANITIZED=1  # tests that bound memory with RLIMIT_AS use ASan's limits instead
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizers/lsan.supp}  # third-party leaks only
cd build-asan
# C++ tests, and the CLI-driving Python tests (oracle comparison, trainer, shipped potentials, hostile input).
# Left out: tests of other processes (LAMMPS, OpenMM, the Python package, the teacher venv, MD through
# build/'s LAMMPS) and the oracle's self-test (no painn process).
ctest --output-on-failure -j"${JOBS:-2}" \
  -E "oracle_self_tests|lammps|openmm|md_stability|teacher_labeller|pipeline_quick|python_ase|schnetpack|readme" "$@"
