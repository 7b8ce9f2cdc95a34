#!/usr/bin/env python3
"""Finite-difference vibrational modes of small symmetric molecules, at several step sizes: a check
that a potential's energy is smooth (quadratic) at its minima.

A smooth minimum gives the same frequencies at every step size, and its 6 (5 for a linear
molecule) translation/rotation modes stay near 0 cm^-1. A cone in the energy (a |x| term, such as
PaiNN's vector norm sqrt(|V|^2 + eps) leaves at a centre of symmetry when eps is tiny) makes the
FD "frequencies" grow as delta^-1/2 as the step shrinks; potentials/README.md ("Centres of
symmetry") has the table this script prints, before and after vector_norm_epsilon 1e-3.

Each molecule (ASE's g2 names) is relaxed with BFGS to fmax 1e-5 eV/A in fp64, then
ase.vibrations runs central differences (nfree 4) at each delta. Per delta the row shows
  largest |translation/rotation mode| / lowest vibration / highest vibration, cm^-1.

Usage: fd_hessian.py MODEL.safetensors [MODEL ...] [--molecules H2O,CH4,NH3,CO2]
         [--deltas 0.0005,0.001,0.002,0.005]
Needs the painn_md Python package (scripts/setup_python.sh: .venv-python/bin/python).
"""
import argparse
import tempfile
from pathlib import Path

import numpy as np
from ase.build import molecule
from ase.optimize import BFGS
from ase.vibrations import Vibrations
from painn_md.ase import PaiNNCalculator


def modes(atoms, delta, workdir):
    vib = Vibrations(atoms, name=str(Path(workdir) / f"vib-{delta}"), delta=delta, nfree=4)
    vib.clean()
    vib.run()
    f = vib.get_frequencies()
    vib.clean()
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--molecules", default="H2O,CH4,NH3,CO2")
    ap.add_argument("--deltas", default="0.0005,0.001,0.002,0.005")
    a = ap.parse_args()
    deltas = [float(d) for d in a.deltas.split(",")]
    print("model | molecule | " + " | ".join(f"delta {d} A" for d in deltas))
    print("|".join(["---"] * (2 + len(deltas))))
    with tempfile.TemporaryDirectory() as work:
        for model in a.models:
            for name in a.molecules.split(","):
                atoms = molecule(name)
                atoms.calc = PaiNNCalculator(model, precision="fp64", threads=1)
                BFGS(atoms, logfile=None).run(fmax=1e-5, steps=1000)
                rigid = 5 if name in ("CO2", "N2", "O2", "HCN", "C2H2") else 6
                cells = []
                for delta in deltas:
                    f = modes(atoms, delta, work)
                    order = np.argsort(np.abs(f))  # the rigid-body modes are the smallest in magnitude
                    zero, vib = f[order[:rigid]], f[order[rigid:]]
                    cells.append(f"{np.abs(zero).max():.1f} / {vib.real.min():.0f} / {vib.real.max():.0f}")
                print(f"{Path(model).name} | {name} | " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
