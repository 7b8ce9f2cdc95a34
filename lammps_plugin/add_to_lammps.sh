#!/usr/bin/env bash
# Adds pair_style painn to a LAMMPS source tree (any release from 2021 on), to be built with
# LAMMPS's CMake as usual:
#   lammps_plugin/add_to_lammps.sh /path/to/lammps
#   cmake -S /path/to/lammps/cmake -B build-lammps [your options] && cmake --build build-lammps -j
# Copies the pair style into src/ and includes lammps_plugin/lammps_source_tree.cmake (which
# builds the PaiNN-MD core from this checkout) at the end of cmake/CMakeLists.txt. Idempotent:
# running it again refreshes the copies and leaves one include.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
LAMMPS="${1:?usage: $0 /path/to/lammps (the source tree: src/ and cmake/)}"
[ -f "$LAMMPS/src/pair.h" ] && [ -f "$LAMMPS/cmake/CMakeLists.txt" ] || {
  echo "add_to_lammps: $LAMMPS is not a LAMMPS source tree (no src/pair.h or cmake/CMakeLists.txt)" >&2; exit 1; }
cp "$HERE/pair_painn.h" "$HERE/pair_painn.cpp" "$HERE/lammps_api.h" "$LAMMPS/src/"
MARK="# PaiNN-MD: pair_style painn"
if ! grep -qF "$MARK" "$LAMMPS/cmake/CMakeLists.txt"; then
  printf '\n%s\ninclude(%s/lammps_source_tree.cmake)\n' "$MARK" "$HERE" >> "$LAMMPS/cmake/CMakeLists.txt"
fi
echo "add_to_lammps: pair_style painn added to $LAMMPS (build it with LAMMPS's CMake)"
