#!/usr/bin/env bash
# Ships trained v2 models as the default potentials and measures them for their cards:
#   WORKDIR/{size}.safetensors -> potentials/{size}-{fp32,fp16}.safetensors (painn convert;
#      add_inner_cutoff.py gives files trained before it the network inner cutoff, section 9)
#   -> potentials/{size}-int8.safetensors (quantize_int8.py: learned rounding, from the fp32 file)
#   -> MD stability in LAMMPS (md_stability.py: 1 ps Langevin at 300 K, the 30 unseen-scaffold
#      molecules of tests/potentials, every size in fp32, two sizes at a time)
#   -> speed against ANI-2x (bench/teacher_speed.py, 1 thread, teacher venv)
#   -> accuracy and cards (evaluate_v2.py: potentials/cards.json, the README tables on stdout)
# Usage: training/potentials/ship_v2.sh DATADIR WORKDIR [OUTDIR for the JSON results, default WORKDIR]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA="$(cd "$1" && pwd)"
WORK="$(cd "$2" && pwd)"
OUT="${3:-$WORK}"
POT="$ROOT/potentials"
SIZES=(current compact efficient tiny ultratiny)
for s in "${SIZES[@]}"; do
  for d in fp32 fp16; do
    "$ROOT/build/bin/painn" convert "$WORK/$s.safetensors" --to $d -o "$POT/$s-$d.safetensors"
  done
done
# Models trained before the network inner cutoff existed get it (metadata only; newer ones have it).
/usr/bin/python3 "$HERE/add_inner_cutoff.py" "$POT"/*-{fp32,fp16}.safetensors
# int8 from the finished fp32 files, with learned rounding calibrated on training frames
# (quantize_int8.py; 5-26 min per size on one core).
for s in "${SIZES[@]}"; do
  /usr/bin/python3 "$HERE/quantize_int8.py" "$POT/$s-fp32.safetensors" "$DATA/train.extxyz" -o "$POT/$s-int8.safetensors"
done
md() {  # GROUP MODEL...: md_stability.py over the models, one after the other -> OUT/md-GROUP.json
  local group=$1; shift
  /usr/bin/python3 "$HERE/md_stability.py" "$ROOT/tests/potentials/unseen_molecules.extxyz" "${@/#/$POT/}" --ps 1 \
    --json "$OUT/md-$group.json" > "$OUT/md-$group.log" || true
}
# Two groups of about equal cost side by side.
md a current-fp32.safetensors tiny-fp32.safetensors &
md b compact-fp32.safetensors efficient-fp32.safetensors ultratiny-fp32.safetensors
wait
cat "$OUT"/md-a.log "$OUT"/md-b.log
"$ROOT/.venv-teacher/bin/python" "$ROOT/bench/teacher_speed.py" --json "$OUT/teacher_speed.json"
/usr/bin/python3 "$HERE/evaluate_v2.py" "$POT" "$DATA" --work "$WORK" --md "$OUT/md-a.json" "$OUT/md-b.json" \
  --teacher-speed "$OUT/teacher_speed.json"
