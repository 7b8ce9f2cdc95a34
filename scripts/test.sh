#!/usr/bin/env bash
# One command for every test: installs what is missing, builds, runs the whole suite via ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
training/teacher/setup_teacher.sh   # teacher venv for the labeller and pipeline tests (ANI-1x)
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
