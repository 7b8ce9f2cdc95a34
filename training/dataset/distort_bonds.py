#!/usr/bin/env python3
"""Compressed and stretched bonds, so that a student learns the short range as repulsive and the
long range of a bond as attractive instead of extrapolating there.

From each molecule's MD frames, --per-molecule frames are picked (seeded); in each, 1-3 covalent
bonds (d < 1.2 x the sum of covalent radii) are set to s x their length with s uniform in
--scale (default 0.78:1.35). A bond to hydrogen moves the hydrogen only; other bonds move both
atoms by half the change. The lower bound 0.78 follows the teacher scan
(training/teacher/scan_short_range.py): below about 0.77 r0 ANI-2x is not trustworthy for bonds
between heavy atoms, and that range is left to the model's ZBL term.

Usage: distort_bonds.py MD.extxyz -o OUT.extxyz [--per-molecule 2] [--scale 0.78:1.35] [--seed 11]
Output frames carry info distortion="i-j:s,..." and the input's info.
"""
import argparse
import random

import ase.io
import numpy as np
from ase.data import covalent_radii


def bonds(atoms):
    d = atoms.get_all_distances()
    r = covalent_radii[atoms.numbers]
    limit = 1.2 * (r[:, None] + r[None, :])
    i, j = np.nonzero(np.triu(d < limit, 1))
    return list(zip(i.tolist(), j.tolist()))


def distort(atoms, rng, lo, hi):
    b = bonds(atoms)
    if not b:
        return None
    out = atoms.copy()
    done = []
    for i, j in rng.sample(b, min(len(b), rng.choice([1, 1, 2, 3]))):
        s = rng.uniform(lo, hi)
        v = out.positions[j] - out.positions[i]
        change = (s - 1.0) * v
        if out.numbers[j] == 1 and out.numbers[i] != 1:
            out.positions[j] += change
        elif out.numbers[i] == 1 and out.numbers[j] != 1:
            out.positions[i] -= change
        else:
            out.positions[j] += change / 2
            out.positions[i] -= change / 2
        done.append(f"{i}-{j}:{s:.3f}")
    out.info["distortion"] = ",".join(done)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--per-molecule", type=int, default=2)
    p.add_argument("--scale", default="0.78:1.35")
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args()
    lo, hi = (float(x) for x in a.scale.split(":"))
    rng = random.Random(a.seed)
    by_mol = {}
    for f in ase.io.read(a.input, ":"):
        by_mol.setdefault(f.info["molecule"], []).append(f)
    out = []
    for name in sorted(by_mol):
        frames = by_mol[name]
        for f in rng.sample(frames, min(a.per_molecule, len(frames))):
            g = distort(f, rng, lo, hi)
            if g is not None:
                out.append(g)
    ase.io.write(a.output, out, format="extxyz")
    print(f"distort_bonds: {len(out)} frames from {len(by_mol)} molecules")


if __name__ == "__main__":
    main()
