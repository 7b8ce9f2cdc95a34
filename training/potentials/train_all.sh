#!/usr/bin/env bash
# Trains the five PaiNN-MD potentials from the distillation data set (make_dataset.sh):
#   current <- teacher (GFN2-xTB);  chain: compact <- mix(teacher, current) -> efficient <- mix(
#   teacher, compact) -> tiny <- ... -> ultratiny;  direct: compact and tiny <- teacher only.
# Then writes fp32, fp16 and int8 files of each chain model to potentials/.
# Usage: train_all.sh DATADIR WORKDIR [EPOCH_SCALE]   (EPOCH_SCALE < 1 shortens every run)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAINN="$ROOT/build/bin/painn"
DATA="$(cd "$1" && pwd)"
WORK="$2"
SCALE="${3:-1}"
mkdir -p "$WORK"
cd "$WORK"
epochs() { /usr/bin/python3 -c "print(max(1, round($1 * $SCALE)))"; }

# The seed's hyperparameters: lr 1e-3, batch 32, 50 epochs, force weight 10; for the two smallest
# lr 5e-4, batch 64, 100 epochs, force weight 15. Validation = val.extxyz (never the test sets).
train() {  # name preset data epochs batch lr force_weight
  local name=$1 preset=$2 data=$3 ep; ep=$(epochs "$4")
  "$PAINN" train "$data" -o "$name.safetensors" --preset "$preset" --epochs "$ep" --batch "$5" --lr "$6" \
    --force-weight "$7" --val-file "$DATA/val.extxyz" --seed 1 --precision fp32 --resume
}

train current current "$DATA/train.extxyz" 50 32 1e-3 10
prev=current
for student in compact efficient tiny ultratiny; do
  rm -f "mixed-$prev.extxyz"*
  "$PAINN" label --teacher "$prev.safetensors" "$DATA/train.extxyz" -o "mixed-$prev.extxyz" --mix-alpha 0.5
  case $student in
    tiny|ultratiny) train "$student" "$student" "mixed-$prev.extxyz" 100 64 5e-4 15 ;;
    *) train "$student" "$student" "mixed-$prev.extxyz" 50 32 1e-3 10 ;;
  esac
  prev=$student
done
train compact-direct compact "$DATA/train.extxyz" 50 32 1e-3 10
train tiny-direct tiny "$DATA/train.extxyz" 100 64 5e-4 15

for m in current compact efficient tiny ultratiny; do
  "$PAINN" convert "$m.safetensors" --to fp32 -o "$ROOT/potentials/$m-fp32.safetensors"
  "$PAINN" convert "$m.safetensors" --to fp16 -o "$ROOT/potentials/$m-fp16.safetensors"
  "$PAINN" convert "$m.safetensors" --to int8 -o "$ROOT/potentials/$m-int8.safetensors"
done
