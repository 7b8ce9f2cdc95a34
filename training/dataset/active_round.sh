#!/usr/bin/env bash
# One active-learning round on top of data set v2, plus intermolecular contact frames. Each step
# is skipped when its output exists, so an interrupted run continues where it stopped.
#
#   molecules: N_OLD training molecules (one frame each, seeded) + N_NEW new MOSES train-split
#   molecules whose scaffolds are not in the data set (RDKit ETKDG + MMFF)   [moses_molecules.py]
#   -> student A's LAMMPS MD of all of them in one box (Langevin, TEMP K, PS ps); every molecule
#      frame evaluated by students A and B; the SELECT frames where their forces disagree most
#      (at most PER_MOL per molecule)                                       [active_learning.py]
#   + CONTACTS head-on contacts of two training molecules at 0.75-1.6 A     [contact_frames.py]
#   -> ANI-2x labels with the ensemble spread                               [label_ase.py]
#   -> the same trust and spread filters as the data set, split 80/10/10     [finish_v2.py]
#   -> OUT/train_plus_al.extxyz: the data set's train split + the round's train split.
# The round's test split stays out of training: it measures the students where they were worst.
#
# Usage: training/dataset/active_round.sh DATA OUT MODEL_A MODEL_B
#   DATA: the unpacked data set v2 (training/dataset/unpack_v2.sh); MODEL_A, MODEL_B: two
#   students (different sizes or seeds). Env: N_OLD=80 N_NEW=80 TEMP=500 PS=0.6 SELECT=1500
#   PER_MOL=8 CONTACTS=1500 SEED=3031 THREADS=1 TEACHER=ani2x (ani1x: CI's quick test).
# Needs build/bin/painn and build/bin/lmp_painn (scripts/build.sh) and the teacher venv with ANI-2x
# weights (training/teacher/setup_teacher.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[ $# -eq 4 ] || { sed -n 2,22p "$0"; exit 2; }
DATA="$(cd "$1" && pwd)"
OUT="$2"
MODEL_A="$(realpath "$3")"
MODEL_B="$(realpath "$4")"
PY="${PY:-$ROOT/.venv-teacher/bin/python}"
N_OLD=${N_OLD:-80} N_NEW=${N_NEW:-80} TEMP=${TEMP:-500} PS=${PS:-0.6} SELECT=${SELECT:-1500}
PER_MOL=${PER_MOL:-8} CONTACTS=${CONTACTS:-1500} SEED=${SEED:-3031} THREADS=${THREADS:-1}
TEACHER=${TEACHER:-ani2x}
mkdir -p "$OUT"
cd "$OUT"
step() { echo "$(date +%T) active_round: $*" >&2; }

if [ ! -f old_molecules.extxyz ]; then
  step "choosing $N_OLD training molecules"
  "$PY" - "$DATA/train.extxyz" "$N_OLD" "$SEED" <<'EOF'
import random, sys
import ase, ase.io
frames = ase.io.read(sys.argv[1], ":")
first = {}
for f in frames:
    first.setdefault(f.info["molecule"], f)
names = sorted(first)
chosen = random.Random(int(sys.argv[3])).sample(names, min(int(sys.argv[2]), len(names)))
out = []
for n in chosen:
    a = ase.Atoms(numbers=first[n].numbers, positions=first[n].positions)
    a.info = {"name": n, "split": "train"}
    out.append(a)
ase.io.write("old_molecules.extxyz", out, format="extxyz")
# every training molecule, for the contact frames
every = []
for n in names:
    a = ase.Atoms(numbers=first[n].numbers, positions=first[n].positions)
    a.info = {"name": n}
    every.append(a)
ase.io.write("train_molecules.extxyz", every, format="extxyz")
EOF
fi
if [ ! -f new_molecules.extxyz ] && [ "$N_NEW" -gt 0 ]; then
  step "choosing $N_NEW new MOSES molecules (scaffolds not in the data set)"
  ELEMENTS=""
  [ "$TEACHER" = ani1x ] && ELEMENTS="--elements H,C,N,O"
  "$PY" "$HERE/moses_molecules.py" candidates $ELEMENTS --train $((N_NEW * 2)) --unseen 0 --sample 8000 --seed "$SEED"
  "$PY" "$HERE/new_molecules.py" candidates.extxyz "$DATA/moses.csv" "$N_NEW" -o new_molecules.extxyz --prefix al-new --key name
fi
[ -f new_molecules.extxyz ] || : > new_molecules.extxyz
if [ ! -f al_frames.extxyz ]; then
  step "student MD at $TEMP K for $PS ps and the students' disagreement"
  cat old_molecules.extxyz new_molecules.extxyz > al_molecules.extxyz
  "$PY" "$ROOT/training/active_learning.py" al_molecules.extxyz "$MODEL_A" "$MODEL_B" -o al_frames.tmp.extxyz \
    --temperature "$TEMP" --ps "$PS" --every 40 --select "$SELECT" --per-molecule "$PER_MOL" --threads "$THREADS" \
    --seed "$SEED" 2>&1 | tee active_learning.log
  mv al_frames.tmp.extxyz al_frames.extxyz
fi
if [ ! -f contacts.extxyz ]; then
  step "contact frames"
  "$PY" "$HERE/contact_frames.py" train_molecules.extxyz -o contacts.extxyz --count "$CONTACTS" --seed "$SEED"
fi
if [ ! -f labelled.done ]; then
  step "labelling with $TEACHER (resumable)"
  cat al_frames.extxyz contacts.extxyz > to_label.extxyz
  "$PY" "$ROOT/training/label_ase.py" to_label.extxyz -o labelled.extxyz --teacher "$TEACHER" --batch 64 --threads "$THREADS"
  touch labelled.done
fi
step "filters and splits"
"$PY" "$HERE/finish_v2.py" labelled.extxyz . --seed 7 --trust 0.78 --max-force-std 1.0 > /dev/null
cat "$DATA/train.extxyz" train.extxyz > train_plus_al.extxyz
step "done: $(tr -d '\n ' < report.json | head -c 400)"
