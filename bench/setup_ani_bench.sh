#!/usr/bin/env bash
# The virtualenv for `bench/openmmml_speed.py --ani2x` (not used by the tests): OpenMM 8.6.1,
# openmm-ml 1.8 and torchani 2.2.4 with PyPI's default torch 2.9.0 (CUDA 12.8 build: several GB
# of nvidia-* wheels, although only the CPU is used; openmm-ml 1.8 runs 'ani2x' through
# openmm.PythonForce, so openmmtorch is not needed). The ANI-2x weights come from a git copy of
# aiqm/ani-model-zoo (MIT; tag ani-2x), as in training/teacher/setup_teacher.sh.
# Usage: ANI_MODEL_ZOO=/path/to/ani-model-zoo.git bench/setup_ani_bench.sh [VENV (default .venv-ani)]
# Then:  PYTHONPATH=build/python-pip VENV/bin/python bench/openmmml_speed.py --sizes compact --ani2x
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$ROOT/.venv-ani}"
: "${ANI_MODEL_ZOO:?set ANI_MODEL_ZOO to a git copy of aiqm/ani-model-zoo}"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "torch==2.9.0" "openmm==8.6.1" "openmmml==1.8" "torchani==2.2.4" lark importlib-metadata
RES="$("$VENV/bin/python" -c 'import os, torchani; print(os.path.join(os.path.dirname(torchani.__file__), "resources"))')"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
git --git-dir="$ANI_MODEL_ZOO" archive ani-2x resources | tar -x -C "$TMP"
rm -rf "$RES/ani-2x_8x"
cp -r "$TMP/resources/ani-2x_8x" "$TMP/resources/ani-2x_8x.info" "$RES/"
"$VENV/bin/python" -c 'import torchani; torchani.models.ANI2x(); print("setup_ani_bench: ANI-2x loads")'
