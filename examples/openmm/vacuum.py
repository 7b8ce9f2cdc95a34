#!/usr/bin/env python3
"""Aspirin in vacuum with a PaiNN potential in OpenMM: Langevin at 300 K, then NVE.
Run from the repository root after the build:
    /usr/bin/python3 examples/openmm/vacuum.py [--model potentials/compact-fp32.safetensors] [--steps 2000]"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

import openmm  # noqa: E402
import openmm.app as app  # noqa: E402
import openmm.unit as unit  # noqa: E402

try:
    import openmmpainn  # OpenMM 8 from pip/conda: the SWIG module (PYTHONPATH=build/python-pip)
except ImportError:
    sys.path.insert(0, str(ROOT / "build" / "python"))  # Debian's OpenMM 7.7: the ctypes module
    import openmmpainn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / "potentials" / "compact-fp32.safetensors"))
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--platform", default="CPU")
    a = p.parse_args()

    pdb = app.PDBFile(str(ROOT / "examples" / "openmm" / "aspirin.pdb"))
    system = openmm.System()
    for atom in pdb.topology.atoms():
        system.addParticle(atom.element.mass)
    force = openmmpainn.PaiNNForce(a.model)
    openmmpainn.setTopologyElements(force, pdb.topology)
    system.addForce(force)

    platform = openmm.Platform.getPlatformByName(a.platform)
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 5 / unit.picosecond, 0.5 * unit.femtosecond)
    sim = app.Simulation(pdb.topology, system, integrator, platform)
    sim.context.setPositions(pdb.positions)
    sim.minimizeEnergy(maxIterations=200)
    e_min = sim.context.getState(getEnergy=True).getPotentialEnergy()
    print(f"minimised: {e_min.value_in_unit(unit.kilojoule_per_mole):.2f} kJ/mol")
    sim.context.setVelocitiesToTemperature(300 * unit.kelvin, 1)
    report = app.StateDataReporter(sys.stdout, max(1, a.steps // 10), step=True, time=True, potentialEnergy=True,
                                   kineticEnergy=True, totalEnergy=True, temperature=True, speed=True,
                                   progress=True, remainingTime=True, totalSteps=2 * a.steps)
    sim.reporters.append(report)
    print(f"Langevin, 300 K, {a.steps} steps of 0.5 fs on {a.platform}")
    t0 = time.time()
    sim.step(a.steps)

    # NVE: keep positions and velocities, switch to velocity Verlet.
    state = sim.context.getState(getPositions=True, getVelocities=True)
    nve = app.Simulation(pdb.topology, system, openmm.VerletIntegrator(0.5 * unit.femtosecond), platform)
    nve.context.setPositions(state.getPositions())
    nve.context.setVelocities(state.getVelocities())
    nve.currentStep = a.steps
    nve.reporters.append(report)
    print(f"NVE, {a.steps} steps of 0.5 fs")
    nve.step(a.steps)
    print(f"done: {2 * a.steps} steps in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
