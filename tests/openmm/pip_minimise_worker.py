"""Runs inside the hosts virtualenv (OpenMM 8.6 + openmm-ml): for each shipped size, aspirin in
vacuum through MLPotential('painn-SIZE'), OpenMM's L-BFGS minimiser, then 100 steps of 300 K
Langevin dynamics. Reads {"sizes": [...], "pdb": PATH} on stdin; prints one JSON line:
{size: {"start", "minimised", "after_md" (kJ/mol), "closest_pair" (A, after the dynamics)}} or
{size: {"error": message}}."""
import json
import sys

import numpy as np
import openmm
import openmm.app as app
import openmm.unit as unit
from openmmml import MLPotential


def main():
    job = json.loads(sys.stdin.read())
    pdb = app.PDBFile(job["pdb"])
    out = {}
    for size in job["sizes"]:
        try:
            system = MLPotential(f"painn-{size}", threads=1).createSystem(pdb.topology)
            integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond,
                                                         0.5 * unit.femtosecond)
            ctx = openmm.Context(system, integrator, openmm.Platform.getPlatformByName("CPU"), {"Threads": "1"})
            ctx.setPositions(pdb.positions)
            energy = lambda: ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(  # noqa: E731
                unit.kilojoule_per_mole)
            row = {"start": energy()}
            openmm.LocalEnergyMinimizer.minimize(ctx, 10.0, 200)
            row["minimised"] = energy()
            ctx.setVelocitiesToTemperature(300 * unit.kelvin, 1)
            integrator.step(100)
            row["after_md"] = energy()
            x = ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.angstrom)
            d = np.linalg.norm(x[:, None] - x[None], axis=-1) + np.eye(len(x)) * 1e9
            row["closest_pair"] = float(d.min())
        except Exception as e:  # noqa: BLE001  (reported to the test, which names it)
            row = {"error": str(e)}
        out[size] = row
    print(json.dumps(out))


if __name__ == "__main__":
    main()
