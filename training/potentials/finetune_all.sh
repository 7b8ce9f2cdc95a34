#!/usr/bin/env bash
# Second round of the potentials (after train_all.sh): every size continues from its shipped
# weights (--init), current on the teacher's labels, each smaller model on 0.5 x teacher +
# 0.5 x the new previous model's labels (the same progressive chain). lr 5e-4 with 2% warm-up and
# a cosine decay; current 80 epochs, compact/efficient 40, tiny/ultratiny 60 (times EPOCH_SCALE).
#
# Usage: finetune_all.sh DATADIR WORKDIR POTENTIALS_DIR
# Environment: PAINN (binary), EPOCH_SCALE, THREADS (default: all cores).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAINN="${PAINN:-$ROOT/build/bin/painn}"
DATA="$(cd "$1" && pwd)"
POT="$(cd "$3" && pwd)"
mkdir -p "$2"
cd "$2"
SCALE="${EPOCH_SCALE:-1}"
THREADS="${THREADS:-$(nproc)}"
epochs() { awk -v e="$1" -v s="$SCALE" 'BEGIN { n = int(e * s + 0.5); print (n < 1 ? 1 : n) }'; }

finetune() {  # name data epochs batch force_weight
  if [ -f "$1.done" ]; then echo "have $1"; return; fi
  "$PAINN" train "$2" -o "$1.safetensors" --init "$POT/$1-fp32.safetensors" --epochs "$(epochs "$3")" \
    --batch "$4" --lr 5e-4 --warmup 0.02 --force-weight "$5" --val-file "$DATA/val.extxyz" --seed 1 \
    --precision fp32 --threads "$THREADS" --resume > "$1.log" 2>&1
  touch "$1.done"
  echo "$(date +%T) finished $1: $(tail -1 "$1.log")"
}

finetune current "$DATA/train.extxyz" 80 32 10
prev=current
for student in compact efficient tiny ultratiny; do
  if [ ! -f "$student.done" ]; then
    rm -f "mixed-$prev.extxyz" "mixed-$prev.extxyz.failed"
    "$PAINN" label --teacher "$prev.safetensors" "$DATA/train.extxyz" -o "mixed-$prev.extxyz" --mix-alpha 0.5 \
      --threads "$THREADS" 2> "label-$prev.log"
  fi
  case $student in
    tiny|ultratiny) finetune "$student" "mixed-$prev.extxyz" 60 64 15 ;;
    *) finetune "$student" "mixed-$prev.extxyz" 40 32 10 ;;
  esac
  prev=$student
done
echo "all models fine-tuned in $(pwd)"
