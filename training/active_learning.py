#!/usr/bin/env python3
"""One active-learning round: where do two students disagree in their own MD?

1. The molecules are spread apart in one box and run in LAMMPS with student A (Langevin at
   --temperature, 0.5 fs, --ps picoseconds, one frame dumped every --every steps). Whatever A
   does there (including breaking a bond) is what a user of A would meet.
2. Each dumped frame is cut back into its molecules, and both students evaluate every molecule
   frame (`painn eval`, fp64). Disagreement = the largest per-atom |F_A - F_B| (eV/A).
3. The --select frames with the largest disagreement are kept (at most --per-molecule per
   molecule), and written with info molecule, split, al_disagreement, al_round.
They then go to the teacher (training/label_ase.py) and into the training set.

Usage: active_learning.py MOLECULES.extxyz MODEL_A MODEL_B -o OUT.extxyz [--temperature 400]
       [--ps 2] [--every 40] [--select 2000] [--per-molecule 4] [--round 1] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import ase
import ase.data
import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training" / "potentials"))
import md_stability  # noqa: E402


def model_elements(painn, model):
    """The elements of md_stability.SPECIES that the model knows, in that order: the LAMMPS types
    of the box (pair_painn refuses NULL types outside pair_style hybrid)."""
    info = json.loads(subprocess.run([painn, "info", str(model), "--json"], check=True, capture_output=True,
                                     text=True).stdout)
    have = {ase.data.chemical_symbols[z] for z in info["species"]}
    return [e for e in md_stability.SPECIES if e in have]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("molecules")
    p.add_argument("model_a")
    p.add_argument("model_b")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--temperature", type=float, default=400.0)
    p.add_argument("--ps", type=float, default=2.0)
    p.add_argument("--every", type=int, default=40)
    p.add_argument("--select", type=int, default=2000)
    p.add_argument("--per-molecule", type=int, default=4)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--lmp", default=str(ROOT / "build" / "bin" / "lmp_painn"))
    p.add_argument("--painn", default=str(ROOT / "build" / "bin" / "painn"))
    a = p.parse_args()
    mols = ase.io.read(a.molecules, ":")
    box, owner = md_stability.spread_apart(mols)
    with tempfile.TemporaryDirectory() as d:
        elements = model_elements(a.painn, a.model_a)
        missing = sorted(set(box.get_chemical_symbols()) - set(elements))
        if missing:
            sys.exit(f"active_learning: {a.model_a} does not know {', '.join(missing)}, which the molecules contain")
        md_stability.lammps_io.write_data(Path(d) / "box.data", box, elements)
        steps = int(round(a.ps / 0.0005))
        text = md_stability.INPUT.format(data=Path(d) / "box.data", model=Path(a.model_a).resolve(),
                                         species=" ".join(elements), seed=a.seed, check=a.every,
                                         langevin_steps=steps, nve="")
        text = text.replace("velocity all create 300.0", f"velocity all create {a.temperature}")
        text = text.replace("fix thermostat all langevin 300.0 300.0", f"fix thermostat all langevin {a.temperature} {a.temperature}")
        (Path(d) / "in.al").write_text(text)
        r = subprocess.run([a.lmp, "-in", "in.al", "-log", "log", "-screen", "none"], cwd=d,
                           env={**os.environ, "OMP_NUM_THREADS": str(a.threads)}, capture_output=True, text=True)
        if r.returncode != 0:
            log = Path(d) / "log"
            errors = [x for x in (log.read_text().split("\n") if log.exists() else []) if x.startswith("ERROR")]
            why = errors[-1] if errors else (r.stderr or r.stdout)[-300:]
            if not (Path(d) / "traj.dump").exists():
                sys.exit(f"active_learning: LAMMPS failed before writing a frame: {why}")
            print(f"active_learning: LAMMPS stopped early ({why}); using the frames it wrote", file=sys.stderr)
        frames = []
        for k, pos in enumerate(md_stability.read_dump_frames(Path(d) / "traj.dump")):
            if k == 0 or len(pos) != len(box):
                continue
            for m in range(len(mols)):
                sel = owner == m
                f = ase.Atoms(numbers=box.numbers[sel], positions=pos[sel])
                f.info = {"molecule": mols[m].info.get("name", f"mol{m}"), "split": mols[m].info.get("split", "train"),
                          "al_round": a.round, "al_step": k * a.every}
                frames.append(f)
        src, out_a, out_b = Path(d) / "frames.extxyz", Path(d) / "a.extxyz", Path(d) / "b.extxyz"
        ase.io.write(src, frames, format="extxyz")
        for model, out in ((a.model_a, out_a), (a.model_b, out_b)):
            subprocess.run([a.painn, "eval", model, str(src), "-o", str(out), "--precision", "fp64",
                            "--threads", str(a.threads)], check=True, capture_output=True)
        fa, fb = ase.io.read(out_a, ":"), ase.io.read(out_b, ":")
    dis = np.array([np.linalg.norm(x.get_forces() - y.get_forces(), axis=1).max() for x, y in zip(fa, fb)])
    chosen, per_mol = [], {}
    for k in np.argsort(-dis):
        name = frames[k].info["molecule"]
        if per_mol.get(name, 0) >= a.per_molecule:
            continue
        per_mol[name] = per_mol.get(name, 0) + 1
        frames[k].info["al_disagreement"] = float(dis[k])
        chosen.append(frames[k])
        if len(chosen) == a.select:
            break
    ase.io.write(a.output, chosen, format="extxyz")
    print(f"active_learning: {len(frames)} molecule frames, disagreement median {np.median(dis):.3f} / "
          f"max {dis.max():.3f} eV/A; kept {len(chosen)} (>= {dis[np.argsort(-dis)][len(chosen) - 1]:.3f} eV/A) "
          f"from {len(per_mol)} molecules")


if __name__ == "__main__":
    main()
