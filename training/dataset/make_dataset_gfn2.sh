#!/usr/bin/env bash
# Builds the PaiNN-MD distillation data set, seeded and reproducible:
#   molecules.csv (enumerated) -> 3D (openbabel) -> GFN-FF Langevin MD at 300-800 K, 12 frames per
#   molecule, every other frame also randomly displaced -> GFN2-xTB labels -> splits.
# Usage: training/dataset/make_dataset_gfn2.sh [OUTDIR]   (default data/)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAINN="$ROOT/build/bin/painn"
OUT="${1:-$ROOT/data}"
mkdir -p "$OUT"
cd "$OUT"
/usr/bin/python3 "$HERE/make_molecules.py" molecules.csv --seed 2026
/usr/bin/python3 "$HERE/build_structures.py" molecules.csv structures.extxyz
"$PAINN" sample structures.extxyz -o configs.extxyz --frames 12 --interval 60 --temperature 300:800 \
  --displace 0.03 --seed 5
"$PAINN" label --teacher gfn2 configs.extxyz -o labelled.extxyz
/usr/bin/python3 "$HERE/split.py" labelled.extxyz . --seed 7
sha256sum molecules.csv train.extxyz val.extxyz test.extxyz test_unseen.extxyz > SHA256SUMS
cat SHA256SUMS
