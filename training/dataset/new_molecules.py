#!/usr/bin/env python3
"""The first N candidate molecules (moses_molecules.py output) whose Bemis-Murcko scaffold is not
in a data set's moses.csv, renamed PREFIX-0000, PREFIX-0001, ... (split train): new chemistry for
an active-learning or ring round, never a scaffold the data set already has.

Usage: new_molecules.py CANDIDATES.extxyz DATA/moses.csv N -o OUT.extxyz --prefix al-new [--key name]"""
import argparse
import csv
import sys

import ase.io


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("candidates")
    p.add_argument("moses_csv")
    p.add_argument("n", type=int)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--key", default="name", help="info key that holds the new name (name or molecule)")
    a = p.parse_args()
    used = {r["scaffold"] for r in csv.DictReader(open(a.moses_csv))}
    new = [m for m in ase.io.read(a.candidates, ":") if m.info["scaffold"] not in used][:a.n]
    for k, m in enumerate(new):
        m.info = {a.key: f"{a.prefix}-{k:04d}", "split": "train", "scaffold": m.info["scaffold"]}
    ase.io.write(a.output, new, format="extxyz")
    print(f"new_molecules: {len(new)} new molecules", file=sys.stderr)


if __name__ == "__main__":
    main()
