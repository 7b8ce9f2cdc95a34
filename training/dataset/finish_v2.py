#!/usr/bin/env python3
"""Filters the teacher-labelled frames and splits them (data set v2).

Filters, each counted in the report:
- trust: a frame with any atom pair closer than --trust x (sum of covalent radii) is dropped;
  there the teacher is not trustworthy (training/teacher/scan_short_range.py: ANI-2x bonds
  between heavy atoms turn attractive or spread out below about 0.77 r0) and the model's ZBL
  term takes over;
- spread: a frame whose largest per-atom teacher_force_std exceeds --max-force-std (eV/A) is
  dropped: the ensemble disagrees there, so its mean is not a label to learn.
Splits (molecules keep the split they were chosen for):
- split=train (MOSES train scaffolds) and the v1 molecules of v1 split train/val/test: by
  configuration, seeded, 80 / 10 / 10 into train / val / test (held-out configurations);
  v1 frames keep their v1 split so that v1's test frames stay out of training;
- split=unseen (MOSES test_scaffolds): test_unseen;
- split=v1_unseen (v1 test_unseen molecules, held-out enumerated scaffolds): test_unseen_v1.
Usage: finish_v2.py LABELLED.extxyz OUTDIR [--seed 7] [--trust 0.78] [--max-force-std 1.0]
"""
import argparse
import json
import random
import sys

import ase.io
import numpy as np
from ase.data import covalent_radii


def too_close(atoms, trust):
    d = atoms.get_all_distances()
    r = covalent_radii[atoms.numbers]
    lim = trust * (r[:, None] + r[None, :])
    np.fill_diagonal(d, np.inf)
    return bool((d < lim).any())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("labelled")
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--trust", type=float, default=0.78)
    p.add_argument("--max-force-std", type=float, default=1.0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    sets = {k: [] for k in ("train", "val", "test", "test_unseen", "test_unseen_v1")}
    dropped = {"trust": 0, "spread": 0}
    stds = []
    frames = ase.io.read(a.labelled, ":")
    for f in frames:
        fs = f.arrays.get("teacher_force_std")
        if fs is not None:
            stds.append(float(fs.max()))
        if too_close(f, a.trust):
            dropped["trust"] += 1
            continue
        if fs is not None and fs.max() > a.max_force_std:
            dropped["spread"] += 1
            continue
        split = f.info.get("split")
        if split == "unseen":
            sets["test_unseen"].append(f)
        elif split == "v1_unseen":
            sets["test_unseen_v1"].append(f)
        elif split in ("v1_train", "v1_val", "v1_test"):
            sets[split[3:]].append(f)
        else:
            u = rng.random()
            sets["train" if u < 0.8 else "val" if u < 0.9 else "test"].append(f)
    report = {"labelled": len(frames), "dropped": dropped, "trust": a.trust, "max_force_std": a.max_force_std,
              "teacher_force_std_max_percentiles": dict(zip(["50", "90", "99", "99.9"],
                                                            np.percentile(stds, [50, 90, 99, 99.9]).round(4).tolist()))
              if stds else {}}
    for name, fr in sets.items():
        ase.io.write(f"{a.outdir}/{name}.extxyz", fr, format="extxyz")
        report[name] = {"configurations": len(fr), "molecules": len({f.info["molecule"] for f in fr}),
                        "mean_atoms": round(float(np.mean([len(f) for f in fr])), 1) if fr else 0}
    json.dump(report, open(f"{a.outdir}/report.json", "w"), indent=1)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
