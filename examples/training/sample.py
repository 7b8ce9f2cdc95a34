#!/usr/bin/env python3
"""Samples configurations of one molecule around its geometry: random Cartesian displacements
with a spread of amplitudes (0.02-0.15 A, Gaussian), plus a random rigid rotation, seeded.
Usage: sample.py IN.xyz N OUT.extxyz [--seed S]"""
import argparse

import ase.io
import numpy as np


def random_rotation(rng):
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("n", type=int)
    p.add_argument("output")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    mol = ase.io.read(args.input)
    name = mol.info.get("name", "molecule")
    frames = []
    for k in range(args.n):
        a = mol.copy()
        amp = rng.uniform(0.02, 0.15)
        pos = a.positions - a.positions.mean(axis=0)
        pos = pos @ random_rotation(rng).T + rng.normal(0.0, amp, pos.shape)
        a.positions = pos
        a.info = {"molecule": name, "amplitude": round(float(amp), 4), "sample": k}
        frames.append(a)
    ase.io.write(args.output, frames, format="extxyz")


if __name__ == "__main__":
    main()
