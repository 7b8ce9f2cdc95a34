#!/usr/bin/env bash
# Installs what PaiNN-MD needs from Debian (bookworm) if it is missing. Idempotent; needs root
# (or sudo) only when something has to be installed.
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config
  libeigen3-dev nlohmann-json3-dev libgtest-dev libomp-dev
  python3 python3-numpy python3-torch python3-ase python3-pytest   # test oracle (Debian's python3)
  python3-venv python3-dev                                         # virtualenvs; Python.h for the SWIG module
  lammps liblammps-dev openmpi-bin libopenmpi-dev                  # LAMMPS pair style
  libopenmm-dev libopenmm-plugins python3-simtk                    # OpenMM plugin (+ CPU platform)
  libxtb-dev xtb                                                   # GFN2-xTB teacher
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
# LAMMPS headers matching Debian's liblammps (not all are packaged); see the README.
if [ -x "$(dirname "$0")/get_lammps_headers.sh" ]; then
  "$(dirname "$0")/get_lammps_headers.sh"
fi
