#!/usr/bin/env bash
# Trains the five PaiNN-MD potentials from the distillation data set (training/dataset):
#   current <- teacher (GFN2-xTB labels)
#   chain:  compact <- 0.5 teacher + 0.5 current labels -> efficient <- 0.5 teacher + 0.5 compact
#           -> tiny <- ... -> ultratiny
#   direct: compact-direct and tiny-direct <- teacher only (to measure the chain against)
# Hyperparameters start from the seed's: lr 1e-3, batch 32, 50 epochs, force weight 10; for the
# two smallest lr 5e-4, batch 64, 100 epochs, force weight 15. Validation: val.extxyz only.
#
# Usage: train_all_gfn2.sh DATADIR WORKDIR
# Environment: PAINN (binary), EPOCH_SCALE (multiplies every epoch count), T_MAIN / T_SIDE
# (threads of the main chain / of each direct run; with T_SIDE > 0 the direct runs go in the
# background beside the chain), PACK (a .tgz refreshed with every finished model).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PAINN="${PAINN:-$ROOT/build/bin/painn}"
DATA="$(cd "$1" && pwd)"
mkdir -p "$2"
cd "$2"
SCALE="${EPOCH_SCALE:-1}"
T_MAIN="${T_MAIN:-$(nproc)}"
T_SIDE="${T_SIDE:-0}"
epochs() { awk -v e="$1" -v s="$SCALE" 'BEGIN { n = int(e * s + 0.5); print (n < 1 ? 1 : n) }'; }
pack() { [ -n "${PACK:-}" ] && tar czf "$PACK.tmp" ./*.safetensors ./*.csv ./*.log 2>/dev/null && mv "$PACK.tmp" "$PACK" || true; }

train() {  # name preset data epochs batch lr force_weight threads
  if [ -f "$1.safetensors" ] && [ ! -d "$1.safetensors.ckpt" -o -f "$1.done" ]; then echo "have $1"; return; fi
  "$PAINN" train "$3" -o "$1.safetensors" --preset "$2" --epochs "$(epochs "$4")" --batch "$5" --lr "$6" \
    --force-weight "$7" --val-file "$DATA/val.extxyz" --seed 1 --precision fp32 --threads "$8" --resume \
    > "$1.log" 2>&1
  touch "$1.done"
  echo "$(date +%T) finished $1: $(tail -1 "$1.log")"
  pack
}

side_pids=()
if [ "$T_SIDE" -gt 0 ]; then
  train compact-direct compact "$DATA/train.extxyz" 50 32 1e-3 10 "$T_SIDE" & side_pids+=($!)
  train tiny-direct tiny "$DATA/train.extxyz" 100 64 5e-4 15 "$T_SIDE" & side_pids+=($!)
fi
train current current "$DATA/train.extxyz" 50 32 1e-3 10 "$T_MAIN"
prev=current
for student in compact efficient tiny ultratiny; do
  rm -f "mixed-$prev.extxyz" "mixed-$prev.extxyz.failed"
  "$PAINN" label --teacher "$prev.safetensors" "$DATA/train.extxyz" -o "mixed-$prev.extxyz" --mix-alpha 0.5 \
    --threads "$T_MAIN" 2> "label-$prev.log"
  case $student in
    tiny|ultratiny) train "$student" "$student" "mixed-$prev.extxyz" 100 64 5e-4 15 "$T_MAIN" ;;
    *) train "$student" "$student" "mixed-$prev.extxyz" 50 32 1e-3 10 "$T_MAIN" ;;
  esac
  prev=$student
done
if [ "$T_SIDE" -gt 0 ]; then
  wait "${side_pids[@]}"
else
  train compact-direct compact "$DATA/train.extxyz" 50 32 1e-3 10 "$T_MAIN"
  train tiny-direct tiny "$DATA/train.extxyz" 100 64 5e-4 15 "$T_MAIN"
fi
pack
echo "all models trained in $(pwd)"
