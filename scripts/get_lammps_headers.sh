#!/usr/bin/env bash
# Debian bookworm's liblammps-dev installs only part of LAMMPS's headers (and none of the bundled
# fmt 7, namespace v7_lmp, that liblammps was built with). The matching full set is in Debian's
# source package `lammps`: this downloads that source once (a deb-src entry in its own sources
# file, /etc/apt/sources.list.d/painn-deb-src.sources), checks it against the installed library,
# and keeps only src/*.h (lammpsplugin.h, neigh_request.h, ...) and src/fmt/ in
# third_party/lammps-headers/ (2 MB; the 80 MB download is deleted).
#
# Idempotent: returns at once when the headers for the installed liblammps-dev are there.
# Needs root (or sudo) and network the first time.  Usage: scripts/get_lammps_headers.sh [DEST]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/third_party/lammps-headers}"
say() { echo "get_lammps_headers: $*" >&2; }

VERSION="$(dpkg-query -W -f='${Version}' liblammps-dev 2>/dev/null || true)"
if [ -z "$VERSION" ]; then
  say "liblammps-dev is not installed (apt-get install lammps liblammps-dev libopenmpi-dev openmpi-bin)"
  exit 1
fi
if [ -f "$DEST/.version" ] && [ "$(cat "$DEST/.version")" = "$VERSION" ] && [ -f "$DEST/pair.h" ] \
   && [ -f "$DEST/fmt/format.h" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
SRC_LIST=/etc/apt/sources.list.d/painn-deb-src.sources
if [ ! -f "$SRC_LIST" ]; then
  say "adding a deb-src entry for bookworm ($SRC_LIST)"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee "$SRC_LIST" > /dev/null
  $SUDO apt-get update -qq
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"  # so that apt's _apt user may write there
# The source version is the binary's without a binNMU suffix (+bN).
SRC_VERSION="${VERSION%+b[0-9]*}"
download() { (cd "$WORK" && apt-get source --download-only -qq "lammps=$SRC_VERSION" > /dev/null 2>&1); }
if ! download; then
  $SUDO apt-get update -qq
  if ! download; then
    say "apt-get source lammps=$SRC_VERSION failed (is deb-src for bookworm reachable?)"
    exit 1
  fi
fi
ORIG="$(ls "$WORK"/lammps_*.orig.tar.* | head -1)"
# Only the top-level src/*.h and src/fmt/ (apt-get source has checked the tarball's SHA256).
tar -xf "$ORIG" -C "$WORK" --no-same-owner --wildcards --no-wildcards-match-slash '*/src/*.h' '*/src/fmt/*'
TOP="$(dirname "$(ls -d "$WORK"/*/src | head -1)")"

# The headers must be those of the installed library: compare LAMMPS_VERSION with its banner.
LMP_VERSION="$(sed -n 's/^#define LAMMPS_VERSION "\(.*\)"/\1/p' "$TOP/src/version.h")"
LIB="$(dpkg -L liblammps0 2>/dev/null | grep -E '/liblammps\.so\.[0-9]+$' | head -1 || true)"
if [ -z "$LMP_VERSION" ] || { [ -n "$LIB" ] && ! grep -aqF "$LMP_VERSION" "$LIB"; }; then
  say "headers say LAMMPS_VERSION '$LMP_VERSION' but $LIB does not; refusing to install them"
  exit 1
fi

rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
cp "$TOP"/src/*.h "$DEST.tmp/"
cp -r "$TOP"/src/fmt "$DEST.tmp/"
echo "$VERSION" > "$DEST.tmp/.version"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
say "LAMMPS headers for liblammps $VERSION ($LMP_VERSION) in $DEST"
