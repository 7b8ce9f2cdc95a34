#!/usr/bin/env python3
"""ML/MM: aspirin described by a PaiNN potential, in TIP3P water described by a classical force
field, from a PDB file (examples/openmm/aspirin_water.pdb). Mechanical embedding: the ligand's
internal energy is PaiNN's; ligand-water interactions are Lennard-Jones (generic per-element
parameters, no charges on the ligand); water is rigid TIP3P with PME.
    /usr/bin/python3 examples/openmm/mlmm.py [--model potentials/compact-fp32.safetensors] [--steps 1000]
    /usr/bin/python3 examples/openmm/mlmm.py --make-pdb     (rebuilds the PDB: ligand + 2.6 nm box of water)"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
import openmm  # noqa: E402
import openmm.app as app  # noqa: E402
import openmm.unit as unit  # noqa: E402

try:
    import openmmpainn  # OpenMM 8 from pip/conda: the SWIG module (PYTHONPATH=build/python-pip)
except ImportError:
    sys.path.insert(0, str(ROOT / "build" / "python"))  # Debian's OpenMM 7.7: the ctypes module
    import openmmpainn

PDB = ROOT / "examples" / "openmm" / "aspirin_water.pdb"
# Generic Lennard-Jones for ligand atoms (sigma nm, epsilon kJ/mol), GAFF-like magnitudes.
LIGAND_LJ = {"H": (0.25, 0.07), "C": (0.34, 0.36), "N": (0.325, 0.71), "O": (0.30, 0.88)}
TIP3P = {"O": (-0.834, 0.315061, 0.636386), "H": (0.417, 1.0, 0.0)}


def make_pdb(box_nm=2.6, seed=3):
    """Ligand at the centre of a cubic box, waters on a jittered grid, none within 0.25 nm."""
    lig = app.PDBFile(str(ROOT / "examples" / "openmm" / "aspirin.pdb"))
    lpos = np.array(lig.positions.value_in_unit(unit.nanometer))
    lpos += box_nm / 2 - lpos.mean(0)
    rng = np.random.default_rng(seed)
    top = app.Topology()
    chain = top.addChain()
    res = top.addResidue("ASP", chain)
    for a in lig.topology.atoms():
        top.addAtom(a.name, a.element, res)
    positions = list(lpos)
    n = int(box_nm / 0.311)
    water = np.array([[0, 0, 0], [0.09572, 0, 0], [-0.02399, 0.09266, 0]])
    for i in range(n):
        for j in range(n):
            for k in range(n):
                o = (np.array([i, j, k]) + 0.5) * box_nm / n
                if np.linalg.norm(lpos - o, axis=1).min() < 0.25:
                    continue
                q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
                r = top.addResidue("HOH", chain)
                for name, el, p in zip(["O", "H1", "H2"], ["O", "H", "H"], water @ q.T + o):
                    top.addAtom(name, app.Element.getBySymbol(el), r)
                    positions.append(p)
    atoms = list(top.atoms())
    for r in top.residues():
        if r.name == "HOH":
            a = list(r.atoms())
            top.addBond(a[0], a[1])
            top.addBond(a[0], a[2])
    top.setPeriodicBoxVectors(np.eye(3) * box_nm * unit.nanometer)
    with open(PDB, "w") as f:
        app.PDBFile.writeFile(top, np.array(positions) * unit.nanometer, f)
    print(f"wrote {PDB}: {len(atoms)} atoms")


def build_system(pdb, model):
    top = pdb.topology
    system = openmm.System()
    system.setDefaultPeriodicBoxVectors(*top.getPeriodicBoxVectors())
    nb = openmm.NonbondedForce()
    nb.setNonbondedMethod(openmm.NonbondedForce.PME)
    nb.setCutoffDistance(1.0 * unit.nanometer)
    ligand = []
    for atom in top.atoms():
        system.addParticle(atom.element.mass)
        if atom.residue.name == "HOH":
            q, s, e = TIP3P["O" if atom.element.symbol == "O" else "H"]
            nb.addParticle(q, s, e)
        else:
            ligand.append(atom.index)
            s, e = LIGAND_LJ[atom.element.symbol]
            nb.addParticle(0.0, s, e)
    for r in top.residues():  # rigid water
        if r.name == "HOH":
            o, h1, h2 = (a.index for a in r.atoms())
            system.addConstraint(o, h1, 0.09572)
            system.addConstraint(o, h2, 0.09572)
            system.addConstraint(h1, h2, 0.15139)
            for i, j in [(o, h1), (o, h2), (h1, h2)]:
                nb.addException(i, j, 0, 1, 0)
    for a in range(len(ligand)):  # the ligand's internal energy is PaiNN's alone
        for b in range(a + 1, len(ligand)):
            nb.addException(ligand[a], ligand[b], 0, 1, 0)
    system.addForce(nb)
    ml = openmmpainn.PaiNNForce(model)
    ml.setParticles(ligand)
    openmmpainn.setTopologyElements(ml, top)
    ml.setUsesPeriodicBoundaryConditions(True)  # the ligand feels its own periodic images (none within 5 A here)
    system.addForce(ml)
    return system


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / "potentials" / "compact-fp32.safetensors"))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--platform", default="CPU")
    p.add_argument("--make-pdb", action="store_true")
    a = p.parse_args()
    if a.make_pdb or not PDB.exists():
        make_pdb()
    pdb = app.PDBFile(str(PDB))
    system = build_system(pdb, a.model)
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 1.0 * unit.femtosecond)
    sim = app.Simulation(pdb.topology, system, integrator, openmm.Platform.getPlatformByName(a.platform))
    sim.context.setPositions(pdb.positions)
    print("minimizing ...")
    sim.minimizeEnergy(maxIterations=300)
    sim.context.setVelocitiesToTemperature(300 * unit.kelvin, 2)
    sim.reporters.append(app.StateDataReporter(sys.stdout, max(1, a.steps // 10), step=True, time=True,
                                               potentialEnergy=True, temperature=True, speed=True, progress=True,
                                               remainingTime=True, totalSteps=a.steps))
    t0 = time.time()
    sim.step(a.steps)
    print(f"done: {a.steps} steps of 1 fs in {time.time() - t0:.1f} s ({system.getNumParticles()} atoms, "
          f"{len(list(pdb.topology.residues())) - 1} waters)")


if __name__ == "__main__":
    main()
