"""Test structures (ASE), deterministic (seeded), only H, C, N, O:

  molecule      aspirin, 21 atoms, non-periodic
  orthorhombic  periodic orthorhombic box of small molecules at about liquid density
  triclinic     periodic triclinic cell, 30 atoms (random, >= 1 A apart)
  small_cell    triclinic cell with ~3 A edges: atoms see several images of the same neighbour
                and of themselves within the 5 A cutoff
  slab          pbc = (T, T, F), an oblique in-plane cell with vacuum above and below
  wire          pbc = (F, F, T), periodic along z only
  isolated      a non-periodic molecule plus one atom farther than any cutoff from everything
  bench_box     ~3000 atoms: water- and methane-like molecules on a jittered lattice (benchmarks)

write_fixtures(dirname) writes the test structures as extxyz files.
"""
from pathlib import Path

import ase
import ase.io
import numpy as np
from ase.build import molecule as g2_molecule

# aspirin (obabel --gen3d from SMILES CC(=O)Oc1ccccc1C(=O)O), Angstrom; the same coordinates as
# examples/molecules/aspirin.xyz, kept here so the oracle does not depend on other directories
ASPIRIN = """\
C 1.01932 1.00015 0.05342
C 2.46754 1.33260 -0.14802
O 2.87853 2.12123 -0.98650
O 3.23901 0.61118 0.77258
C 4.64528 0.76412 0.77826
C 5.36397 0.81213 -0.42089
C 6.74946 0.97238 -0.39936
C 7.42420 1.06232 0.81600
C 6.71505 0.97569 2.01516
C 5.32226 0.80881 2.00829
C 4.65328 0.70271 3.33183
O 5.07432 1.25384 4.33436
O 3.58824 -0.12573 3.34687
H 0.42963 1.47541 -0.73698
H 0.68329 1.38146 1.01984
H 0.86895 -0.08000 -0.01295
H 4.86308 0.73974 -1.38346
H 7.30036 1.03884 -1.33426
H 8.50359 1.20005 0.83068
H 7.25481 1.03613 2.96005
H 3.39752 -0.54607 2.48651
"""


def molecule():
    """Aspirin, C9H8O4 (21 atoms), no cell, no periodicity."""
    rows = [line.split() for line in ASPIRIN.splitlines()]
    return ase.Atoms([r[0] for r in rows], positions=[[float(x) for x in r[1:]] for r in rows])


