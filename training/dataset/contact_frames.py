#!/usr/bin/env python3
"""Intermolecular contact frames: two molecules pushed together until their outermost atoms touch.

Why: the training data's molecules never come closer to each other than about 0.8 A, so between
there and the ZBL pair cutoff (0.62 A for H-H) nothing tells a student that a contact is
repulsive, and the students learned a shoulder there (potentials/README.md, "Short range").
ANI-2x itself stays monotonically repulsive for H...H contacts down to 0.6 A with a force spread
below 1 eV/A down to about 0.8 A (scan in potentials/README.md), so it can label them; frames where
its ensemble disagrees are dropped later by finish_v2.py's spread filter.

Each frame: molecules A and B (random frames of the input, centred), a random direction u; the
atom of A furthest along u and the atom of B furthest along -u are placed at distance r apart
along u, r uniform in [--closest, --farthest]. A frame is kept only when no other pair of A and B
is closer than r (the contact is the closest intermolecular pair), so r is its smallest distance.

Usage: contact_frames.py MOLECULES.extxyz -o OUT.extxyz [--count 1500] [--closest 0.75]
       [--farthest 1.6] [--seed 11]        (Debian's python3 or the teacher venv: numpy + ase)
Output info: molecule ("contact:<name A>+<name B>"), split=train, contact_distance (A),
contact_pair (the two elements), contact_atoms_a (A's atoms come first).
"""
import argparse
import sys
from pathlib import Path

import ase
import ase.io
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "potentials"))
import short_range  # noqa: E402


def contact_frame(a, b, u, r):
    """A and B with the contact of their outermost atoms along u at distance r (the same head-on
    placement as the shipped-potentials contact scans); None when another A-B pair is as close."""
    a, b, i, j = short_range.head_on(a, b, u, r)
    d = np.linalg.norm(a.positions[:, None, :] - b.positions[None, :, :], axis=-1)
    if d.min() < r * (1 - 1e-9):
        return None
    pair = a.get_chemical_symbols()[i] + "-" + b.get_chemical_symbols()[j]
    return a + b, pair


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("molecules")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--count", type=int, default=1500)
    p.add_argument("--closest", type=float, default=0.75)
    p.add_argument("--farthest", type=float, default=1.6)
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args()
    if not 0 < a.closest <= a.farthest:
        sys.exit("contact_frames: need 0 < --closest <= --farthest")
    mols = ase.io.read(a.molecules, ":")
    rng = np.random.default_rng(a.seed)
    out, tries = [], 0
    while len(out) < a.count:
        tries += 1
        if tries > 20 * a.count:
            sys.exit(f"contact_frames: only {len(out)} of {a.count} frames after {tries} tries")
        ka, kb = rng.integers(len(mols), size=2)
        u = rng.normal(size=3)
        u /= np.linalg.norm(u)
        r = rng.uniform(a.closest, a.farthest)
        made = contact_frame(mols[ka], mols[kb], u, r)
        if made is None:
            continue
        atoms, pair = made
        names = [m.info.get("molecule", m.info.get("name", f"mol{k}")) for m, k in ((mols[ka], ka), (mols[kb], kb))]
        atoms.info = {"molecule": f"contact:{names[0]}+{names[1]}", "split": "train",
                      "contact_distance": float(r), "contact_pair": pair, "contact_atoms_a": len(mols[ka])}
        out.append(atoms)
    ase.io.write(a.output, out, format="extxyz")
    pairs = {}
    for f in out:
        pairs[f.info["contact_pair"]] = pairs.get(f.info["contact_pair"], 0) + 1
    top = ", ".join(f"{k} {v}" for k, v in sorted(pairs.items(), key=lambda kv: -kv[1])[:6])
    print(f"contact_frames: {len(out)} frames ({tries} tries), contacts {a.closest}-{a.farthest} A; {top}")


if __name__ == "__main__":
    main()
