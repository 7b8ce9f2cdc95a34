"""Writing LAMMPS data files from ASE structures, and reading LAMMPS output back (tests)."""
import numpy as np

MASSES = {"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999, "F": 18.998, "S": 32.06, "Cl": 35.45}


def to_lammps_frame(atoms):
    """Rotates a periodic structure so that its cell is LAMMPS's lower-triangular form
    (a along x, b in the xy plane); returns the rotated copy (positions wrapped)."""
    a = atoms.copy()
    if a.pbc.any():
        q, r = np.linalg.qr(np.asarray(a.cell).T)
        sign = np.sign(np.diag(r))
        q, r = q * sign, (r.T * sign).T
        a.set_cell(r.T, scale_atoms=False)
        a.positions = atoms.positions @ q
        a.wrap()
    # ASE's extxyz keeps 8 decimals: round here so that both programs see the same coordinates.
    a.set_cell(np.round(np.asarray(a.cell), 8), scale_atoms=False)
    a.positions = np.round(a.positions, 8)
    return a


def write_data(path, atoms, species, box_margin=10.0):
    """atom_style atomic data file; types numbered in `species` order (element symbols)."""
    types = {s: k + 1 for k, s in enumerate(species)}
    lines = ["PaiNN-MD test structure", "", f"{len(atoms)} atoms", f"{len(species)} atom types", ""]
    if atoms.pbc.any():
        c = np.asarray(atoms.cell)
        lines += [f"0.0 {c[0, 0]:.16g} xlo xhi", f"0.0 {c[1, 1]:.16g} ylo yhi", f"0.0 {c[2, 2]:.16g} zlo zhi"]
        if abs(c[1, 0]) > 0 or abs(c[2, 0]) > 0 or abs(c[2, 1]) > 0:
            lines += [f"{c[1, 0]:.16g} {c[2, 0]:.16g} {c[2, 1]:.16g} xy xz yz"]
    else:
        lo, hi = atoms.positions.min(0) - box_margin, atoms.positions.max(0) + box_margin
        lines += [f"{lo[k]:.16g} {hi[k]:.16g} {n}lo {n}hi" for k, n in enumerate("xyz")]
    lines += ["", "Masses", ""] + [f"{k + 1} {MASSES[s]}" for k, s in enumerate(species)]
    lines += ["", "Atoms # atomic", ""]
    for i, (s, p) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions)):
        lines.append(f"{i + 1} {types[s]} {p[0]:.16g} {p[1]:.16g} {p[2]:.16g}")
    open(path, "w").write("\n".join(lines) + "\n")


def read_dump(path):
    """Last frame of a `dump custom ... id type x y z fx fy fz [c_pe] ...` file, sorted by id."""
    lines = open(path).read().split("\n")
    starts = [k for k, l in enumerate(lines) if l.startswith("ITEM: TIMESTEP")]
    k = starts[-1]
    n = int(lines[k + 3])
    cols = lines[k + 8].split()[2:]
    rows = np.array([[float(v) for v in l.split()] for l in lines[k + 9:k + 9 + n]])
    rows = rows[np.argsort(rows[:, 0])]
    return {c: rows[:, j] for j, c in enumerate(cols)}


def read_thermo(log_text):
    """Rows of the last thermo block as dicts of floats."""
    lines = log_text.split("\n")
    heads = [k for k, l in enumerate(lines) if l.strip().startswith("Step ")]
    k = heads[-1]
    names = lines[k].split()
    rows = []
    for l in lines[k + 1:]:
        parts = l.split()
        if len(parts) != len(names):
            break
        try:
            rows.append({n: float(v) for n, v in zip(names, parts)})
        except ValueError:
            break
    return rows
