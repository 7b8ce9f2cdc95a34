#!/usr/bin/env bash
# Configures and builds PaiNN-MD into build/ (Release, all components found on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" > build.cmake.log 2>&1 || { cat build.cmake.log; exit 1; }
grep -E "^-- PaiNN" build.cmake.log || true
cmake --build build -j"$(nproc)"
