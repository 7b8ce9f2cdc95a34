#!/usr/bin/env python3
"""Scans a teacher along bond compressions: one bond of a small molecule is shortened from its
equilibrium length down to 0.4 A (the rest of the molecule fixed), and at each length the
teacher's energy, its ensemble spread and the force along the bond are printed. Where the bond
force turns attractive (F_bond < 0: the atoms are pulled together) or the spread grows, the
teacher is not to be learned from; the ZBL term of the model covers that range instead.

Usage: scan_short_range.py [--teacher ani2x] [--step 0.05]   (run with the teacher venv)"""
import argparse
import os
import sys

import ase.build
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from teacher_ani import AniEnsembleCalculator  # noqa: E402

# (molecule of ASE's g2 set, heavy atom index, bonded element)
CASES = [("CH3CH2OH", "C", "H"), ("CH3CH2OH", "O", "H"), ("CH3CONH2", "N", "H"), ("CH3CH2OH", "C", "C"),
         ("CH3CH2OH", "C", "O")]


def bonded_pair(a, ei, ej):
    sym = a.get_chemical_symbols()
    best = None
    for i, si in enumerate(sym):
        for j, sj in enumerate(sym):
            if i != j and si == ei and sj == ej:
                d = a.get_distance(i, j)
                if best is None or d < best[2]:
                    best = (i, j, d)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", default="ani2x")
    p.add_argument("--step", type=float, default=0.05)
    a = p.parse_args()
    calc = AniEnsembleCalculator(a.teacher)
    print("bond  r/A  r/r0  E-E(r0)/eV  E_std/eV  max F_std/eV/A  F_bond/eV/A (>0 repulsive)")
    for mol, ei, ej in CASES:
        m = ase.build.molecule(mol)
        i, j, d0 = bonded_pair(m, ei, ej)
        rs = np.arange(0.40, d0 + 1e-9, a.step)
        rs = np.append(rs, d0)
        frames = []
        for r in rs:
            b = m.copy()
            b.set_distance(i, j, r, fix=0)  # atom i stays, j moves along the bond
            frames.append(b)
        res = calc.calculate_batch(frames)
        e0 = res[-1][0]
        rows = []
        for r, b, (e, f, es, fs) in zip(rs, frames, res):
            u = b.positions[j] - b.positions[i]
            u /= np.linalg.norm(u)
            fb = np.dot(f[j] - f[i], u) / 2
            rows.append((r, fb, es))
            print(f"{ei}-{ej}  {r:.2f}  {r / d0:.2f}  {e - e0:9.3f}  {es:7.3f}  {fs.max():7.3f}  {fb:8.3f}")
        # Walk down from 0.95 r0 (near r0 the bond force is ~0 either way) to the first length
        # where the bond force is attractive or the spread is above 0.1 eV.
        first_bad = rows[0][0]
        for r, fb, es in sorted(rows[:-1], reverse=True):
            if r <= 0.95 * d0 and (fb < 0 or es > 0.1):
                first_bad = r
                break
        print(f"# {ei}-{ej} ({mol}, r0 = {d0:.3f} A): teacher trusted above {first_bad:.2f} A "
              f"({first_bad / d0:.2f} r0): below it the bond force is attractive or the ensemble "
              f"energy spread exceeds 0.1 eV\n")


if __name__ == "__main__":
    main()
