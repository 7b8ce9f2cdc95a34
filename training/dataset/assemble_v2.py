#!/usr/bin/env python3
"""Gathers the configurations of data set v2 into one file for the teacher:
- MOSES molecules: GFN-FF MD frames and bond-distorted frames (split train / unseen as chosen);
- the v1 molecules: v1's GFN-FF frames (training/dataset/data, GFN2-xTB labelled), split
  v1_train / v1_val / v1_test / v1_unseen after their v1 split; their GFN2-xTB labels are kept
  as gfn2_energy and the per-atom gfn2_forces, so that students can be compared with both.
Positions are rounded to a 1e-5 A grid here, before labelling, so that the packed data set
(pack_v2.py: integer multiples of 1e-5 A) holds exactly the positions the teacher saw.
Usage: assemble_v2.py OUT.extxyz --moses MD.extxyz DISTORTED.extxyz [--v1 DIR] [--v1-every K]
"""
import argparse
import os

import ase.io
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("output")
    p.add_argument("--moses", nargs="+", default=[])
    p.add_argument("--v1", help="directory with v1 train/val/test/test_unseen.extxyz")
    p.add_argument("--v1-every", type=int, default=1, help="keep every K-th v1 frame (quick runs)")
    a = p.parse_args()
    out = []
    for path in a.moses:
        out += ase.io.read(path, ":")
    if a.v1:
        for split in ("train", "val", "test", "test_unseen"):
            frames = ase.io.read(os.path.join(a.v1, f"{split}.extxyz"), ":")[::a.v1_every]
            for f in frames:
                g = f.copy()
                g.calc = None
                g.info = {k: v for k, v in f.info.items() if k in ("molecule", "name", "scaffold", "temperature")}
                g.info["split"] = "v1_unseen" if split == "test_unseen" else "v1_" + split
                g.info["gfn2_energy"] = f.get_potential_energy()
                g.arrays["gfn2_forces"] = f.get_forces().copy()
                out.append(g)
    for f in out:
        f.positions = np.round(f.positions * 1e5) / 1e5
        f.calc = None
        for k in ("energy", "label_index", "teacher"):
            f.info.pop(k, None)
        f.arrays.pop("forces", None)
    ase.io.write(a.output, out, format="extxyz")
    print(f"assemble_v2: {len(out)} frames")


if __name__ == "__main__":
    main()
