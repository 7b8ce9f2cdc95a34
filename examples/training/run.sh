#!/usr/bin/env bash
# End-to-end distillation of one molecule, on this machine, in about a minute:
#   sample ~200 configurations of aspirin -> label with GFN2-xTB (libxtb) -> train the ultratiny
#   preset -> evaluate on held-out configurations with `painn eval` (and in LAMMPS when built).
# Usage: examples/training/run.sh [OUTDIR]   (default out/training)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PAINN="$ROOT/build/bin/painn"
OUT="${1:-$ROOT/out/training}"
mkdir -p "$OUT"
cd "$OUT"
/usr/bin/python3 "$ROOT/examples/training/sample.py" "$ROOT/examples/molecules/aspirin.xyz" 220 samples.extxyz --seed 11
"$PAINN" label --teacher gfn2 samples.extxyz -o labelled.extxyz
# last 20 labelled frames are a test set the trainer never sees
/usr/bin/python3 - <<'PY'
import ase.io
frames = ase.io.read("labelled.extxyz", ":")
ase.io.write("train.extxyz", frames[:-20], format="extxyz")
ase.io.write("test.extxyz", frames[-20:], format="extxyz")
print(f"data: {len(frames) - 20} training+validation, 20 test configurations")
PY
"$PAINN" train train.extxyz -o ultratiny-aspirin.safetensors --preset ultratiny --epochs 40 --batch 16 \
  --lr 2e-3 --force-weight 15 --ema 0.95 --seed 3
"$PAINN" eval ultratiny-aspirin.safetensors test.extxyz -o test-pred.extxyz --precision fp32
/usr/bin/python3 - <<'PY'
import ase.io, csv, numpy as np
ref = ase.io.read("test.extxyz", ":")
pred = ase.io.read("test-pred.extxyz", ":")
f = np.mean([np.abs(a.get_forces() - b.get_forces()).mean() for a, b in zip(ref, pred)])
e = np.mean([abs(a.get_potential_energy() - b.get_potential_energy()) / len(a) for a, b in zip(ref, pred)])
rows = list(csv.DictReader(open("ultratiny-aspirin.safetensors.csv")))
v = [float(r["val_force_mae_eV_per_A"]) for r in rows]
print(f"validation force MAE: epoch 1 {1000*v[0]:.0f} -> epoch {len(v)} {1000*v[-1]:.0f} meV/A")
print(f"test (held-out configurations): energy MAE {1000*e:.1f} meV/atom, force MAE {1000*f:.0f} meV/A")
assert v[-1] < v[0], "validation error did not fall"
PY
# The same model in LAMMPS (types H, C, O): NVE from the test set's first configuration.
/usr/bin/python3 - "$ROOT" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/tests/lammps")
import ase.io, lammps_io
a = ase.io.read("test.extxyz", 0)
a.positions -= a.positions.min(0) - 20.0
lammps_io.write_data("aspirin-hco.data", a, ["H", "C", "O"], box_margin=20.0)
PY
"$ROOT/build/bin/lmp_painn" -in "$ROOT/examples/training/in.aspirin" -var model ultratiny-aspirin.safetensors \
  -var data aspirin-hco.data -log lammps.log -screen none
grep -A6 "^ *Step" lammps.log | head -7
echo "training example: done (outputs in $OUT)"
