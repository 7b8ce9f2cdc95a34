#!/usr/bin/env bash
# Trains the five PaiNN-MD potentials on data set v2 (ANI-2x labels; training/dataset/make_dataset.sh
# or training/dataset/unpack_v2.sh), every model with the ZBL short-range term in its file (the
# network learns the rest):
#   current <- teacher
#   chain:  compact <- 0.5 teacher + 0.5 current labels -> efficient <- 0.5 teacher + 0.5 compact
#           -> tiny <- ... -> ultratiny
#   direct: compact-direct and tiny-direct <- teacher only (to measure the chain against)
# Every run writes a checkpoint after each epoch: rerunning the same command continues where it
# stopped (finished models are kept).
#
# Usage: train_all.sh [--quick] DATADIR WORKDIR
#   --quick: one epoch each on whatever DATADIR holds (CI; with make_dataset.sh --quick)
# Environment: PAINN (binary), EPOCH_SCALE (multiplies every epoch count), T_MAIN / T_SIDE
# (threads of the chain / of each direct run; T_SIDE > 0 runs the direct routes beside the chain),
# PACK (a .tgz refreshed with every finished model), ONLY (space-separated model names to train,
# e.g. "current").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; shift; fi
PAINN="${PAINN:-$ROOT/build/bin/painn}"
DATA="$(cd "$1" && pwd)"
mkdir -p "$2"
cd "$2"
SCALE="${EPOCH_SCALE:-1}"
[ $QUICK = 1 ] && SCALE=0
T_MAIN="${T_MAIN:-$(nproc)}"
T_SIDE="${T_SIDE:-0}"
ONLY="${ONLY:-}"
# ZBL in the file (the network learns the rest) and the rounded vector norm (docs/model-format.md
# section 10: no cusp at centres of symmetry)
MODEL_OPTIONS=(--repulsion zbl --repulsion-scale 1 --vector-norm-epsilon 1e-3)
epochs() { awk -v e="$1" -v s="$SCALE" 'BEGIN { n = int(e * s + 0.5); print (n < 1 ? 1 : n) }'; }
pack() { [ -n "${PACK:-}" ] && tar czf "$PACK.tmp" ./*.safetensors ./*.csv ./*.log 2>/dev/null && mv "$PACK.tmp" "$PACK" || true; }
wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

train() {  # name preset data epochs batch lr force_weight threads
  wanted "$1" || return 0
  if [ -f "$1.done" ]; then echo "have $1"; return; fi
  "$PAINN" train "$3" -o "$1.safetensors" --preset "$2" --epochs "$(epochs "$4")" --batch "$5" --lr "$6" \
    --force-weight "$7" --val-file "$DATA/val.extxyz" --seed 1 --precision fp32 --threads "$8" --resume \
    "${MODEL_OPTIONS[@]}" > "$1.log" 2>&1
  touch "$1.done"
  echo "$(date +%T) finished $1: $(tail -1 "$1.log")"
  pack
}

side_pids=()
if [ "$T_SIDE" -gt 0 ]; then
  train compact-direct compact "$DATA/train.extxyz" 40 32 1e-3 10 "$T_SIDE" & side_pids+=($!)
  train tiny-direct tiny "$DATA/train.extxyz" 60 64 5e-4 15 "$T_SIDE" & side_pids+=($!)
fi
train current current "$DATA/train.extxyz" 40 32 1e-3 10 "$T_MAIN"
prev=current
for student in compact efficient tiny ultratiny; do
  wanted "$student" || { prev=$student; continue; }
  if [ ! -f "mixed-$prev.done" ]; then
    rm -f "mixed-$prev.extxyz" "mixed-$prev.extxyz.failed"
    "$PAINN" label --teacher "$prev.safetensors" "$DATA/train.extxyz" -o "mixed-$prev.extxyz" --mix-alpha 0.5 \
      --threads "$T_MAIN" 2> "label-$prev.log"
    touch "mixed-$prev.done"
  fi
  case $student in
    tiny|ultratiny) train "$student" "$student" "mixed-$prev.extxyz" 60 64 5e-4 15 "$T_MAIN" ;;
    *) train "$student" "$student" "mixed-$prev.extxyz" 40 32 1e-3 10 "$T_MAIN" ;;
  esac
  prev=$student
done
if [ "$T_SIDE" -gt 0 ]; then
  wait "${side_pids[@]}"
else
  train compact-direct compact "$DATA/train.extxyz" 40 32 1e-3 10 "$T_MAIN"
  train tiny-direct tiny "$DATA/train.extxyz" 60 64 5e-4 15 "$T_MAIN"
fi
pack
echo "all models trained in $(pwd)"
