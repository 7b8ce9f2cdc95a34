#!/usr/bin/env bash
# Creates the teacher virtualenv (.venv-teacher): torchani 2.2.4 on Debian's python3-torch 1.13
# (--system-site-packages, so no multi-GB CUDA torch wheel), rdkit (3D structures, scaffolds) and
# the MOSES SMILES of molsets 0.3.1 (installed without its heavy dependencies: only its bundled
# data files are read). Idempotent.
#
# ANI-2x weights: the torchani wheel holds real ANI-1x/ANI-1ccx weights but only 0-byte ANI-2x
# placeholders; torchani downloads them at first use where the internet is reachable. Here pass
# a git copy of the MIT-licensed repository aiqm/ani-model-zoo (tag ani-2x) as ANI_MODEL_ZOO (a
# bare or normal git directory); its resources/ani-2x_8x* are copied into torchani's resources.
# Without it, ANI-1x (H C N O) works and ANI-2x reports that its weights are missing.
#
# Usage: training/teacher/setup_teacher.sh        (env: ANI_MODEL_ZOO, VENV)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${VENV:-$ROOT/.venv-teacher}"
PY=/usr/bin/python3
"$ROOT/scripts/setup.sh" >/dev/null
if ! "$VENV/bin/python" -c "import torchani, rdkit, lark, importlib_metadata" 2>/dev/null; then
  echo "setup_teacher: creating $VENV"
  $PY -m venv --system-site-packages "$VENV"
  # numpy stays Debian's 1.24 (torch 1.13 is built against numpy 1.x).
  "$VENV/bin/pip" install -q "torchani==2.2.4" lark importlib-metadata "rdkit==2026.9.1" "numpy<2"
fi
if ! "$VENV/bin/python" -c "import importlib.util as u; assert u.find_spec('moses')" 2>/dev/null; then
  "$VENV/bin/pip" install -q --no-deps "molsets==0.3.1"
fi
RES="$("$VENV/bin/python" -c 'import os, torchani; print(os.path.join(os.path.dirname(torchani.__file__), "resources"))' 2>/dev/null)"
# The wheel's ANI-1x weights are real but its index file ani-1x_8x.info is empty, which makes
# torchani try a download: write the index (constants, self energies, ensemble prefix, size).
if [ ! -s "$RES/ani-1x_8x.info" ] && [ -s "$RES/ani-1x_8x/train0/networks/ANN-C.nnf" ]; then
  printf 'ani-1x_8x/rHCNO-5.2R_16-3.5A_a4-8.params\nani-1x_8x/sae_linfit.dat\nani-1x_8x/train\n8\n' > "$RES/ani-1x_8x.info"
fi
probe="$RES/ani-2x_8x/train0/networks/ANN-C.nnf"
if [ ! -s "$probe" ] && [ -n "${ANI_MODEL_ZOO:-}" ]; then
  echo "setup_teacher: copying ANI-2x weights from $ANI_MODEL_ZOO"
  tmp="$(mktemp -d)"
  git --git-dir="$(git -C "$ANI_MODEL_ZOO" rev-parse --absolute-git-dir)" archive ani-2x resources | tar -x -C "$tmp"
  cp -r "$tmp/resources/ani-2x_8x" "$tmp/resources/ani-2x_8x.info" "$RES/"
  rm -rf "$tmp"
fi
if [ -s "$probe" ]; then echo "setup_teacher: ANI-2x weights present"; else echo "setup_teacher: ANI-2x weights absent (ANI-1x only)"; fi
