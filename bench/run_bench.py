#!/usr/bin/env python3
"""Benchmarks the C++ core against the PyTorch oracle on the same machine, in one run, and
prints a markdown table of times and ratios (torch / C++).

  energy + forces, fp32: a 21-atom molecule (aspirin) and a ~3,000-atom periodic box,
    presets current and ultratiny, 1 and 2 threads
  one training step (energy + force loss, parameter gradients) on a ~300-atom batch:
    C++ trainer vs the oracle's double backward, fp64 and fp32, preset current
and, for each row, the arithmetic ceiling: the multiply-add count of the evaluation as the C++
core does it, at the best matrix-product rate Eigen reaches on this machine (painn_gemm_peak), gives
the shortest possible C++ time and so the largest ratio any implementation of this arithmetic could
show against the PyTorch time of the same row.

Usage: /usr/bin/python3 bench/run_bench.py [--quick] [--json OUT.json]"""
import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import ase.io
import numpy as np
import torch
from ase.calculators.singlepoint import SinglePointCalculator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import painn_torch as pt  # noqa: E402
import structures  # noqa: E402

BIN = ROOT / "build" / "bin"


def cpp(binary, *args):
    out = subprocess.run([str(BIN / binary), *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def edge_count(atoms, cutoff=5.0):
    from ase.neighborlist import neighbor_list
    return len(neighbor_list("i", atoms, cutoff))


def mult_adds(H, L, R, N, E, training=False):
    """Dominant multiply-adds of one C++ evaluation (preset head H -> H/2 -> 1; E directed edges,
    E/2 pairs). Energy + forces = forward + reverse; a training step adds the tangent forward, the
    tangent reverse (the tangents of the adjoints; the primal adjoints are kept from the force pass)
    and the parameter gradients (core/src/tangent.h). Edge-loop terms are estimates; the matrix
    products dominate."""
    P, hh = E / 2, H // 2
    filt = 2 * P * R * 3 * H                                # W and dW/dd, once per pair
    inter = N * (H * H + H * 3 * H)                         # interaction context1, context2
    mix = 3 * N * H * 2 * H + N * (2 * H * H + H * 3 * H)   # vector_mix, mixing context1, context2
    msg_f, msg_r = E * H * 9, E * H * 20                    # edge loops
    head = N * (H * hh + hh)
    fwd = L * (filt + inter + mix + msg_f) + head
    rev = L * (inter + mix + msg_r) + head
    if not training:
        return fwd + rev
    t_fwd = L * (inter + mix + 2 * msg_f) + head
    t_rev = rev + L * E * H * 10
    params = 2 * (L * (inter + mix + E * 3 * H * R) + head)
    return fwd + rev + t_fwd + t_rev + params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller box")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows, results = [], []
    peak = json.loads(subprocess.run([str(BIN / "painn_gemm_peak")], check=True, capture_output=True,
                                     text=True).stdout)
    best = {p: max(v.values()) for p, v in peak.items()}  # GFLOP/s on one core
    print(f"matrix-product peak, one core (GFLOP/s): {peak}", file=sys.stderr)
    presets = {"current": (128, 3, 20), "ultratiny": (32, 2, 10)}

    def add(row, precision, H, L, R, N, E, training=False):
        flop = 2 * mult_adds(H, L, R, N, E, training)
        bound_ms = 1000 * flop / (best[precision] * 1e9 * row["threads"])
        row.update(gflops=flop / (row["cpp_ms"] * 1e6), bound_ms=bound_ms, bound_ratio=row["torch_ms"] / bound_ms)
        results.append(row)
        print(row, file=sys.stderr)

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        mol = structures.molecule()
        box = structures.methane_box(120, seed=1) if a.quick else structures.bench_box(3000, seed=0)
        ase.io.write(d / "mol.extxyz", mol, format="extxyz")
        ase.io.write(d / "box.extxyz", box, format="extxyz")
        for preset in ["current", "ultratiny"]:
            model_path = d / f"{preset}.safetensors"
            subprocess.run([str(BIN / "painn"), "init", "--preset", preset, "--species", "H,C,N,O", "--seed", "1",
                            "-o", str(model_path)], check=True, capture_output=True)
            model = pt.read_model(model_path)
            for name, atoms, path, reps in [("molecule", mol, d / "mol.extxyz", 20), ("box", box, d / "box.extxyz", 3)]:
                for threads in [1, 2]:
                    c = cpp("painn_bench", model_path, path, "--precision", "fp32", "--threads", threads,
                            "--repeats", reps if not a.quick else 3)
                    t = pt.time_energy_forces(model, atoms, torch.float32, threads, repeats=reps if not a.quick else 2)
                    add({"task": "energy+forces fp32", "preset": preset, "system": f"{name} ({len(atoms)} atoms)",
                         "threads": threads, "cpp_ms": c, "torch_ms": t, "ratio": t / c},
                        "fp32", *presets[preset], len(atoms), edge_count(atoms))
        # training step on a ~300-atom batch of labelled molecules
        rng = np.random.default_rng(0)
        batch = []
        while sum(len(x) for x in batch) < 290:
            x = mol.copy()
            x.positions += rng.normal(0, 0.05, x.positions.shape)
            x.calc = SinglePointCalculator(x, energy=-1000.0, forces=rng.normal(0, 1, x.positions.shape))
            x.info["energy"] = -1000.0
            batch.append(x)
        ase.io.write(d / "batch.extxyz", batch, format="extxyz")
        model_path = d / "current.safetensors"
        model = pt.read_model(model_path)
        for prec, dtype in [("fp64", torch.float64), ("fp32", torch.float32)]:
            for threads in [1, 2]:
                c = cpp("painn_bench_train", model_path, d / "batch.extxyz", "--precision", prec, "--threads", threads,
                        "--repeats", 7)
                # PyTorch's faster way on this thread count: the batch as one graph, or one graph per molecule
                t = min(pt.time_training_step(model, batch, dtype, threads, repeats=3, batched=b) for b in (True, False))
                add({"task": f"training step {prec}", "preset": "current",
                     "system": f"batch of {len(batch)} molecules ({sum(len(x) for x in batch)} atoms)",
                     "threads": threads, "cpp_ms": c, "torch_ms": t, "ratio": t / c},
                    prec, *presets["current"], sum(len(x) for x in batch), sum(edge_count(x) for x in batch), True)
    print(f"machine: {platform.processor() or platform.machine()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; torch {torch.__version__}\n")
    print(f"matrix-product peak on one core, GFLOP/s: {peak}\n")
    print("| task | preset | system | threads | C++ ms | PyTorch ms | PyTorch / C++ | C++ GFLOP/s | ceiling ms | ceiling ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['task']} | {r['preset']} | {r['system']} | {r['threads']} | {r['cpp_ms']:.2f} | {r['torch_ms']:.1f} "
              f"| {r['ratio']:.1f}x | {r['gflops']:.0f} | {r['bound_ms']:.2f} | {r['bound_ratio']:.1f}x |")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
