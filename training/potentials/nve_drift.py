#!/usr/bin/env python3
"""NVE energy drift in LAMMPS for each shipped potential: aspirin in vacuum, 0.5 fs, N steps
(default 20,000 = 10 ps), fp32 compute (the pair style's default). Prints meV/atom/ps (slope of
a linear fit of the total energy) and writes them into POTENTIALS/cards.json when it exists.
Usage: nve_drift.py POTENTIALS_DIR [--steps 20000]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lammps"))
import lammps_io  # noqa: E402

INPUT = """units metal
atom_style atomic
boundary f f f
read_data {data}
pair_style painn
pair_coeff * * {model} H C N O F S Cl
neighbor 1.0 bin
neigh_modify every 1 delay 0 check yes
velocity all create 300.0 4928459 mom yes rot yes dist gaussian
timestep 0.0005
fix nve all nve
thermo_style custom step time pe ke etotal
thermo_modify format float %.10f
thermo 100
run {steps}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("potentials")
    p.add_argument("--steps", type=int, default=20000)
    a = p.parse_args()
    pot = Path(a.potentials).resolve()
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for size in ["current", "compact", "efficient", "tiny", "ultratiny"]:
            model = pot / f"{size}-fp32.safetensors"
            if not model.exists():
                continue
            (Path(d) / "in.nve").write_text(INPUT.format(data=ROOT / "examples/lammps/molecule/aspirin.data",
                                                         model=model, steps=a.steps))
            subprocess.run([str(ROOT / "build/bin/lmp_painn"), "-in", "in.nve", "-log", "log", "-screen", "none"],
                           cwd=d, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            rows = lammps_io.read_thermo((Path(d) / "log").read_text())
            t = np.array([r["Time"] for r in rows])
            e = np.array([r["TotEng"] for r in rows]) * 1000 / 21
            results[size] = {"nve_drift_meV_atom_ps": float(np.polyfit(t, e, 1)[0]),
                             "nve_spread_meV_atom": float(e.max() - e.min()), "nve_ps": float(t[-1])}
            print(size, results[size], flush=True)
    cards = pot / "cards.json"
    if cards.exists():
        c = json.loads(cards.read_text())
        c["nve"] = results
        cards.write_text(json.dumps(c, indent=1))


if __name__ == "__main__":
    main()
