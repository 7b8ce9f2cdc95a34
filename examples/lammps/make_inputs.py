#!/usr/bin/env python3
"""Writes the LAMMPS example data files: aspirin in vacuum (molecule/aspirin.data) and a periodic
box of 27 drug-like molecules from the data set at about 0.5 g/cm^3 (box/molecules.data).
Seeded; run with Debian's python3: /usr/bin/python3 examples/lammps/make_inputs.py"""
import lzma
import sys
from pathlib import Path

import ase.io
import numpy as np
from ase.data import atomic_masses
from ase.geometry import get_distances

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lammps"))
import lammps_io  # noqa: E402

SPECIES = ["H", "C", "N", "O", "F", "S", "Cl"]


def main():
    rng = np.random.default_rng(2026)
    mol = ase.io.read(ROOT / "examples" / "molecules" / "aspirin.xyz")
    mol.positions -= mol.positions.mean(0)
    mol.positions += 25.0
    mol.pbc = False
    lammps_io.write_data(HERE / "molecule" / "aspirin.data", mol, SPECIES, box_margin=25.0)

    with lzma.open(ROOT / "training" / "dataset" / "data" / "structures.extxyz.xz", "rt") as f:
        pool = [m for m in ase.io.read(f, ":", format="extxyz") if m.info.get("split") == "train" and len(m) <= 25]
    n, grid = 27, 3
    picks = [pool[k] for k in rng.choice(len(pool), n, replace=False)]
    mass = sum(atomic_masses[m.numbers].sum() for m in picks)  # amu
    L = (mass * 1.66054 / 0.5) ** (1 / 3)  # A, from g/cm^3
    spacing = L / grid
    box = ase.Atoms(cell=[L, L, L], pbc=True)
    for k, m in enumerate(picks):
        base = m.copy()
        base.positions -= base.positions.mean(0)
        for attempt in range(500):  # random orientation and offset until no contact < 1.7 A
            m = base.copy()
            m.rotate(rng.uniform(0, 360), rng.normal(size=3))
            m.positions += (np.array([k // 9, (k // 3) % 3, k % 3]) + 0.5) * spacing + rng.uniform(-1, 1, 3)
            trial = box + m
            if len(box) == 0 or get_distances(m.positions, box.positions, cell=box.cell, pbc=True)[1].min() > 1.7:
                break
        else:
            raise SystemExit(f"could not place molecule {k}")
        box = trial
    box.wrap()
    d = box.get_all_distances(mic=True) + np.eye(len(box)) * 10
    print(f"box: {len(box)} atoms, {L:.2f} A, closest contact {d.min():.2f} A")
    lammps_io.write_data(HERE / "box" / "molecules.data", box, SPECIES)


if __name__ == "__main__":
    main()