def _random_rotation(rng):
    q = rng.normal(size=4)
    a, b, c, d = q / np.linalg.norm(q)
    return np.array([[a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
                     [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
                     [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d]])


def _mic_distances(cell, pbc, new, old):
    """Minimum-image distances between the rows of new [n, 3] and old [m, 3] (cells with the
    shortest vector well above the distances that matter here)."""
    if len(old) == 0:
        return np.full((len(new), 0), np.inf)
    diff = old[None, :, :] - new[:, None, :]
    frac = np.linalg.solve(cell.T, diff.reshape(-1, 3).T).T
    frac -= np.where(pbc, np.round(frac), 0.0)
    return np.linalg.norm(frac @ cell, axis=1).reshape(len(new), len(old))


def _fill(cell, n, seed, pbc=(True, True, True), min_sep=1.0, symbols="HCNO"):
    """n random atoms (cycling through `symbols`) at least min_sep apart (minimum image)."""
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
    if len(atoms) < n:
        raise RuntimeError("could not place all atoms")
    return atoms


def _pack_molecules(cell, templates, seed, pbc=(True, True, True), min_sep=1.6, max_tries=20000):
    """Places rigid, randomly rotated copies of `templates` (ase.Atoms) at random positions, keeping
    atoms of different molecules at least min_sep apart (minimum image)."""
    rng = np.random.default_rng(seed)
    cell = np.asarray(cell, dtype=float)
    pbc = np.asarray(pbc, dtype=bool)
    symbols, positions = [], np.zeros((0, 3))
    for t in templates:
        local = t.positions - t.positions.mean(axis=0)
        for _ in range(max_tries):
            trial = local @ _random_rotation(rng).T + rng.uniform(0, 1, 3) @ cell
            if _mic_distances(cell, pbc, trial, positions).min(initial=np.inf) >= min_sep:
                break
        else:
            raise RuntimeError("could not place all molecules; lower the density")
        symbols += list(t.get_chemical_symbols())
        positions = np.vstack([positions, trial])
    return ase.Atoms(symbols, positions=positions, cell=cell, pbc=pbc)


def orthorhombic():
    """14 small molecules (H2O, CH4, NH3, CH3OH, HCN, H2CO) in an 8.0 x 8.5 x 9.0 A box: 57 atoms,
    0.093 atoms/A^3 (liquid water: 0.10); atoms of different molecules >= 1.6 A apart."""
    names = ["H2O", "CH4", "NH3", "CH3OH", "HCN", "H2CO"] * 2 + ["H2O", "NH3"]
    return _pack_molecules([[8.0, 0, 0], [0, 8.5, 0], [0, 0, 9.0]], [g2_molecule(m) for m in names], seed=1)


def triclinic():
    """30 atoms (H, C, N, O cycled) >= 1 A apart in a triclinic (lower-triangular) cell."""
    return _fill([[7.0, 0, 0], [2.1, 7.1, 0], [-1.4, 1.8, 7.2]], 30, 2)


def small_cell():
    """4 atoms (H, C, N, O) in a triclinic cell with edges ~3 A, shorter than the 5 A cutoff: each
    atom sees several periodic images of every other atom and of itself."""
    return _fill([[3.0, 0, 0], [0.9, 3.1, 0], [-0.6, 0.8, 3.2]], 4, 3, min_sep=1.1)


def slab():
    """pbc (T, T, F): 24 atoms in a 5 A thick layer of an oblique 7 x 7 A cell, 10 A of vacuum."""
    a = _fill([[7.0, 0, 0], [1.5, 7.0, 0], [0, 0, 5.0]], 24, 4, pbc=(True, True, False))
    a.set_cell([[7.0, 0, 0], [1.5, 7.0, 0], [0, 0, 15.0]], scale_atoms=False)
    a.positions[:, 2] += 5.0
    return a


def wire():
    """pbc (F, F, T): 16 atoms in a 6 x 6 A column, periodic with period 4.5 A along z."""
    a = _fill([[6.0, 0, 0], [0, 6.0, 0], [0.4, -0.3, 4.5]], 16, 5, pbc=(False, False, True))
    a.positions[:, :2] += 3.0
    return a


def isolated():
    """Non-periodic: a water molecule, a methane molecule 3 A away, and a lone N atom 12 A from both
    (an atom with no neighbours)."""
    w = g2_molecule("H2O")
    m = g2_molecule("CH4")
    m.positions += (3.0, 0.4, -0.2)
    n = ase.Atoms("N", positions=[(15.0, 2.0, 1.0)])
    return w + m + n


def methane_box(n_molecules, density=0.1, seed=0):
    """A periodic cubic box of CH4-like molecules on a jittered lattice (5 atoms per molecule,
    `density` atoms/A^3, all molecules in the same orientation)."""
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


def bench_box(n_atoms=3000, density=0.09, seed=0, min_sep=1.5):
    """~n_atoms in a periodic cubic box: alternating water-like (3 atoms) and methane-like (5 atoms)
    molecules, randomly rotated, on a randomly occupied jittered cubic lattice; atoms of different
    molecules at least min_sep A apart. 3000 atoms -> 375 H2O + 375 CH4, L = 32.2 A."""
    rng = np.random.default_rng(seed)
    templates = [g2_molecule("H2O"), g2_molecule("CH4")]
    n_mol = int(round(n_atoms / 4))
    L = (n_atoms / density) ** (1 / 3)
    g = int(np.ceil(n_mol ** (1 / 3)))
    spacing = L / g
    sites = rng.permutation(g ** 3)[:n_mol]
    cell = np.eye(3) * L
    pbc = np.ones(3, dtype=bool)
    symbols, blocks = [], []
    grid = {}  # lattice site -> atom positions there, for a local overlap check
    for m, s in enumerate(sites):
        t = templates[m % 2]
        idx = np.array([s // (g * g), (s // g) % g, s % g])
        local = t.positions - t.positions.mean(axis=0)
        neighbour_sites = {tuple((idx + np.array(o) - 1) % g) for o in np.ndindex(3, 3, 3)}
        near = [grid[k] for k in neighbour_sites if k in grid]
        near = np.vstack(near) if near else np.zeros((0, 3))
        for _ in range(1000):
            centre = (idx + 0.5) * spacing + rng.uniform(-0.15, 0.15, 3) * spacing
            trial = local @ _random_rotation(rng).T + centre
            if _mic_distances(cell, pbc, trial, near).min(initial=np.inf) >= min_sep:
                break
        else:
            raise RuntimeError("bench_box: could not place a molecule; lower the density")
        grid[tuple(idx)] = trial
        symbols += list(t.get_chemical_symbols())
        blocks.append(trial)
    atoms = ase.Atoms(symbols, positions=np.vstack(blocks), cell=cell, pbc=True)
    atoms.wrap()
    return atoms


def all_structures():
    """The structures the oracle and C++ comparisons run on (bench_box excluded: too large)."""
    return {"molecule": molecule(), "orthorhombic": orthorhombic(), "triclinic": triclinic(),
            "small_cell": small_cell(), "slab": slab(), "wire": wire(), "isolated": isolated()}


def write_fixtures(dirname, bench=False):
    """Writes every structure of all_structures() (and bench_box with bench=True) as NAME.extxyz;
    returns {name: path}."""
    d = Path(dirname)
    d.mkdir(parents=True, exist_ok=True)
    structures = all_structures()
    if bench:
        structures["bench_box"] = bench_box()
    paths = {}
    for name, atoms in structures.items():
        paths[name] = d / f"{name}.extxyz"
        ase.io.write(paths[name], atoms, format="extxyz")
    return paths


if __name__ == "__main__":
    import sys
    for name, path in write_fixtures(sys.argv[1] if len(sys.argv) > 1 else "fixtures", bench=True).items():
        print(path)
