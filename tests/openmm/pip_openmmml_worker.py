"""Runs inside the hosts virtualenv for test_openmmml.py: MLPotential('painn...') from openmm-ml
1.8 against openmmpainn.PaiNNForce used directly, on the repository's aspirin examples. Reads a
JSON job on stdin ({"model": path of a small model}), prints JSON: relative differences. The
"shipped" potentials are those in PAINN_POTENTIALS_DIR (the test writes small ones there)."""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import openmmpainn  # the SWIG module first: examples/openmm/mlmm.py then reuses it
import openmm
import openmm.app as app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(1, str(ROOT / "examples" / "openmm"))
import mlmm  # noqa: E402  (its classical part builds the MM system of the ML/MM comparison)

t0 = time.time()
from openmmml import MLPotential  # noqa: E402
IMPORT_S = time.time() - t0
KJ = openmm.unit.kilojoule_per_mole


def energy_forces(system, positions):
    ctx = openmm.Context(system, openmm.VerletIntegrator(1e-3), openmm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(positions)
    st = ctx.getState(getEnergy=True, getForces=True)
    return st.getPotentialEnergy().value_in_unit(KJ), np.asarray(st.getForces(asNumpy=True).value_in_unit(KJ / openmm.unit.nanometer))


def differences(a, b):
    (ea, fa), (eb, fb) = a, b
    return [abs(ea - eb) / abs(eb), float(np.abs(fa - fb).max() / np.abs(fb).max())]


def direct(topology, path, precision="single", particles=None):
    """The System openmm-ml should build, with PaiNNForce by hand."""
    system = openmm.System()
    for atom in topology.atoms():
        system.addParticle(atom.element.mass)
    f = openmmpainn.PaiNNForce(path)
    if particles is not None:
        f.setParticles(particles)
    openmmpainn.setTopologyElements(f, topology)
    f.setPrecision(precision)
    system.addForce(f)
    return system


def main():
    job = json.load(sys.stdin)
    out = {"import_s": IMPORT_S}
    pdb = app.PDBFile(str(ROOT / "examples" / "openmm" / "aspirin.pdb"))
    top, pos = pdb.topology, pdb.positions
    shipped = os.path.join(os.environ["PAINN_POTENTIALS_DIR"], "compact-fp32.safetensors")
    # createSystem: shipped potentials by name (file precision, compute precision), and any model file
    cases = {"painn-compact": (MLPotential("painn-compact"), shipped, "single"),
             "painn-compact int8": (MLPotential("painn-compact", precision="int8"),
                                    shipped.replace("fp32", "int8"), "single"),
             "painn-compact fp64": (MLPotential("painn-compact", compute="fp64"), shipped, "double"),
             "painn modelFile": (MLPotential("painn", modelFile=job["model"], compute="fp64"), job["model"], "double")}
    for name, (pot, path, precision) in cases.items():
        ml = pot.createSystem(top)
        assert [type(f).__name__ for f in ml.getForces()] == ["Force", "CMMotionRemover"]
        out[name] = differences(energy_forces(ml, pos), energy_forces(direct(top, path, precision), pos))
    # createMixedSystem: aspirin in water, mechanical embedding, against the example's own ML/MM system
    water = app.PDBFile(str(mlmm.PDB))
    reference = mlmm.build_system(water, shipped)
    mm = mlmm.build_system(water, shipped)
    mm.removeForce(mm.getNumForces() - 1)  # the PaiNNForce: openmm-ml adds its own
    ligand = [a.index for a in water.topology.atoms() if a.residue.name != "HOH"]
    mixed = MLPotential("painn-compact").createMixedSystem(water.topology, mm, ligand)
    assert sum(openmmpainn.PaiNNForce.isinstance(f) for f in mixed.getForces()) == 1
    out["createMixedSystem"] = differences(energy_forces(mixed, water.positions), energy_forces(reference, water.positions))
    # errors are clear
    for bad, want in [(lambda: MLPotential("painn"), "needs modelFile"),
                      (lambda: MLPotential("painn-compact", precision="fp8"), "precision must be one of")]:
        try:
            bad()
            raise AssertionError("accepted: " + want)
        except ValueError as e:
            assert want in str(e), str(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
