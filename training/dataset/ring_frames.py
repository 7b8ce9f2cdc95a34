#!/usr/bin/env python3
"""Frames of compressed and opened four-membered rings, for the teacher to label.

The data set's thermal frames barely move a four-membered ring's cross-ring (1,3) distance, and
the students learned that coordinate too soft: relaxed scans (training/potentials/ring_strain.py)
put ultratiny's oxetane and cyclobutane 1,3 pairs 0.08-0.21 eV above the minimum at 1.90 A
where ANI-2x has 0.18-0.78 eV, and some students' energies fall again below 1.8 A. So for every
four-membered ring of each molecule (a 4-cycle of the covalent bond graph) and both of its 1,3
pairs, this walks the pair from --open A above its relaxed distance down in --step steps, as far
as --close A below it (defaults: +0.15, +0.05, -0.05, ..., -0.45 A); at each point the pair's distance is held and the rest relaxed loosely with a
guide potential (a student: a cheap, smooth path near the minimum-energy path; the labels come
from the teacher, not from it). Each point is written as is and --noisy more times with every
atom displaced by a Gaussian of --sigma A, so that the frames also carry thermal forces.

Output info: molecule, name, split (from the input), ring_pair "i-j", ring_d (A).
Usage (the project's Python venv, for painn_md):
  ring_frames.py MOLECULES.extxyz GUIDE.safetensors -o OUT.extxyz [--close 0.5] [--open 0.15]
                 [--step 0.1] [--noisy 1] [--sigma 0.03] [--seed 5]
"""
import argparse
import os
import sys
from pathlib import Path

# BFGS's small dense algebra (numpy -> OpenBLAS) gains nothing from threads, and OpenBLAS's spinning
# threads stalled these scans 60x on a loaded machine (4 min instead of 4 s): one thread unless set.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import ase.io  # noqa: E402
import numpy as np
from ase.constraints import FixBondLength
from ase.optimize import BFGS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training" / "potentials"))
from ring_strain import four_rings, set_distance  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("molecules")
    p.add_argument("guide")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--close", type=float, default=0.5, help="deepest compression below the relaxed 1,3 distance (A)")
    p.add_argument("--open", type=float, default=0.15, help="largest opening above it (A)")
    p.add_argument("--step", type=float, default=0.1)
    p.add_argument("--noisy", type=int, default=1)
    p.add_argument("--sigma", type=float, default=0.03)
    p.add_argument("--fmax", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    from painn_md.ase import PaiNNCalculator
    calc = PaiNNCalculator(a.guide, precision="fp64", threads=1)
    rng = np.random.default_rng(a.seed)
    out, n_rings = [], 0
    for mol in ase.io.read(a.molecules, ":"):
        info = {k: mol.info[k] for k in ("molecule", "name", "split") if k in mol.info}
        info.setdefault("molecule", info.get("name"))
        rings = four_rings(mol)  # on the input geometry: a poor guide may distort the relaxed one
        if not rings:
            continue
        base = mol.copy()
        base.info = {}
        base.calc = calc
        BFGS(base, logfile=None).run(fmax=a.fmax, steps=200)
        n_rings += len(rings)
        for ring in rings:
            for i, j in ((ring[0], ring[2]), (ring[1], ring[3])):
                d0 = base.get_distance(i, j)
                offsets = np.arange(a.open, -a.close - 1e-9, -a.step)
                # from the relaxed geometry outward each way, so each point starts from its neighbour
                for side in (offsets[offsets > 0][::-1], offsets[offsets < 0]):
                    atoms = base.copy()
                    atoms.calc = calc
                    for off in side:
                        atoms.set_constraint()
                        set_distance(atoms, i, j, d0 + off)
                        atoms.set_constraint(FixBondLength(i, j))
                        BFGS(atoms, logfile=None).run(fmax=a.fmax, steps=100)
                        atoms.set_constraint()
                        for k in range(1 + a.noisy):
                            f = ase.Atoms(numbers=atoms.numbers, positions=atoms.positions
                                          + (rng.normal(0, a.sigma, atoms.positions.shape) if k else 0))
                            f.info = {**info, "ring_pair": f"{i}-{j}", "ring_d": round(float(d0 + off), 3)}
                            out.append(f)
    if not out:
        raise SystemExit(f"ring_frames: no four-membered ring in {a.molecules}")
    ase.io.write(a.output, out, format="extxyz")
    print(f"ring_frames: {len(out)} frames from {n_rings} four-membered rings", file=sys.stderr)


if __name__ == "__main__":
    main()
