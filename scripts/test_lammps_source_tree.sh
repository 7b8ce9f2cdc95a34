#!/usr/bin/env bash
# The "LAMMPS you build yourself" route, tested: adds pair_style painn to a LAMMPS source tree
# (lammps_plugin/add_to_lammps.sh), builds LAMMPS with its own CMake (no optional packages), and
# runs the whole LAMMPS test file against that `lmp` (PAINN_LMP). Without an argument it uses
# Debian's source package of the installed liblammps (deb-src entry of get_lammps_headers.sh),
# unpacked into third_party/lammps-src. Needs the main build (build/bin/painn) first.
# Not part of scripts/test.sh: building LAMMPS takes about 15 minutes on 2 cores.
# Usage: scripts/test_lammps_source_tree.sh [LAMMPS_SOURCE_TREE]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LAMMPS="${1:-}"
if [ -z "$LAMMPS" ]; then
  LAMMPS="$ROOT/third_party/lammps-src"
  if [ ! -f "$LAMMPS/src/pair.h" ]; then
    "$ROOT/scripts/get_lammps_headers.sh"  # sets up deb-src for bookworm
    VERSION="$(dpkg-query -W -f='${Version}' liblammps-dev)"
    WORK="$(mktemp -d)" && chmod 755 "$WORK" && trap 'rm -rf "$WORK"' EXIT
    (cd "$WORK" && apt-get source --download-only -qq "lammps=${VERSION%+b[0-9]*}" > /dev/null)
    mkdir -p "$LAMMPS" && tar -xf "$WORK"/lammps_*.orig.tar.* -C "$LAMMPS" --strip-components=1 --no-same-owner
  fi
fi
"$ROOT/lammps_plugin/add_to_lammps.sh" "$LAMMPS"
cmake -S "$LAMMPS/cmake" -B "$ROOT/build-lammps-src" -DCMAKE_BUILD_TYPE=Release > "$ROOT/build-lammps-src.log" 2>&1 \
  || { tail -30 "$ROOT/build-lammps-src.log"; exit 1; }
cmake --build "$ROOT/build-lammps-src" -j"$(nproc)" >> "$ROOT/build-lammps-src.log" 2>&1 \
  || { tail -30 "$ROOT/build-lammps-src.log"; exit 1; }
PAINN_LMP="$ROOT/build-lammps-src/lmp" PAINN_BIN="$ROOT/build/bin/painn" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/tests/lammps/test_lammps.py"
