#!/usr/bin/env python3
"""Labels configurations with any ASE calculator as the teacher: energies (eV), forces (eV/A)
and, for ensembles, the spread of the members' forces.

    label_ase.py IN.extxyz -o OUT.extxyz --teacher ani2x|ani1x|gfn2|MODULE:CLASS [--batch 64]
                 [--threads N] [--dtype float32|float64] [--max-force-std X]

Teachers
- ani2x, ani1x: the torchani 8-model ensembles (teacher_ani.py), evaluated in batches; ANI-2x
  covers H C N O F S Cl, ANI-1x H C N O. Energies are the ensemble mean, forces its gradient.
- gfn2: GFN2-xTB through `painn label --teacher gfn2` (teacher_gfn2_cli.py).
- MODULE:CLASS: any ASE calculator class, constructed without arguments (e.g. a DFT code, MACE,
  Orb); it is called one frame at a time through atoms.get_potential_energy()/get_forces().

Output (extended XYZ, ASE conventions): the input frames with `energy`, `forces`, info keys
`teacher`, `label_index` (the frame's index in IN) and, for ensembles, `teacher_energy_std` (eV)
and the per-atom array `teacher_force_std` (eV/A: sqrt of the summed x/y/z variance of the
members' forces). Frames are written in input order; running the same command again resumes
after the last frame written (a partly written last frame is cut off first). A frame whose
calculation fails, or whose largest teacher_force_std exceeds --max-force-std, is listed in
OUT.failed with the reason and not written.
"""
import argparse
import importlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "teacher"))


def make_teacher(name, threads, dtype="float32"):
    if name in ("ani2x", "ani1x"):
        from teacher_ani import AniEnsembleCalculator
        return AniEnsembleCalculator(name, threads=threads, dtype=dtype)
    if name == "gfn2":
        from teacher_gfn2_cli import Gfn2CliCalculator
        return Gfn2CliCalculator(threads=threads)
    if ":" in name:
        module, cls = name.split(":", 1)
        return getattr(importlib.import_module(module), cls)()
    sys.exit(f"label_ase: unknown teacher '{name}' (ani2x, ani1x, gfn2 or MODULE:CLASS)")


def label_batch(teacher, frames):
    """Returns one (energy, forces, energy_std, force_std) or an exception per frame."""
    if hasattr(teacher, "calculate_batch"):
        try:
            return teacher.calculate_batch(frames)
        except Exception as e:  # one bad frame must not sink the batch: retry one by one
            if len(frames) == 1:
                return [e]
            return [r for f in frames for r in label_batch(teacher, [f])]
    out = []
    for f in frames:
        try:
            a = f.copy()
            a.calc = teacher
            out.append((a.get_potential_energy(), a.get_forces(), None, None))
        except Exception as e:
            out.append(e)
    return out


def complete_frames(path):
    """Label indices of the complete frames of an extended-XYZ file, and the byte offset after
    the last one (a frame is complete when its last atom line ends with a newline)."""
    done, offset = [], 0
    if not os.path.exists(path):
        return done, offset
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")  # after a final newline the last element is b""
    k = 0
    while k + 1 < len(lines):
        try:
            n = int(lines[k])
        except ValueError:
            break
        last = k + 1 + n
        if last > len(lines) - 2:
            break
        idx = [t for t in lines[k + 1].decode().split() if t.startswith("label_index=")]
        if not idx:
            sys.exit(f"label_ase: {path} exists but was not written by a labeller (no label_index); remove it")
        done.append(int(idx[0].split("=", 1)[1].strip('"')))
        offset += sum(len(lines[j]) + 1 for j in range(k, last + 1))
        k = last + 1
    return done, offset


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--teacher", required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="ANI teachers: network precision (atomic energies are summed in float64)")
    p.add_argument("--max-force-std", type=float, default=None,
                   help="drop frames whose largest per-atom force std exceeds this (eV/A)")
    a = p.parse_args()

    import ase.io
    frames = ase.io.read(a.input, ":")
    done, offset = complete_frames(a.output)
    if os.path.exists(a.output) and os.path.getsize(a.output) != offset:
        with open(a.output, "r+b") as f:  # drop a partly written frame
            f.truncate(offset)
    failed_path = a.output + ".failed"
    skip = set(done)
    if os.path.exists(failed_path):
        skip |= {int(line.split()[0]) for line in open(failed_path) if line.strip()}
    todo = [k for k in range(len(frames)) if k not in skip]
    if skip:
        print(f"label_ase: resuming, {len(skip)} of {len(frames)} frames done", file=sys.stderr)
    teacher = make_teacher(a.teacher, a.threads, a.dtype)
    teacher_name = getattr(teacher, "teacher_name", a.teacher)
    written = failed = 0
    with open(a.output, "a") as out, open(failed_path, "a") as fail:
        for b0 in range(0, len(todo), a.batch):
            idx = todo[b0:b0 + a.batch]
            results = label_batch(teacher, [frames[k] for k in idx])
            for k, r in zip(idx, results):
                f = frames[k]
                if isinstance(r, Exception):
                    fail.write(f"{k} {type(r).__name__}: {str(r).splitlines()[0] if str(r) else ''}\n")
                    failed += 1
                    continue
                energy, forces, e_std, f_std = r
                if not (np.isfinite(energy) and np.all(np.isfinite(forces))):
                    fail.write(f"{k} non-finite label\n")
                    failed += 1
                    continue
                if a.max_force_std is not None and f_std is not None and f_std.max() > a.max_force_std:
                    fail.write(f"{k} teacher_force_std {f_std.max():.3f} > {a.max_force_std}\n")
                    failed += 1
                    continue
                g = f.copy()
                g.calc = None
                for key in ("energy", "forces", "free_energy", "stress"):
                    g.info.pop(key, None)
                    g.arrays.pop(key, None)
                g.arrays.pop("teacher_force_std", None)
                g.info.pop("teacher_energy_std", None)
                g.info["energy"] = float(energy)
                g.arrays["forces"] = np.asarray(forces, dtype=float)
                g.info["teacher"] = teacher_name
                g.info["label_index"] = k
                if e_std is not None:
                    g.info["teacher_energy_std"] = float(e_std)
                    g.arrays["teacher_force_std"] = np.asarray(f_std, dtype=float)
                ase.io.write(out, g, format="extxyz")
                written += 1
            out.flush()
            fail.flush()
            print(f"\rlabel_ase: {len(skip) + b0 + len(idx)}/{len(frames)} frames", end="", file=sys.stderr)
    print(f"\nlabel_ase: wrote {written} frames to {a.output}, {failed} dropped (see {failed_path})",
          file=sys.stderr)
    return 1 if written == 0 and failed > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
