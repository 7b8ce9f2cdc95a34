#!/usr/bin/env bash
# Four-membered-ring round on top of data set v2: compressed and opened rings, labelled by the
# teacher. Each step is skipped when its output exists, so an interrupted run continues.
#
#   molecules: every training molecule of DATA with a four-membered ring (its lowest-energy
#   frame) + N_NEW new MOSES train-split molecules with one, whose scaffolds are not in the data
#   set (RDKit ETKDG + MMFF)                                       [moses_molecules.py --ring-size 4]
#   -> for each ring and both 1,3 pairs: the pair walked from +0.15 A to -0.45 A of its relaxed
#      distance, the rest relaxed with GUIDE, each point also with a 0.03 A thermal displacement
#                                                                   [ring_frames.py]
#   -> teacher labels with the ensemble spread                      [label_ase.py]
#   -> the data set's trust and spread filters, split 80/10/10      [finish_v2.py]
#   -> OUT/train_plus_rings.extxyz: DATA's train split + EXTRA train files + the round's train.
# The round's test split stays out of training (it measures the rings where the students were
# soft); none of the unseen-scaffold molecules is used (MOSES train split only).
#
# Usage: training/dataset/ring_round.sh DATA OUT GUIDE [EXTRA_TRAIN.extxyz ...]
#   DATA: the unpacked data set v2; GUIDE: a student model file (the relaxations' guide).
#   Env: N_NEW=120 SEED=4044 TEACHER=ani2x (ani1x: CI's quick test, H C N O) SAMPLE=300000
# Needs the teacher venv (training/teacher/setup_teacher.sh; ANI-2x weights for ani2x) and the
# project's Python venv with painn_md (scripts/setup_python.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ $# -ge 3 ] || { sed -n 2,21p "$0"; exit 2; }
DATA="$(cd "$1" && pwd)"
OUT="$2"
GUIDE="$(realpath "$3")"
shift 3
EXTRA=()
for f in "$@"; do EXTRA+=("$(realpath "$f")"); done
PY="${PY:-$ROOT/.venv-teacher/bin/python}"
PYP="${PYP:-$ROOT/.venv-python/bin/python}"
N_NEW=${N_NEW:-120} SEED=${SEED:-4044} TEACHER=${TEACHER:-ani2x} SAMPLE=${SAMPLE:-300000}
mkdir -p "$OUT"
cd "$OUT"
step() { echo "$(date +%T) ring_round: $*" >&2; }

if [ ! -f old_ring_molecules.extxyz ]; then
  step "training molecules with a four-membered ring"
  "$PYP" - "$DATA/train.extxyz" "$ROOT" <<'EOF'
import sys
import ase, ase.io
sys.path.insert(0, sys.argv[2] + "/training/potentials")
from md_stability import lowest_energy_frame_per_molecule
from ring_strain import four_rings
out = []
for f in lowest_energy_frame_per_molecule(ase.io.read(sys.argv[1], ":")):
    if four_rings(f):
        a = ase.Atoms(numbers=f.numbers, positions=f.positions)
        a.info = {"molecule": f.info["molecule"], "split": "train"}
        out.append(a)
ase.io.write("old_ring_molecules.extxyz", out, format="extxyz")
print(f"ring_round: {len(out)} training molecules with a four-membered ring", file=sys.stderr)
EOF
fi
if [ ! -f new_ring_molecules.extxyz ] && [ "$N_NEW" -gt 0 ]; then
  step "choosing $N_NEW new MOSES molecules with a four-membered ring (scaffolds not in the data set)"
  ELEMENTS=""
  [ "$TEACHER" = ani1x ] && ELEMENTS="--elements H,C,N,O"
  "$PY" "$HERE/moses_molecules.py" candidates $ELEMENTS --ring-size 4 --train $((N_NEW * 2)) --unseen 0 \
    --unseen-sample 1 --sample "$SAMPLE" --seed "$SEED"
  "$PY" "$HERE/new_molecules.py" candidates.extxyz "$DATA/moses.csv" "$N_NEW" -o new_ring_molecules.extxyz --prefix ring-new --key molecule
fi
[ -f new_ring_molecules.extxyz ] || : > new_ring_molecules.extxyz
if [ ! -f ring_frames.extxyz ]; then
  step "ring scans guided by $(basename "$GUIDE")"
  cat old_ring_molecules.extxyz new_ring_molecules.extxyz > ring_molecules.extxyz
  "$PYP" "$HERE/ring_frames.py" ring_molecules.extxyz "$GUIDE" -o ring_frames.tmp.extxyz --seed "$SEED"
  mv ring_frames.tmp.extxyz ring_frames.extxyz
fi
if [ ! -f labelled.done ]; then
  step "labelling with $TEACHER (resumable)"
  "$PY" "$ROOT/training/label_ase.py" ring_frames.extxyz -o labelled.extxyz --teacher "$TEACHER" --batch 64
  touch labelled.done
fi
step "filters and splits"
"$PY" "$HERE/finish_v2.py" labelled.extxyz . --seed 7 --trust 0.78 --max-force-std 1.0 > /dev/null
cat "$DATA/train.extxyz" "${EXTRA[@]}" train.extxyz > train_plus_rings.extxyz
step "done: $(tr -d '\n ' < report.json | head -c 400)"
