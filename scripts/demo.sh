#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the PaiNN-MD example.
# Until trained potentials ship, the example evaluates a compact-preset model with random
# (calibrated) weights on aspirin; results land in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p out
MODEL=out/compact-random.safetensors
build/bin/painn init --preset compact --species H,C,N,O --seed 7 -o "$MODEL"
build/bin/painn info "$MODEL"
build/bin/painn eval "$MODEL" examples/molecules/aspirin.xyz -o out/aspirin-eval.extxyz --precision fp64
echo "demo: energy and forces written to out/aspirin-eval.extxyz"
/usr/bin/python3 - <<'PY'
import ase.io
a = ase.io.read("out/aspirin-eval.extxyz")
print(f"demo: ASE reads E = {a.get_potential_energy():.6f} eV, max |F| = {abs(a.get_forces()).max():.4f} eV/A")
PY
