#!/usr/bin/env python3
"""Students against their teacher, in one run on one machine: energy + forces of one molecule.
- Teacher: ANI-2x through torchani 2.2.4 as users call it (model((species, coords)).energies,
  then torch.autograd.grad for the forces), float32, torch.set_num_threads(1), median of repeats.
- Students: build/bin/painn_bench MODEL MOLECULE --precision fp32 --threads 1 (median; the
  neighbour list included).
Molecules: bench/teacher_molecules.extxyz: aspirin (21 atoms) and an unseen-scaffold MOSES
molecule of 50 atoms (RDKit/MMFF geometry).
Usage (teacher venv): .venv-teacher/bin/python bench/teacher_speed.py [MODEL ...] [--json OUT]
  default models: potentials/{current,compact,efficient,tiny,ultratiny}-fp32.safetensors"""
import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import ase.io
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]


def time_teacher(model, atoms, repeats):
    species = torch.tensor([atoms.numbers])
    coords = torch.tensor([atoms.positions], dtype=torch.float32)
    times = []
    for _ in range(repeats + 2):
        x = coords.clone().requires_grad_(True)
        t = time.perf_counter()
        e = model((species, x)).energies
        torch.autograd.grad(e.sum(), x)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times[2:]))


def time_student(model, path, repeats):
    out = subprocess.run([str(ROOT / "build/bin/painn_bench"), str(model), str(path), "--precision", "fp32",
                          "--threads", "1", "--repeats", str(repeats)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["median_ms"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("models", nargs="*")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--json")
    a = p.parse_args()
    import torchani
    torch.set_num_threads(1)
    teacher = torchani.models.ANI2x(periodic_table_index=True)
    mols = ase.io.read(ROOT / "bench/teacher_molecules.extxyz", ":")
    models = [Path(m) for m in a.models] or [ROOT / f"potentials/{s}-fp32.safetensors" for s in SIZES]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for m in mols:
            path = Path(d) / f"mol{len(m)}.extxyz"
            ase.io.write(path, m, format="extxyz")
            row = {"atoms": len(m), "molecule": m.info.get("name", ""), "ani2x_ms": time_teacher(teacher, m, a.repeats)}
            for model in models:
                ms = time_student(model, path, a.repeats)
                row[model.stem] = {"ms": ms, "speedup_vs_ani2x": row["ani2x_ms"] / ms}
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", "rows": rows}
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
