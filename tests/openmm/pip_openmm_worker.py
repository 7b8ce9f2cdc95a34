"""Runs inside the hosts virtualenv (OpenMM 8.6 wheel, openmmpainn from build/python-pip) for
test_openmm_pip.py, which runs under Debian's python3 with its own OpenMM 7.7: the two cannot
share a process. Reads a JSON job on stdin, prints a JSON result on stdout.
  {"do": "eval", model, numbers, positions (A), cell (A or null), platform, precision}
  {"do": "api", model}: the openmm.Force behaviours a SWIG-wrapped force must have."""
import copy
import json
import pickle
import sys

import numpy as np
import openmm
import openmm.app
import openmmpainn

KJ = openmm.unit.kilojoule_per_mole


def system_for(model, numbers, cell, precision, extra=0):
    system = openmm.System()
    for z in numbers:
        system.addParticle(openmm.app.Element.getByAtomicNumber(z).mass)
    for _ in range(extra):
        system.addParticle(39.9)
    if cell is not None:
        system.setDefaultPeriodicBoxVectors(*(openmm.Vec3(*(np.array(v) / 10)) for v in cell))
    f = openmmpainn.PaiNNForce(model)
    f.setPrecision(precision)
    f.setUsesPeriodicBoundaryConditions(cell is not None)
    f.setAtomicNumbers(list(numbers))
    if extra:
        f.setParticles(list(range(len(numbers))))
    system.addForce(f)
    return system, f


def evaluate(system, positions, platform="Reference"):
    ctx = openmm.Context(system, openmm.VerletIntegrator(1e-3), openmm.Platform.getPlatformByName(platform))
    ctx.setPositions([openmm.Vec3(*(np.array(p) / 10)) for p in positions])
    st = ctx.getState(getEnergy=True, getForces=True)
    f = st.getForces(asNumpy=True).value_in_unit(KJ / openmm.unit.nanometer)
    return st.getPotentialEnergy().value_in_unit(KJ), np.asarray(f).tolist()


def api(job):
    """Each check is an assertion; the result lists what ran."""
    numbers = [6, 1, 1, 1, 1]
    pos = [[0, 0, 0], [1.09, 0, 0], [-0.36, 1.03, 0], [-0.36, -0.5, 0.9], [-0.36, -0.5, -0.9]]
    system, force = system_for(job["model"], numbers, None, "double")
    e, f = evaluate(system, pos)
    done = []
    # System.getForce gives a plain openmm.Force: cast() reaches PaiNNForce through it.
    generic = system.getForce(0)
    assert openmmpainn.PaiNNForce.isinstance(generic)
    assert openmmpainn.PaiNNForce.cast(generic).getAtomicNumbers() == numbers
    assert not openmmpainn.PaiNNForce.isinstance(openmm.HarmonicBondForce())
    done.append("getForce/cast/isinstance")
    for name, other in [("XmlSerializer", openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system))),
                        ("deepcopy", copy.deepcopy(system)), ("pickle", pickle.loads(pickle.dumps(system)))]:
        assert evaluate(other, pos)[0] == e, name
        done.append(name)
    # CustomCVForce: the PaiNN energy as a collective variable, scaled
    cv = openmm.CustomCVForce("2*painn")
    cv.addCollectiveVariable("painn", openmmpainn.PaiNNForce(job["model"]))
    openmmpainn.PaiNNForce.cast(cv.getCollectiveVariable(0)).setAtomicNumbers(numbers)
    openmmpainn.PaiNNForce.cast(cv.getCollectiveVariable(0)).setPrecision("double")
    s2 = openmm.System()
    for z in numbers:
        s2.addParticle(1.0)
    s2.addForce(cv)
    assert abs(evaluate(s2, pos)[0] - 2 * e) < 1e-9 * abs(e)
    done.append("CustomCVForce")
    # Model bytes round trip, precision, threads, a subset of particles (ML/MM)
    b = force.getModelBytes()
    fb = openmmpainn.PaiNNForce(job["model"])
    fb.setModelBytes(b)
    assert fb.getModelBytes() == b and force.getPrecision() == "double"
    sub, _ = system_for(job["model"], numbers, None, "double", extra=2)
    e_sub, f_sub = evaluate(sub, pos + [[5, 5, 5], [9, 9, 9]])
    assert abs(e_sub - e) < 1e-12 * abs(e) and f_sub[5] == [0, 0, 0] and f_sub[6] == [0, 0, 0]
    done.append("model bytes, subset")
    # Errors are openmm.OpenMMException (or TypeError for wrong Python types), with the reason
    for bad, want in [(lambda: openmmpainn.PaiNNForce("/nonexistent.safetensors"), "cannot open model file"),
                      (lambda: force.setPrecision("half"), "precision"),
                      (lambda: openmmpainn.PaiNNForce.cast(openmm.HarmonicBondForce()), "not a PaiNNForce")]:
        try:
            bad()
        except openmm.OpenMMException as err:
            assert want in str(err), str(err)
        else:
            raise AssertionError(f"no error ({want})")
    try:
        force.setParticles([2**40])
        raise AssertionError("a particle index beyond int was accepted")
    except TypeError:
        pass
    done.append("errors")
    # Elements from an openmm.app Topology
    top = openmm.app.Topology()
    res = top.addResidue("MOL", top.addChain())
    for z in numbers:
        top.addAtom("X", openmm.app.Element.getByAtomicNumber(z), res)
    ft = openmmpainn.PaiNNForce(job["model"])
    openmmpainn.setTopologyElements(ft, top)
    assert ft.getAtomicNumbers() == numbers
    done.append("topology elements")
    platforms = [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]
    return {"checks": done, "platforms": platforms, "openmm": openmm.__version__}


if __name__ == "__main__":
    job = json.load(sys.stdin)
    if job["do"] == "eval":
        system, _ = system_for(job["model"], job["numbers"], job["cell"], job["precision"])
        e, f = evaluate(system, job["positions"], job["platform"])
        out = {"energy": e, "forces": f}
    else:
        out = api(job)
    print(json.dumps(out))
