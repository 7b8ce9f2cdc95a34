#!/usr/bin/env python3
"""Short-range scans of a potential, for the cards and tests/potentials: every bonded element pair
of the unseen molecules compressed down to 0.11 A, and head-on contacts of two molecules from
1.0 A down to 0.11 A. For each model file it prints the bond kinds whose energy does not rise at
every step, and for the contacts the lowest energy relative to the 1.0 A start (< 0: a hole) and
how many contacts do not rise at every step below 0.5 A.

Usage: short_range.py MODEL.safetensors [...] [--contacts 40] [--points 40]   (Debian's python3)"""
import argparse
import subprocess
import tempfile
from pathlib import Path

import ase
import ase.io
import numpy as np
from ase.data import covalent_radii

ROOT = Path(__file__).resolve().parents[2]
UNSEEN = ROOT / "tests" / "potentials" / "unseen_molecules.extxyz"
CLOSEST = 0.11  # A; the core refuses pairs under 0.1 A (overlapping atoms)


def bonded_pairs(mols):
    """One bonded (i, j) per ordered element pair found in mols, by 1.25 x the sum of covalent radii
    (the MD stability test's bond rule): {(sym_i, sym_j): (molecule index, i, j)}."""
    pairs = {}
    for k, m in enumerate(mols):
        d = m.get_all_distances()
        for i in range(len(m)):
            for j in range(len(m)):
                key = (m[i].symbol, m[j].symbol)
                if i != j and key not in pairs and d[i, j] < 1.25 * (covalent_radii[m[i].number] + covalent_radii[m[j].number]):
                    pairs[key] = (k, i, j)
    return pairs


def compression_frames(mols, pairs, points):
    """For each pair: atom j pushed along the bond toward i, from 0.9 x the bond down to CLOSEST."""
    frames = []
    for k, i, j in pairs.values():
        m0 = mols[k]
        d = m0.get_distance(i, j)
        u = (m0.positions[j] - m0.positions[i]) / d
        for r in np.linspace(0.9 * d, CLOSEST, points):
            m = m0.copy()
            m.positions[j] = m.positions[i] + u * r
            frames.append(m)
    return frames


def head_on(a, b, u, r):
    """Bare, centred copies of molecules A and B, B moved so that A's outermost atom along u (i)
    and B's outermost atom along -u (j) are r apart along u. Returns (A, B, i, j). No other A-B
    pair is closer than r: their separation along u alone is at least r."""
    a = ase.Atoms(numbers=a.numbers, positions=a.positions - a.positions.mean(0))
    b = ase.Atoms(numbers=b.numbers, positions=b.positions - b.positions.mean(0))
    i, j = int(np.argmax(a.positions @ u)), int(np.argmin(b.positions @ u))
    b.positions += a.positions[i] - b.positions[j] + u * r
    return a, b, i, j


def contact_frames(mols, n_contacts, points, seed=0, distances=None):
    """Two molecules pushed together head-on (head_on), along a random direction u, from 1.0 A
    down to CLOSEST in `points` steps (or at the given distances)."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(1.0, CLOSEST, points) if distances is None else distances
    frames = []
    for _ in range(n_contacts):
        a, b = (mols[k] for k in rng.integers(len(mols), size=2))
        u = rng.normal(size=3)
        u /= np.linalg.norm(u)
        for r in grid:
            placed_a, placed_b, _, _ = head_on(a, b, u, r)
            frames.append(placed_a + placed_b)
    return frames


def energies(painn, model, frames, workdir, precision="fp32"):
    """painn eval of the frames (written to workdir): the energies, eV."""
    for atoms in frames:
        atoms.info, atoms.calc = {}, None
    ase.io.write(Path(workdir) / "scan.extxyz", frames, format="extxyz")
    subprocess.run([str(painn), "eval", str(model), str(Path(workdir) / "scan.extxyz"), "-o",
                    str(Path(workdir) / "out.extxyz"), "--precision", precision], check=True, capture_output=True)
    return np.array([a.get_potential_energy() for a in ase.io.read(Path(workdir) / "out.extxyz", ":")])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+")
    p.add_argument("--contacts", type=int, default=40)
    p.add_argument("--points", type=int, default=40)
    p.add_argument("--painn", default=str(ROOT / "build" / "bin" / "painn"))
    a = p.parse_args()
    mols = ase.io.read(UNSEEN, ":")
    pairs = bonded_pairs(mols)
    grid = np.linspace(1.0, CLOSEST, a.points)
    bonds, contacts = compression_frames(mols, pairs, a.points), contact_frames(mols, a.contacts, a.points)
    print(f"model | bond kinds not rising (of {len(pairs)}) | contacts: lowest E - E(1.0 A) (eV) | "
          f"contacts not rising below 0.5 A (of {a.contacts})")
    with tempfile.TemporaryDirectory() as tmp:
        for model in a.models:
            e = energies(a.painn, model, bonds, tmp).reshape(len(pairs), a.points)
            bad = [f"{x}-{y}" for (x, y), row in zip(pairs, e) if not np.all(np.diff(row) > 0)]
            c = energies(a.painn, model, contacts, tmp).reshape(a.contacts, a.points)
            lowest = float(np.min(c - c[:, :1]))
            not_rising = sum(1 for row in c if not np.all(np.diff(row)[grid[1:] < 0.5] > 0))
            print(f"{Path(model).name} | {len(bad)} {' '.join(bad)} | {lowest:.3f} | {not_rising}", flush=True)


if __name__ == "__main__":
    main()
