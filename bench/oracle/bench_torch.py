#!/usr/bin/env python3
"""Times the PyTorch oracle (tests/oracle/painn_torch.py): energy + forces (forward + autograd
backward), fp32, on 1 and 2 threads, for presets `current` and `ultratiny`, on a ~20-atom molecule
(aspirin) and a ~3000-atom periodic box of water- and methane-like molecules. The neighbour list is
built once and not timed. This is the "same equations in PyTorch" baseline for the C++ core.

  /usr/bin/python3 bench/oracle/bench_torch.py                          random weights, preset sizes
  /usr/bin/python3 bench/oracle/bench_torch.py --model current=cur.safetensors --model ultratiny=ut.safetensors
  /usr/bin/python3 bench/oracle/bench_torch.py --quick --json out.json  (300-atom box, fewer repeats)

Models for --model come from e.g. `painn init --preset current --species H,C,N,O -o cur.safetensors`.
Timings depend on the machine: compare only numbers measured in the same run / on the same machine.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import painn_torch as pt  # noqa: E402
import structures  # noqa: E402

PRESETS = {"current": (128, 3, 20), "compact": (96, 3, 16), "efficient": (64, 3, 16), "tiny": (64, 2, 12),
           "ultratiny": (32, 2, 10)}
SPECIES = [1, 6, 7, 8]


def preset_model(name, seed=0):
    """Random weights with the preset's sizes (cutoff 5 A, Bessel basis, head H -> H/2 -> 1)."""
    H, L, R = PRESETS[name]
    return pt.as_model(*pt.random_model(H, L, R, 5.0, SPECIES, seed=seed))


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], metavar="PRESET=PATH",
                    help="use this model file for a preset (default: random weights of the preset's size)")
    ap.add_argument("--presets", default="current,ultratiny")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--atoms", type=int, default=3000, help="atoms in the periodic box")
    ap.add_argument("--repeats-small", type=int, default=20, help="timed repeats for the molecule")
    ap.add_argument("--repeats-large", type=int, default=2, help="timed repeats for the box")
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "fp64"])
    ap.add_argument("--quick", action="store_true", help="300-atom box, fewer repeats (a smoke test)")
    ap.add_argument("--json", help="also write the results as JSON here")
    a = ap.parse_args(argv)
    if a.quick:
        a.atoms, a.repeats_small, a.repeats_large = 300, 5, 1

    paths = dict(m.split("=", 1) for m in a.model)
    presets = a.presets.split(",")
    unknown = [p for p in list(paths) + presets if p not in PRESETS]
    if unknown:
        ap.error(f"unknown preset(s) {unknown}; known: {list(PRESETS)}")
    threads = [int(t) for t in a.threads.split(",")]
    dtype = torch.float32 if a.dtype == "fp32" else torch.float64

    t0 = time.perf_counter()
    systems = {"molecule": (structures.molecule(), a.repeats_small),
               "box": (structures.bench_box(a.atoms), a.repeats_large)}
    build_s = time.perf_counter() - t0

    rows = []
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.1f} before starting: other processes share the CPUs, "
              "timings (multi-thread ones above all) are unreliable")
    print(f"PyTorch oracle {a.dtype}, energy + forces, median ms; torch {torch.__version__}, {cpu_name()}, "
          f"{os.cpu_count()} CPUs (structures built in {build_s:.1f} s)")
    print(f"{'preset':<10} {'model':<8} {'system':<9} {'atoms':>6} {'edges':>8} {'threads':>7} {'ms':>10} {'us/atom':>9}")
    for preset in presets:
        if preset in paths:
            model, source = pt.read_model(paths[preset]), paths[preset]
        else:
            model, source = preset_model(preset), "random"
        cfg = model[0]
        for system, (atoms, repeats) in systems.items():
            edges = len(pt.graph(cfg, atoms)[1])
            for n in threads:
                ms = pt.time_energy_forces(model, atoms, dtype, threads=n, repeats=repeats)
                row = {"preset": preset, "model": source, "hidden": cfg["hidden"], "layers": cfg["layers"],
                       "rbf": cfg["rbf"], "parameters": pt.parameter_count(cfg), "system": system,
                       "atoms": len(atoms), "edges": edges, "threads": n, "dtype": a.dtype, "repeats": repeats,
                       "median_ms": ms, "us_per_atom": 1000 * ms / len(atoms)}
                rows.append(row)
                print(f"{preset:<10} {'file' if source != 'random' else 'random':<8} {system:<9} {len(atoms):>6} "
                      f"{edges:>8} {n:>7} {ms:>10.2f} {row['us_per_atom']:>9.1f}", flush=True)
    if a.json:
        meta = {"torch": torch.__version__, "numpy": np.__version__, "cpu": cpu_name(), "cpus": os.cpu_count(),
                "python": platform.python_version(), "load_average_at_start": load, "what": "oracle energy+forces, neighbour list excluded"}
        Path(a.json).write_text(json.dumps({"meta": meta, "results": rows}, indent=1) + "\n")
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
