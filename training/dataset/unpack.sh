#!/usr/bin/env bash
# Unpacks the committed distillation data set (xz) into DIR and checks its checksums.
# Usage: training/dataset/unpack.sh [DIR]   (default data/)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/../../data}"
mkdir -p "$OUT"
for f in train val test test_unseen structures; do
  [ -f "$OUT/$f.extxyz" ] || xz -dc "$HERE/data/$f.extxyz.xz" > "$OUT/$f.extxyz"
done
cp "$HERE/data/molecules.csv" "$OUT/"
(cd "$OUT" && sha256sum -c --quiet "$HERE/data/SHA256SUMS")
echo "data set in $OUT: checksums match"
