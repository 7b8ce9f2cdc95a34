#!/usr/bin/env python3
"""Splits labelled.extxyz into train / val / test (held-out configurations of training
molecules, by configuration, seeded) and test_unseen (molecules of held-out scaffolds).
Usage: split.py labelled.extxyz OUTDIR [--seed 7]"""
import argparse
import random

import ase.io


def main():
    p = argparse.ArgumentParser()
    p.add_argument("labelled")
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = random.Random(a.seed)
    frames = ase.io.read(a.labelled, ":")
    sets = {"train": [], "val": [], "test": [], "test_unseen": []}
    for f in frames:
        if f.info.get("split") == "unseen":
            sets["test_unseen"].append(f)
        else:
            u = rng.random()
            sets["train" if u < 0.8 else "val" if u < 0.9 else "test"].append(f)
    for name, fr in sets.items():
        ase.io.write(f"{a.outdir}/{name}.extxyz", fr, format="extxyz")
        mols = len({f.info["molecule"] for f in fr})
        print(f"{name}: {len(fr)} configurations of {mols} molecules")


if __name__ == "__main__":
    main()
