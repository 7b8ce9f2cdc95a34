#!/usr/bin/env bash
# Creates the Python virtualenv (.venv-python) for the painn_md package's tests, and installs
# the package into it with `pip install .` (scikit-build-core + nanobind from PyPI; the build
# compiles the core and the binding only). Made from Debian's /usr/bin/python3 with its system
# site packages, so that Debian's torch 1.13 (CPU), ASE, numpy and pytest are used: a PyPI
# torch wheel would bring GBs of CUDA and must never be installed here, hence --no-deps.
#   schnetpack 2.1.1 with only what its model code imports (matscipy, dirsync, fasteners); its
#   training stack (pytorch-lightning, hydra) is left out: see painn_md/schnetpack_modules.py.
# Idempotent: the package is rebuilt only when its sources changed. Usage: scripts/setup_python.sh
#   (env: VENV)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv-python}"
PINS=("schnetpack==2.1.1" "matscipy==1.3.1" "dirsync==2.2.6" "fasteners==0.20")
probe='import importlib.metadata as m, sys
want = dict(a.split("==") for a in sys.argv[1:])
sys.exit(any(m.version(k) != v for k, v in want.items()))'
if ! "$VENV/bin/python" -c "$probe" "${PINS[@]}" 2>/dev/null; then
  echo "setup_python: installing ${PINS[*]} into $VENV (no dependencies: Debian's torch)"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "${PINS[@]}"
fi
# torch must be Debian's (python3-torch), never a wheel in the venv.
"$VENV/bin/python" -c 'import sys, torch; sys.exit(0 if torch.__file__.startswith("/usr/lib/python3/") else
  "setup_python: torch in the venv is " + torch.__file__ + ", not Debian'"'"'s python3-torch")'

# painn_md from this checkout, rebuilt when a source it is built from changed.
cd "$ROOT"
stamp="$(cat pyproject.toml CMakeLists.txt $(git ls-files -co --exclude-standard core python) | sha256sum | cut -c1-16)"
if [ "$(cat "$VENV/.painn_md-source" 2>/dev/null)" != "$stamp" ]; then
  echo "setup_python: pip install . (painn_md) into $VENV"
  start=$(date +%s)
  CMAKE_BUILD_PARALLEL_LEVEL="${JOBS:-$(nproc)}" "$VENV/bin/pip" install -q --disable-pip-version-check . \
    > "$VENV/pip-install.log" 2>&1 || { tail -40 "$VENV/pip-install.log"; exit 1; }
  echo "$stamp" > "$VENV/.painn_md-source"
  echo "setup_python: painn_md built and installed in $(( $(date +%s) - start )) s"
fi
