#!/usr/bin/env python3
"""3D structures for molecules.csv with openbabel (obabel --gen3d -h), keeping molecules of
10-50 atoms. Usage: build_structures.py molecules.csv OUT.extxyz"""
import csv
import subprocess
import sys
import tempfile

import ase.io


def main():
    src, out = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(src)))
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/in.smi", "w") as f:
            for r in rows:
                f.write(f"{r['smiles']} {r['name']}\n")
        subprocess.run(["obabel", "-ismi", f"{d}/in.smi", "-oxyz", "--gen3d", "-h", "-O", f"{d}/out.xyz"],
                       check=True, capture_output=True)
        mols = ase.io.read(f"{d}/out.xyz", ":", format="xyz")
    if len(mols) != len(rows):
        sys.exit(f"openbabel returned {len(mols)} structures for {len(rows)} molecules")
    kept = []
    for r, m in zip(rows, mols):
        if not 10 <= len(m) <= 50:
            print(f"skip {r['name']} ({len(m)} atoms)", file=sys.stderr)
            continue
        m.info = {"name": r["name"], "split": r["split"], "scaffold": r["scaffold"]}
        kept.append(m)
    ase.io.write(out, kept, format="extxyz")
    print(f"structures: {len(kept)} of {len(rows)} molecules kept", file=sys.stderr)


if __name__ == "__main__":
    main()
