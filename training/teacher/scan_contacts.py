#!/usr/bin/env python3
"""Where can ANI-2x label intermolecular contacts? Two molecules of tests/potentials/unseen_molecules
are pushed together head-on (training/potentials/short_range.py's contacts) from 2.0 down to
0.6 A; for each contact the teacher's energy relative to 2.0 A, its ensemble energy spread, and the largest per-atom force
spread are printed. potentials/README.md ("Short range") quotes the result.

Usage: .venv-teacher/bin/python training/teacher/scan_contacts.py [--contacts 12] [--seed 0]"""
import argparse
import sys
from pathlib import Path

import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training" / "teacher"))
sys.path.insert(0, str(ROOT / "training" / "potentials"))
import short_range  # noqa: E402
from teacher_ani import AniEnsembleCalculator  # noqa: E402

GRID = np.array([2.0, 1.6, 1.4, 1.2, 1.1, 1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    mols = ase.io.read(short_range.UNSEEN, ":")
    frames = short_range.contact_frames(mols, a.contacts, len(GRID), seed=a.seed, distances=GRID)
    kinds = []
    for k in range(a.contacts):  # the contact: the closest pair of the scan's last (closest) frame
        f = frames[(k + 1) * len(GRID) - 1]
        d = f.get_all_distances()
        np.fill_diagonal(d, np.inf)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        kinds.append("...".join(sorted([f.get_chemical_symbols()[i], f.get_chemical_symbols()[j]])))
    res = AniEnsembleCalculator("ani2x", threads=1).calculate_batch(frames)
    shape = (a.contacts, len(GRID))
    e = np.array([r[0] for r in res]).reshape(shape)
    e_std = np.array([r[2] for r in res]).reshape(shape)
    f_std = np.array([r[3].max() for r in res]).reshape(shape)
    print("r (A):", " ".join(f"{r:5.2f}" for r in GRID))
    for k in range(a.contacts):
        print(f"{kinds[k]:6s} E-E(2A) eV:", " ".join(f"{v:5.2f}" for v in e[k] - e[k, 0]))
        print("       E spread eV:", " ".join(f"{v:5.2f}" for v in e_std[k]))
        print("   max F spread eV/A:", " ".join(f"{v:5.1f}" for v in f_std[k]))
    hh = [k for k in range(a.contacts) if kinds[k] == "H...H"]
    rising = all(np.all(np.diff(e[k]) > 0) for k in hh)
    ok = [GRID[np.argmax(f_std[k] > 1.0)] if (f_std[k] > 1.0).any() else GRID[-1] for k in hh]
    print(f"H...H contacts: {len(hh)}, energy rising at every step down to 0.6 A: {rising}; "
          f"force spread first above 1 eV/A at {min(ok):.2f}-{max(ok):.2f} A")


if __name__ == "__main__":
    main()
