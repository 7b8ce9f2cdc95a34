#!/usr/bin/env bash
# Debian bookworm's liblammps-dev installs only part of LAMMPS's headers (and none of the bundled
# fmt it was built with). The matching full set is in Debian's source package `lammps`: this
# fetches that source once (a deb-src entry in its own sources file) and keeps only the headers
# in third_party/lammps-headers/. Idempotent; needs root the first time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/third_party/lammps-headers"
VERSION="$(dpkg-query -W -f='${Version}' liblammps-dev 2>/dev/null || true)"
if [ -z "$VERSION" ]; then
  echo "get_lammps_headers: liblammps-dev is not installed" >&2
  exit 1
fi
if [ -f "$DEST/.version" ] && [ "$(cat "$DEST/.version")" = "$VERSION" ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
SRC_LIST=/etc/apt/sources.list.d/painn-deb-src.sources
if [ ! -f "$SRC_LIST" ]; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee "$SRC_LIST" > /dev/null
  $SUDO apt-get update -qq
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && apt-get source --download-only -qq "lammps=${VERSION%%+b*}" > /dev/null 2>&1 || apt-get source --download-only -qq lammps > /dev/null)
ORIG="$(ls "$WORK"/lammps_*.orig.tar.* | head -1)"
rm -rf "$DEST"
mkdir -p "$DEST"
# src/*.h (the class headers) and src/fmt/ (the bundled fmt the library was built with)
tar -xf "$ORIG" -C "$WORK" --wildcards '*/src/*.h' '*/src/fmt/*'
TOP="$(ls -d "$WORK"/*/ | grep -v debian | head -1)"
cp "$TOP"/src/*.h "$DEST/"
cp -r "$TOP"/src/fmt "$DEST/"
echo "$VERSION" > "$DEST/.version"
echo "get_lammps_headers: LAMMPS headers for $VERSION in $DEST"
