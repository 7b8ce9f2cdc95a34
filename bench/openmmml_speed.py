#!/usr/bin/env python3
"""PaiNN-MD through openmm-ml, as users run it: MLPotential('painn-SIZE') on OpenMM 8.6's CPU
platform with one thread (the platform's Threads property and the force's thread count), for
aspirin in vacuum (createSystem) and aspirin in TIP3P water (createMixedSystem, the classical
part of examples/openmm/mlmm.py). Median wall time of timed blocks of steps after a warm-up.
--ani2x adds MLPotential('ani2x') (torchani, imported only then; torch with one thread) on the
same two systems, for a ratio measured in the same run; it needs a venv with OpenMM 8.6.1,
openmm-ml 1.8, torchani 2.2.4, a torch and the ANI-2x weights (copied as in
training/teacher/setup_teacher.sh), not the hosts venv.
Usage (hosts venv): PYTHONPATH=build/python-pip .venv-hosts/bin/python bench/openmmml_speed.py
                    [--sizes compact ...] [--steps 200] [--ani2x [--ani-steps N]] [--json OUT]"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import openmmpainn  # noqa: F401  (the SWIG module first: mlmm.py reuses it)
import openmm
import openmm.app as app
import openmm.unit as unit
from openmmml import MLPotential

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT / "examples" / "openmm"))
import mlmm  # noqa: E402


def ms_per_step(topology, system, positions, dt_fs, steps, blocks=3):
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, dt_fs * unit.femtosecond)
    ctx = openmm.Context(system, integrator, openmm.Platform.getPlatformByName("CPU"), {"Threads": "1"})
    ctx.setPositions(positions)
    openmm.LocalEnergyMinimizer.minimize(ctx, maxIterations=100)
    integrator.step(20)  # warm-up
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        integrator.step(steps)
        ctx.getState(getEnergy=True)
        times.append((time.perf_counter() - t0) / steps * 1000)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="+", default=["compact", "efficient", "ultratiny"])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--ani2x", action="store_true", help="also MLPotential('ani2x') (needs torchani)")
    p.add_argument("--ani-steps", type=int, help="steps per timed block for ani2x (default: --steps)")
    p.add_argument("--json")
    a = p.parse_args()
    vac = app.PDBFile(str(ROOT / "examples" / "openmm" / "aspirin.pdb"))
    wat = app.PDBFile(str(mlmm.PDB))
    ligand = [x.index for x in wat.topology.atoms() if x.residue.name != "HOH"]
    mm = mlmm.build_system(wat, str(ROOT / "potentials" / "compact-fp32.safetensors"))
    mm.removeForce(mm.getNumForces() - 1)  # the example's PaiNNForce; openmm-ml adds its own
    rows = []
    ms = ms_per_step(wat.topology, mm, wat.positions, 1.0, a.steps)  # the floor: the MM part alone
    rows.append({"potential": "none (MM part only)", "system": f"{wat.topology.getNumResidues() - 1} waters + aspirin LJ",
                 "atoms": mm.getNumParticles(), "timestep_fs": 1.0, "ms_per_step": round(ms, 3),
                 "ns_per_day": round(86400e3 / ms * 1e-6, 2)})
    print(rows[-1], flush=True)
    potentials = [(f"painn-{size}", {"threads": 1}, a.steps) for size in a.sizes]
    if a.ani2x:
        import torch  # only here: the PaiNN rows need neither torch nor torchani
        torch.set_num_threads(1)
        potentials.append(("ani2x", {}, a.ani_steps or a.steps))
    for name, kwargs, steps in potentials:
        pot = MLPotential(name, **kwargs)
        for case, system, pdb, dt in [("aspirin, vacuum", pot.createSystem(vac.topology), vac, 0.5),
                                      (f"aspirin + {wat.topology.getNumResidues() - 1} waters (ML/MM)",
                                       pot.createMixedSystem(wat.topology, mm, ligand), wat, 1.0)]:
            ms = ms_per_step(pdb.topology, system, pdb.positions, dt, steps)
            rows.append({"potential": name, "system": case, "atoms": system.getNumParticles(), "steps": steps,
                         "timestep_fs": dt, "ms_per_step": round(ms, 3), "ns_per_day": round(86400e3 / ms * dt * 1e-6, 2)})
            print(rows[-1], flush=True)
    out = {"openmm": openmm.__version__, "cpu": platform.processor() or platform.machine(), "rows": rows}
    if a.ani2x:
        import torch
        import torchani
        out.update(torch=torch.__version__, torchani=torchani.__version__, torch_threads=torch.get_num_threads())
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
