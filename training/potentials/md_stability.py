#!/usr/bin/env python3
"""MD stability of potentials in LAMMPS, as a user would run them: many molecules the potential
never saw, spread apart in one box, Langevin dynamics at 300 K (0.5 fs), optionally followed by
an NVE leg. A run passes when
  - it finishes (LAMMPS exits 0, every thermo energy finite),
  - no molecule's covalent bond graph changes (bond: d < 1.25 x the sum of covalent radii, ASE's
    radii), checked on frames dumped every --check steps,
  - no two atoms come closer than 0.6 A.
The NVE leg's total-energy drift (meV/atom/ps, linear fit) and spread are reported.

Each changed bond is reported by name (molecule, atom indices within the molecule, elements,
formed or broken, and the closest and farthest the pair came on the checked frames), so that a
failure says what happened without rerunning it.

A long run on many molecules can be split: --chunk K/N runs only the K-th of N contiguous parts of
the molecule list (each part is its own box; the molecules are far apart, so the parts are the
same experiment), and `md_stability.py merge CHUNK.json ... -o ALL.json` joins the parts of each
model into one result once all N are there (molecule indices then refer to the whole list).
The chunks of one model can run in different sessions or side by side.

Usage: md_stability.py MOLECULES.extxyz MODEL.safetensors [MODEL ...] [--ps 1] [--nve-ps 0]
       [--molecules N] [--names NAME,...] [--chunk K/N] [--check 100] [--threads 1]
       [--json OUT.json] [--lmp build/bin/lmp_painn] [--one-per-molecule]
       md_stability.py merge CHUNK.json [CHUNK.json ...] -o ALL.json
Exit status 1 when any model fails; the table goes to stdout.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import ase
import ase.io
import numpy as np
from ase.data import covalent_radii

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lammps"))
import lammps_io  # noqa: E402

SPECIES = ["H", "C", "N", "O", "F", "S", "Cl"]
BOND_FACTOR, MIN_DISTANCE = 1.25, 0.6

INPUT = """units metal
atom_style atomic
boundary s s s
read_data {data}
pair_style painn
pair_coeff * * {model} {species}
neighbor 1.0 bin
neigh_modify every 1 delay 0 check yes
velocity all create 300.0 {seed} mom yes rot no dist gaussian
timestep 0.0005
thermo_style custom step time temp pe ke etotal
thermo_modify format float %.10f
thermo {check}
dump traj all custom {check} traj.dump id type x y z
dump_modify traj sort id format float %.6f
fix thermostat all langevin 300.0 300.0 0.1 {seed}
fix integrate all nve
run {langevin_steps}
{nve}
"""
NVE = """unfix thermostat
reset_timestep 0
thermo 20
run {nve_steps}
"""


def read_dump_frames(path):
    """Every frame of a `dump custom ... id type x y z` file: positions sorted by atom id."""
    lines = Path(path).read_text().split("\n")
    for k, line in enumerate(lines):
        if line.startswith("ITEM: TIMESTEP"):
            n = int(lines[k + 3])
            rows = np.array([[float(v) for v in r.split()] for r in lines[k + 9:k + 9 + n] if r.strip()])
            if len(rows) == n:
                yield rows[np.argsort(rows[:, 0])][:, 2:5]


def read_thermo_all(log_text):
    """Rows of every thermo block, as dicts of floats (non-numbers such as nan stay nan)."""
    rows, names = [], None
    for line in log_text.split("\n"):
        parts = line.split()
        if parts[:2] == ["Step", "Time"]:
            names = parts
            continue
        if names and len(parts) == len(names):
            try:
                rows.append({n: float(v) for n, v in zip(names, parts)})
                continue
            except ValueError:
                pass
        names = None if names and not parts else names
    return rows


def spread_apart(mols, gap=8.0):
    """Molecules on a cubic grid, each centred in a cell of the largest size plus gap."""
    size = max(np.ptp(m.positions, axis=0).max() for m in mols) + gap
    n = int(np.ceil(len(mols) ** (1 / 3)))
    box = ase.Atoms()
    owner = []
    for k, m in enumerate(mols):
        g = np.array([k % n, (k // n) % n, k // (n * n)], dtype=float)
        c = m.copy()
        c.positions += (g + 0.5) * size - c.positions.mean(0)
        box += c
        owner += [k] * len(c)
    return box, np.array(owner)


def molecule_name(m, k):
    return str(m.info.get("molecule", m.info.get("name", f"molecule-{k}")))


def bond_graph(pos, numbers, owner):
    r = covalent_radii[numbers]
    bonds = set()
    for k in np.unique(owner):
        idx = np.nonzero(owner == k)[0]
        d = np.linalg.norm(pos[idx, None] - pos[None, idx], axis=-1)
        lim = BOND_FACTOR * (r[idx, None] + r[None, idx])
        i, j = np.nonzero(np.triu(d < lim, 1))
        bonds |= {(int(idx[a]), int(idx[b])) for a, b in zip(i, j)}
    return bonds


def min_distance(pos):
    """Smallest distance between any two atoms (all pairs, via a coarse cell sort)."""
    from scipy.spatial import cKDTree
    d, _ = cKDTree(pos).query(pos, k=2)
    return float(d[:, 1].min())


def lowest_energy_frame_per_molecule(frames):
    """One starting geometry per molecule of a labelled data set: the frame of lowest energy, in
    the order the molecules first appear (thermal and bond-distorted frames share a molecule)."""
    best = {}
    for f in frames:
        name = f.info["molecule"]
        e = f.get_potential_energy()  # raises for a frame without an energy: no silent order
        if name not in best or e < best[name][0]:
            best[name] = (e, f)
    return [f for _, f in best.values()]


def changed_pairs(dump, box, owner, pairs, ref, names):
    """One record per atom pair whose bonded state changed on some checked frame: the molecule, the
    atoms (0-based within their molecule), the elements, broken or formed, the pair's distance at
    the start and its range over the checked frames, and on how many frames it was changed."""
    pairs = sorted(pairs)
    i, j = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    d = np.array([np.linalg.norm(pos[i] - pos[j], axis=-1) for pos in read_dump_frames(dump) if len(pos) == len(box)])
    first = {int(k): int(np.nonzero(owner == k)[0][0]) for k in np.unique(owner)}
    out = []
    for c, (pi, pj) in enumerate(pairs):
        k = int(owner[pi])
        lim = BOND_FACTOR * (covalent_radii[box.numbers[pi]] + covalent_radii[box.numbers[pj]])
        bonded = (pi, pj) in ref
        out.append({"molecule": names[k] if names else k, "atoms": [pi - first[k], pj - first[k]],
                    "elements": f"{box[pi].symbol}-{box[pj].symbol}", "kind": "broken" if bonded else "formed",
                    "bond_limit_A": round(float(lim), 3),
                    "start_A": round(float(np.linalg.norm(box.positions[pi] - box.positions[pj])), 3),
                    "min_A": round(float(d[:, c].min()), 3), "max_A": round(float(d[:, c].max()), 3),
                    "frames_changed": int(((d[:, c] < lim) != bonded).sum())})
    return out


def run_model(model, box, owner, a, workdir, names=None):
    data = Path(workdir) / "box.data"
    lammps_io.write_data(data, box, SPECIES)
    langevin_steps = int(round(a.ps / 0.0005))
    nve_steps = int(round(a.nve_ps / 0.0005))
    text = INPUT.format(data=data, model=model, species=" ".join(SPECIES), seed=a.seed, check=a.check,
                        langevin_steps=langevin_steps, nve=NVE.format(nve_steps=nve_steps) if nve_steps else "")
    (Path(workdir) / "in.stability").write_text(text)
    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads)}
    p = subprocess.run([a.lmp, "-in", "in.stability", "-log", "log", "-screen", "none"], cwd=workdir, env=env,
                       capture_output=True, text=True)
    log = (Path(workdir) / "log").read_text() if (Path(workdir) / "log").exists() else ""
    out = {"model": Path(model).name, "atoms": len(box), "molecules": int(owner.max() + 1), "ps": a.ps,
           "finished": p.returncode == 0}
    if p.returncode != 0:
        out["error"] = (p.stderr or p.stdout or log)[-400:]
    rows = read_thermo_all(log) if log else []
    out["finite"] = bool(rows) and all(np.isfinite(r["PotEng"]) and np.isfinite(r["TotEng"]) for r in rows)
    # Bond graph and closest pair, on every dumped frame (dump ids are 1-based, sorted).
    ref = bond_graph(box.positions, box.numbers, owner)
    broken_mols, changed, dmin, frames = set(), set(), np.inf, 0
    dump = Path(workdir) / "traj.dump"
    if dump.exists():
        for pos in read_dump_frames(dump):
            if len(pos) != len(box):
                continue
            frames += 1
            dmin = min(dmin, min_distance(pos))
            g = bond_graph(pos, box.numbers, owner)
            for i, j in ref ^ g:
                broken_mols.add(int(owner[i]))
                changed.add((i, j))
    out.update({"frames_checked": frames, "min_distance_A": round(float(dmin), 3),
                "molecules_with_changed_bonds": sorted(broken_mols)})
    if names:
        out["molecules_with_changed_bonds_names"] = [names[k] for k in sorted(broken_mols)]
    if changed:
        out["changed_pairs"] = changed_pairs(dump, box, owner, changed, ref, names)
    if nve_steps and rows:
        nve = [r for r in rows if r.get("Time") is not None]
        # the NVE leg restarts the step count at 0: take the rows after the last reset
        start = max(k for k, r in enumerate(nve) if r["Step"] == 0)
        t = np.array([r["Time"] for r in nve[start:]])
        e = np.array([r["TotEng"] for r in nve[start:]]) * 1000 / len(box)
        if len(t) > 2:
            out["nve_drift_meV_atom_ps"] = float(np.polyfit(t, e, 1)[0])
            out["nve_spread_meV_atom"] = float(np.ptp(e))
    out["stable"] = bool(out["finished"] and out["finite"] and not broken_mols and dmin >= MIN_DISTANCE
                         and frames > langevin_steps // a.check)
    return out


def chunk_of(items, spec):
    """The K-th of N contiguous, nearly equal parts of items (spec 'K/N', K from 1), and the index
    of its first item in the whole list."""
    try:
        k, n = (int(v) for v in spec.split("/"))
    except ValueError:
        raise SystemExit(f"md_stability: --chunk wants K/N (e.g. 2/4), not {spec!r}")
    if not 1 <= k <= n <= len(items):
        raise SystemExit(f"md_stability: --chunk {spec}: need 1 <= K <= N <= {len(items)} (the molecules)")
    bounds = np.linspace(0, len(items), n + 1).round().astype(int)
    return items[bounds[k - 1]:bounds[k]], int(bounds[k - 1])


def merge(paths):
    """Joins the chunk results of each model (all N chunks of one split, each once) into one result
    for the whole molecule list, as one box of all of them would report it: stable when every chunk
    is, the closest pair over all, molecule indices into the whole list, and the NVE drift as the
    atom-weighted mean of the chunks' per-atom drifts (the chunks do not interact). The NVE spread
    is the largest chunk's (spreads do not add). The chunks' own results are kept under 'chunks'."""
    by_model = {}
    for path in paths:
        for r in json.loads(Path(path).read_text()):
            if "chunk" not in r:
                raise SystemExit(f"md_stability merge: {path}: a result without 'chunk' (not a --chunk run)")
            by_model.setdefault((r["model"], r["ps"], r.get("nve_ps", 0.0)), []).append(r)
    merged = []
    for (model, ps, nve_ps), rs in by_model.items():
        n = {r["chunk"].split("/")[1] for r in rs}
        ks = sorted(int(r["chunk"].split("/")[0]) for r in rs)
        if len(n) != 1 or ks != list(range(1, int(n.pop()) + 1)):
            raise SystemExit(f"md_stability merge: {model} ({ps} ps): chunks {[r['chunk'] for r in rs]} "
                             "are not each of 1..N once")
        rs.sort(key=lambda r: int(r["chunk"].split("/")[0]))
        atoms = sum(r["atoms"] for r in rs)
        out = {"model": model, "atoms": atoms, "molecules": sum(r["molecules"] for r in rs), "ps": ps,
               "finished": all(r["finished"] for r in rs), "finite": all(r["finite"] for r in rs),
               "frames_checked": min(r["frames_checked"] for r in rs),
               "min_distance_A": min(r["min_distance_A"] for r in rs),
               "molecules_with_changed_bonds": sorted(r["first_molecule"] + k for r in rs
                                                      for k in r["molecules_with_changed_bonds"]),
               "molecules_with_changed_bonds_names": [m for r in rs for m in r.get("molecules_with_changed_bonds_names", [])],
               "changed_pairs": [c for r in rs for c in r.get("changed_pairs", [])]}
        if all("nve_drift_meV_atom_ps" in r for r in rs):
            out["nve_drift_meV_atom_ps"] = sum(r["nve_drift_meV_atom_ps"] * r["atoms"] for r in rs) / atoms
            out["nve_spread_meV_atom"] = max(r["nve_spread_meV_atom"] for r in rs)
        out["stable"] = all(r["stable"] for r in rs)
        out["chunks"] = rs
        merged.append(out)
    return merged


def main():
    if sys.argv[1:2] == ["merge"]:
        p = argparse.ArgumentParser(prog="md_stability.py merge")
        p.add_argument("chunks", nargs="+")
        p.add_argument("-o", "--output", required=True)
        a = p.parse_args(sys.argv[2:])
        results = merge(a.chunks)
        Path(a.output).write_text(json.dumps(results, indent=1))
        for r in results:
            print(json.dumps({k: v for k, v in r.items() if k != "chunks"}))
        return 0 if all(r["stable"] for r in results) else 1
    p = argparse.ArgumentParser()
    p.add_argument("molecules")
    p.add_argument("models", nargs="+")
    p.add_argument("--ps", type=float, default=1.0)
    p.add_argument("--nve-ps", type=float, default=0.0)
    p.add_argument("--molecules", dest="n", type=int, default=0, help="use the first N molecules (0: all)")
    p.add_argument("--names", help="only these molecules (comma-separated names: info 'molecule' or 'name')")
    p.add_argument("--chunk", help="K/N: only the K-th of N contiguous parts of the molecules (see merge)")
    p.add_argument("--check", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=4928459)
    p.add_argument("--one-per-molecule", action="store_true",
                   help="MOLECULES is a labelled data set (e.g. test_unseen.extxyz): start each molecule "
                        "(info key 'molecule') from its lowest-energy frame")
    p.add_argument("--json")
    p.add_argument("--lmp", default=str(ROOT / "build" / "bin" / "lmp_painn"))
    a = p.parse_args()
    mols = ase.io.read(a.molecules, ":")
    if a.one_per_molecule:
        mols = lowest_energy_frame_per_molecule(mols)
    if a.n:
        mols = mols[:a.n]
    names = [molecule_name(m, k) for k, m in enumerate(mols)]
    if a.names:
        wanted = a.names.split(",")
        missing = sorted(set(wanted) - set(names))
        if missing:
            raise SystemExit(f"md_stability: no molecule named {', '.join(missing)} in {a.molecules}")
        mols = [m for m, n in zip(mols, names) if n in wanted]
        names = [n for n in names if n in wanted]
    first = 0
    if a.chunk:
        mols, first = chunk_of(mols, a.chunk)
        names = names[first:first + len(mols)]
    box, owner = spread_apart(mols)
    results = []
    for model in a.models:
        with tempfile.TemporaryDirectory() as d:
            r = run_model(str(Path(model).resolve()), box, owner, a, d, names)
        r["nve_ps"] = a.nve_ps
        if a.chunk:
            r.update({"chunk": a.chunk, "first_molecule": first})
        results.append(r)
        print(json.dumps(r), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0 if all(r["stable"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
