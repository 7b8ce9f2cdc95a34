"""The painn CLI from the Python package's tests: `painn eval` as an independent path (its own
extended-XYZ reader and writer) to compare painn_md against."""
import os
import subprocess
from pathlib import Path

import ase.io

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))


def painn(*args, env=None, check=True):
    r = subprocess.run([PAINN, *map(str, args)], capture_output=True, text=True, env=env)
    if check:
        assert r.returncode == 0, f"painn {' '.join(map(str, args))}: {r.stdout}{r.stderr}"
    return r


def write_frames(path, frames):
    """Writes frames and reads them back: what the CLI reads is then exactly what Python holds
    (ASE writes positions with 8 decimals)."""
    ase.io.write(path, frames, format="extxyz")
    return ase.io.read(path, ":")


def painn_eval(model, path, out, precision="fp64", threads=1):
    """Every frame of `path` as `painn eval --per-atom` returns it (energy, forces, energies, stress),
    written to `out` on the way."""
    painn("eval", model, path, "-o", out, "--precision", precision, "--threads", threads, "--per-atom")
    return ase.io.read(out, ":")
