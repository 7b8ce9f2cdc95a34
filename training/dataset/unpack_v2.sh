#!/usr/bin/env bash
# Unpacks the committed data set v2 (ANI-2x labels; training/dataset/data-v2, made by
# make_dataset.sh) into DIR as extended XYZ, checking the checksums.
# Usage: training/dataset/unpack_v2.sh [DIR]   (default data-v2/); needs numpy + ASE (Debian's python3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/../../data-v2}"
/usr/bin/python3 "$HERE/pack_v2.py" unpack "$HERE/data-v2" "$OUT"
cp "$HERE/data-v2/moses.csv" "$HERE/data-v2/report.json" "$OUT/"
