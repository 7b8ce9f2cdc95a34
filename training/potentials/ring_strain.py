#!/usr/bin/env python3
"""How stiff a potential keeps four-membered rings: relaxed scans of each ring's cross-ring (1,3)
distance. For every four-membered ring of the given molecules (a 4-cycle of the covalent bond
graph, 1.25 x the sum of covalent radii: the MD stability test's rule) and each of its two 1,3
pairs, the molecule is relaxed, then the pair is pulled together in steps (both atoms moved along
their axis, the distance then held fixed while every other coordinate relaxes), and the energy
above the relaxed minimum is recorded. The MD test counts a 1,3 C...C pair closer than 1.90 A as a
new bond; at 300 K (kT = 25.9 meV) a relaxed barrier of a few kT to that distance means the ring
will get there within picoseconds.

One calculator per run, so that each runs in its own environment:
  .venv-teacher/bin/python training/potentials/ring_strain.py MOLS.extxyz --calc ani2x --json T.json
  .venv-python/bin/python  training/potentials/ring_strain.py MOLS.extxyz --calc potentials/tiny-fp32.safetensors
MOLS: molecules (or a labelled data set with --one-per-molecule, as md_stability.py); --names picks
some. Prints one line per scan point and writes them to --json.
"""
import argparse
import os
import itertools
import json
import sys
from pathlib import Path

# BFGS's small dense algebra (numpy -> OpenBLAS) gains nothing from threads, and OpenBLAS's spinning
# threads stalled these scans 60x on a loaded machine (4 min instead of 4 s): one thread unless set.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import ase.io  # noqa: E402
import numpy as np
from ase.constraints import FixBondLength
from ase.data import covalent_radii
from ase.optimize import BFGS

ROOT = Path(__file__).resolve().parents[2]
BOND_FACTOR = 1.25


def bonded(atoms):
    d = atoms.get_all_distances()
    r = covalent_radii[atoms.numbers]
    b = d < BOND_FACTOR * (r[:, None] + r[None, :])
    np.fill_diagonal(b, False)
    return b


def four_rings(atoms):
    """Each 4-cycle a-b-c-d of the bond graph with no chord (a-c, b-d unbonded), once."""
    b = bonded(atoms)
    rings = set()
    for a, c in itertools.combinations(range(len(atoms)), 2):
        if b[a, c]:
            continue
        common = np.nonzero(b[a] & b[c])[0]
        for x, y in itertools.combinations(common, 2):
            if not b[x, y]:
                rings.add(frozenset((a, int(x), c, int(y))))
    out = []
    for ring in rings:
        r = sorted(ring)
        a = r[0]
        nb = [k for k in r if b[a, k]]
        c = [k for k in r if k != a and k not in nb][0]
        out.append((a, nb[0], c, nb[1]))
    return sorted(out)


def make_calc(spec, threads):
    if spec in ("ani2x", "ani1x"):
        sys.path.insert(0, str(ROOT / "training" / "teacher"))
        from teacher_ani import AniEnsembleCalculator
        return AniEnsembleCalculator(spec, threads=threads, dtype="float64")
    from painn_md.ase import PaiNNCalculator
    return PaiNNCalculator(spec, precision="fp64", threads=threads)


def relax(atoms, fmax, steps):
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=steps)
    return atoms.get_potential_energy()


def set_distance(atoms, i, j, d):
    """Moves atoms i and j symmetrically along their axis to distance d."""
    v = atoms.positions[j] - atoms.positions[i]
    r = np.linalg.norm(v)
    shift = 0.5 * (d - r) * v / r
    pos = atoms.positions.copy()
    pos[i] -= shift
    pos[j] += shift
    atoms.positions = pos


def scan_distances(d0, to, step):
    """The scan's grid: multiples of step below the relaxed distance d0, down to `to`."""
    top = np.floor(d0 / step - 1e-9) * step
    return [round(d, 6) for d in np.arange(top, to - 1e-9, -step)]


def scan_molecule(mol, calc, to=1.70, step=0.05, fmax=0.01):
    """Relaxed scans of both 1,3 pairs of every four-membered ring of mol: rows of ring, pair,
    relaxed distance, scan distance and the energy above the relaxed minimum (eV)."""
    rings = four_rings(mol)  # on the input geometry, so that every calculator scans the same pairs
    base = mol.copy()
    base.info = {}
    base.calc = calc
    e0 = relax(base, fmax, 500)
    rows = []
    for ring in rings:
        for i, j in ((ring[0], ring[2]), (ring[1], ring[3])):
            atoms = base.copy()
            atoms.calc = calc
            d0 = atoms.get_distance(i, j)
            for d in scan_distances(d0, to, step):
                atoms.set_constraint()
                set_distance(atoms, i, j, d)
                atoms.set_constraint(FixBondLength(i, j))
                e = relax(atoms, fmax, 300)
                rows.append({"ring": [int(k) for k in ring], "pair": f"{atoms[i].symbol}{i}-{atoms[j].symbol}{j}",
                             "relaxed_A": round(d0, 3), "d_A": round(d, 3), "dE_eV": round(e - e0, 4)})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("molecules")
    p.add_argument("--calc", required=True, help="ani2x, ani1x or a PaiNN-MD model file")
    p.add_argument("--names", help="comma-separated molecule names (info 'molecule' or 'name')")
    p.add_argument("--one-per-molecule", action="store_true")
    p.add_argument("--to", type=float, default=1.70, help="shortest 1,3 distance scanned (A)")
    p.add_argument("--step", type=float, default=0.05)
    p.add_argument("--fmax", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json")
    a = p.parse_args()
    sys.path.insert(0, str(ROOT / "training" / "potentials"))
    import md_stability
    mols = ase.io.read(a.molecules, ":")
    if a.one_per_molecule:
        mols = md_stability.lowest_energy_frame_per_molecule(mols)
    named = [(md_stability.molecule_name(m, k), m) for k, m in enumerate(mols)]
    if a.names:
        wanted = a.names.split(",")
        named = [(n, m) for n, m in named if n in wanted]
        if len(named) != len(wanted):
            raise SystemExit(f"ring_strain: not found: {sorted(set(wanted) - {n for n, _ in named})}")
    calc = make_calc(a.calc, a.threads)
    rows = []
    for name, mol in named:
        for row in scan_molecule(mol, calc, a.to, a.step, a.fmax):
            row = {"calc": Path(a.calc).name, "molecule": name, **row}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
