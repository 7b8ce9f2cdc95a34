"""Test structures (ASE), seeded: a molecule, periodic boxes (orthorhombic, triclinic), a small
cell in which atoms see several images of a neighbour, a slab (pbc T T F), and bench boxes."""
from pathlib import Path

import ase
import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def molecule():
    return ase.io.read(ROOT / "examples" / "molecules" / "aspirin.xyz")


def _fill(cell, n, seed, pbc=(True, True, True), min_sep=1.0, symbols="HCNO"):
    rng = np.random.default_rng(seed)
    cell = np.asarray(cell, dtype=float)
    atoms = ase.Atoms(cell=cell, pbc=pbc)
    tries = 0
    while len(atoms) < n and tries < 100000:
        tries += 1
        p = rng.uniform(0, 1, 3) @ cell
        trial = atoms.copy()
        trial += ase.Atom(symbols[len(atoms) % len(symbols)], p)
        if len(trial) > 1 and trial.get_distances(len(trial) - 1, range(len(trial) - 1), mic=True).min() < min_sep:
            continue
        atoms = trial
    return atoms


def orthorhombic():
    return _fill([[8.0, 0, 0], [0, 8.5, 0], [0, 0, 9.0]], 40, 1)


def triclinic():
    return _fill([[7.0, 0, 0], [2.1, 7.1, 0], [-1.4, 1.8, 7.2]], 30, 2)


def small_cell():
    # edges ~3 A: shorter than the 5 A cutoff, so atoms see several images of each neighbour and of themselves
    return _fill([[3.0, 0, 0], [0.9, 3.1, 0], [-0.6, 0.8, 3.2]], 3, 3, min_sep=1.2)


def slab():
    a = _fill([[7.0, 0, 0], [1.5, 7.0, 0], [0, 0, 8.0]], 24, 4, pbc=(True, True, False))
    return a


def methane_box(n_molecules, density=0.1, seed=0):
    """A periodic box of CH4-like molecules on a jittered lattice (about 5 atoms per molecule)."""
    rng = np.random.default_rng(seed)
    L = (5 * n_molecules / density) ** (1 / 3)
    g = int(np.ceil(n_molecules ** (1 / 3)))
    sp = L / g
    pos, sym = [], []
    for k in range(n_molecules):
        a, b, c = k // (g * g), (k // g) % g, k % g
        centre = (np.array([a, b, c]) + 0.5) * sp + rng.uniform(-0.2, 0.2, 3)
        pos.append(centre)
        sym.append("C")
        for v in [(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)]:
            pos.append(centre + 0.63 * np.array(v))
            sym.append("H")
    return ase.Atoms(sym, positions=pos, cell=[L, L, L], pbc=True)


def all_structures():
    return {"molecule": molecule(), "orthorhombic": orthorhombic(), "triclinic": triclinic(),
            "small_cell": small_cell(), "slab": slab()}


def write_fixtures(dirname):
    d = Path(dirname)
    d.mkdir(parents=True, exist_ok=True)
    for name, atoms in all_structures().items():
        ase.io.write(d / f"{name}.extxyz", atoms, format="extxyz")
