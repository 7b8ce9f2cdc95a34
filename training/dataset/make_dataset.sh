#!/usr/bin/env bash
# Builds data set v2 (ANI-2x teacher, MOSES molecules), seeded and reproducible. Each step is
# skipped when its output exists, so an interrupted run continues where it stopped.
#
#   MOSES (molsets 0.3.1) -> one molecule per Bemis-Murcko scaffold: 3,000 train + 160 unseen
#   (test_scaffolds), 3D by RDKit ETKDG + MMFF           [moses_molecules.py]
#   -> GFN-FF Langevin MD at 300-600 K, 10 frames per train molecule (6 per unseen molecule),
#      20 fs apart after 100 fs, every other frame displaced by 0.03 A   [painn sample]
#   -> bond-distorted frames: 2 per molecule, 1-3 bonds scaled 0.78-1.35x  [distort_bonds.py]
#   + the v1 molecules' frames (training/dataset/data), with their GFN2-xTB labels kept
#   -> ANI-2x labels with the ensemble's force spread      [training/label_ase.py]
#   -> drop frames closer than 0.78 x covalent radii or with force spread > 1 eV/A, split
#      [finish_v2.py] -> pack (float32, xz, SHA256SUMS)      [pack_v2.py]
#
# Usage: training/dataset/make_dataset.sh [--quick] [OUTDIR]    (default data-v2/)
#   --quick: 12 train + 4 unseen molecules, 3 frames each, every 40th v1 frame (CI, ~3 min)
# Needs: build/bin/painn (scripts/build.sh) and the teacher venv with ANI-2x weights
# (training/teacher/setup_teacher.sh); TEACHER=ani1x for a run without ANI-2x weights (H C N O
# only: the MOSES molecules are then restricted to H C N O).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; shift; fi
OUT="${1:-$ROOT/data-v2}"
PAINN="${PAINN:-$ROOT/build/bin/painn}"
PY="${PY:-$ROOT/.venv-teacher/bin/python}"
TEACHER="${TEACHER:-ani2x}"
mkdir -p "$OUT"
cd "$OUT"
if [ $QUICK = 1 ]; then
  N_TRAIN=12 N_UNSEEN=4 SAMPLE=1500 FRAMES=3 FRAMES_UNSEEN=3 V1_EVERY=40 UNSEEN_SAMPLE=3000
else
  N_TRAIN=3000 N_UNSEEN=160 SAMPLE=40000 FRAMES=10 FRAMES_UNSEEN=6 V1_EVERY=1 UNSEEN_SAMPLE=0
fi
ELEMENTS=""
[ "$TEACHER" = ani1x ] && ELEMENTS="--elements H,C,N,O"
step() { echo "$(date +%T) make_dataset: $*" >&2; }

if [ ! -f moses.extxyz ]; then
  step "choosing MOSES molecules"
  "$PY" "$HERE/moses_molecules.py" moses --train $N_TRAIN --unseen $N_UNSEEN --sample $SAMPLE \
    --unseen-sample $UNSEEN_SAMPLE --seed 2026 $ELEMENTS
fi
if [ ! -f md.extxyz ]; then
  step "GFN-FF MD (2 shards in parallel)"
  "$PY" - <<'EOF'
import ase.io
mols = ase.io.read("moses.extxyz", ":")
train = [m for m in mols if m.info["split"] == "train"]
ase.io.write("shard0.extxyz", train[0::2]); ase.io.write("shard1.extxyz", train[1::2])
ase.io.write("shard_unseen.extxyz", [m for m in mols if m.info["split"] != "train"])
EOF
  md() { "$PAINN" sample "$1" -o "$2" --frames "$3" --interval 20 --equilibrate 100 --dt 1.0 \
           --temperature 300:600 --displace 0.03 --seed "$4" 2> "$2.log"; }
  [ -f md0.extxyz ] || { md shard0.extxyz md0.tmp.extxyz $FRAMES 5 && mv md0.tmp.extxyz md0.extxyz; } &
  [ -f md1.extxyz ] || { md shard1.extxyz md1.tmp.extxyz $FRAMES 6 && mv md1.tmp.extxyz md1.extxyz; } &
  wait
  [ -f md_unseen.extxyz ] || { md shard_unseen.extxyz md_unseen.tmp.extxyz $FRAMES_UNSEEN 7 && mv md_unseen.tmp.extxyz md_unseen.extxyz; }
  cat md0.extxyz md1.extxyz md_unseen.extxyz > md.extxyz
fi
if [ ! -f distorted.extxyz ]; then
  step "bond distortions"
  "$PY" "$HERE/distort_bonds.py" md.extxyz -o distorted.extxyz --per-molecule 2 --scale 0.78:1.35 --seed 11
fi
if [ ! -f all.extxyz ]; then
  step "gathering with the v1 frames"
  "$HERE/unpack.sh" v1 >/dev/null
  "$PY" "$HERE/assemble_v2.py" all.tmp.extxyz --moses md.extxyz distorted.extxyz --v1 v1 --v1-every $V1_EVERY
  mv all.tmp.extxyz all.extxyz
fi
if [ ! -f labelled.done ]; then
  step "labelling with $TEACHER (resumable)"
  "$PY" "$ROOT/training/label_ase.py" all.extxyz -o labelled.extxyz --teacher "$TEACHER" --batch 64
  touch labelled.done
fi
step "filters and splits"
"$PY" "$HERE/finish_v2.py" labelled.extxyz . --seed 7 --trust 0.78 --max-force-std 1.0 > /dev/null
"$PY" "$HERE/pack_v2.py" pack . packed
step "done: $(cat report.json | tr -d '\n ' | head -c 400)"
