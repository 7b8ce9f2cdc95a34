"""The Python module openmmpainn with Debian's OpenMM 7.7 (/usr/bin/python3): construction, the
PaiNN methods on SWIG objects, topology elements, platforms, finite differences, periodic images,
subsets, force groups, XML / copy / pickle, CustomCVForce, parameter updates, errors, and a short
simulation with openmm.app."""
import copy
import pickle
from pathlib import Path

import numpy as np
import pytest

openmm = pytest.importorskip("openmm")
app = pytest.importorskip("openmm.app")
unit = openmm.unit
openmmpainn = pytest.importorskip("openmmpainn")

from conftest import make_model  # noqa: E402

KJ = unit.kilojoule_per_mole
KJ_NM = unit.kilojoule_per_mole / unit.nanometer

# Ethanol (Angstrom)
ETHANOL_Z = [6, 6, 8, 1, 1, 1, 1, 1, 1]
ETHANOL_X = np.array([[0.000, 0.000, 0.000], [1.520, 0.000, 0.000], [2.020, 1.330, 0.000],
                      [-0.390, 1.020, 0.000], [-0.390, -0.510, 0.880], [-0.390, -0.510, -0.880],
                      [1.890, -0.520, 0.890], [1.890, -0.520, -0.890], [2.990, 1.300, 0.000]]) / 10  # nm


def topology(numbers, box=None):
    top = app.Topology()
    chain = top.addChain()
    res = top.addResidue("MOL", chain)
    for k, z in enumerate(numbers):
        el = app.Element.getByAtomicNumber(z) if z else None
        top.addAtom(f"A{k}", el, res)
    if box is not None:
        top.setPeriodicBoxVectors(box)
    return top


def make_system(numbers, force=None, box=None, extra=0):
    system = openmm.System()
    for z in numbers:
        system.addParticle(app.Element.getByAtomicNumber(z).mass)
    for _ in range(extra):
        system.addParticle(39.9)
    if box is not None:
        system.setDefaultPeriodicBoxVectors(*box)
    if force is not None:
        system.addForce(force)
    return system


def evaluate(system, x_nm, platform="Reference", forces=True, groups=-1, properties=None):
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.0005), openmm.Platform.getPlatformByName(platform),
                         properties or {})
    ctx.setPositions([openmm.Vec3(*p) for p in x_nm])
    st = ctx.getState(getEnergy=True, getForces=forces, groups=groups)
    e = st.getPotentialEnergy().value_in_unit(KJ)
    return e, (np.array(st.getForces(asNumpy=True).value_in_unit(KJ_NM)) if forces else None)


def random_box_structure(n=12, seed=3):
    """Atoms at least 0.1 nm apart in a small triclinic cell (OpenMM's reduced form)."""
    rng = np.random.default_rng(seed)
    box = np.array([[0.8, 0, 0], [0.2, 0.75, 0], [-0.3, 0.25, 0.85]])
    x = []
    while len(x) < n:
        p = rng.random(3) @ box
        if all(np.linalg.norm(p - q) > 0.1 for q in x):
            x.append(p)
    numbers = [[1, 6, 7, 8][k % 4] for k in range(n)]
    return numbers, np.array(x), [openmm.Vec3(*v) for v in box]


def test_import_loads_the_plugin_and_keeps_the_cpu_platform():
    names = [openmm.Platform.getPlatform(k).getName() for k in range(openmm.Platform.getNumPlatforms())]
    assert "Reference" in names and "CPU" in names
    for name in ["Reference", "CPU"]:
        assert openmm.Platform.getPlatformByName(name).supportsKernels(["CalcPaiNNForce"])
    assert Path(openmmpainn.LIBRARY_PATH).exists()


def test_construct_from_path_pathlike_and_bytes(model):
    data = Path(model).read_bytes()
    energies = []
    for arg in [str(model), Path(model), data, bytearray(data)]:
        f = openmmpainn.PaiNNForce(arg, atomicNumbers=ETHANOL_Z, precision="double")
        assert isinstance(f, openmm.Force) and isinstance(f, openmmpainn.PaiNNForce)
        assert f.getModelBytes() == data
        energies.append(evaluate(make_system(ETHANOL_Z, f), ETHANOL_X)[0])
    assert len(set(energies)) == 1 and energies[0] != 0
    with pytest.raises(TypeError):
        openmmpainn.PaiNNForce()


def test_keywords_and_getters(model):
    f = openmmpainn.PaiNNForce(model, particles=[4, 2, 0], atomicNumbers=[1, 6, 8], periodic=True,
                               precision="double", threads=3)
    assert f.getParticles() == [4, 2, 0]
    assert f.getAtomicNumbers() == [1, 6, 8]
    assert f.usesPeriodicBoundaryConditions()
    assert f.getPrecision() == "double"
    assert f.getNumThreads() == 3
    g = openmmpainn.PaiNNForce(model)
    assert (g.getParticles(), g.getAtomicNumbers(), g.usesPeriodicBoundaryConditions(), g.getPrecision(),
            g.getNumThreads()) == ([], [], False, "single", 0)
    assert "PaiNNForce" in repr(f)
    with pytest.raises(TypeError):
        openmmpainn.PaiNNForce(model, topology=topology(ETHANOL_Z), atomicNumbers=ETHANOL_Z)


def test_elements_from_topology(model):
    f = openmmpainn.PaiNNForce(model, topology=topology(ETHANOL_Z))
    assert f.getAtomicNumbers() == ETHANOL_Z
    # subset: the elements of the selected particles, in their order
    g = openmmpainn.PaiNNForce(model, particles=[8, 2, 0], topology=topology(ETHANOL_Z))
    assert g.getAtomicNumbers() == [1, 8, 6]
    h = openmmpainn.PaiNNForce(model)
    openmmpainn.setTopologyElements(h, topology(ETHANOL_Z))
    assert h.getAtomicNumbers() == ETHANOL_Z
    with pytest.raises(openmm.OpenMMException, match="atom 1 .* has no element"):
        openmmpainn.PaiNNForce(model, topology=topology([6, 0, 8]))
    # From topology, from masses and given explicitly: the same energy.
    e_top = evaluate(make_system(ETHANOL_Z, f), ETHANOL_X)[0]
    e_mass = evaluate(make_system(ETHANOL_Z, openmmpainn.PaiNNForce(model)), ETHANOL_X)[0]
    assert e_top == e_mass


@pytest.mark.parametrize("precision", ["single", "double"])
def test_reference_and_cpu_identical(model, precision):
    f = openmmpainn.PaiNNForce(model, atomicNumbers=ETHANOL_Z, precision=precision)
    system = make_system(ETHANOL_Z, f)
    e1, f1 = evaluate(system, ETHANOL_X, "Reference")
    e2, f2 = evaluate(system, ETHANOL_X, "CPU")
    assert e1 == e2 and np.array_equal(f1, f2)
    e3, f3 = evaluate(system, ETHANOL_X, "CPU", properties={"Threads": "1"})
    assert e3 == pytest.approx(e1, rel=1e-6 if precision == "single" else 1e-12)


def test_forces_are_minus_energy_gradient(model):
    system = make_system(ETHANOL_Z, openmmpainn.PaiNNForce(model, precision="double"))
    _, f = evaluate(system, ETHANOL_X)
    h = 1e-5
    for k in [0, 2, 8]:
        for c in range(3):
            xp, xm = ETHANOL_X.copy(), ETHANOL_X.copy()
            xp[k, c] += h
            xm[k, c] -= h
            fd = -(evaluate(system, xp, forces=False)[0] - evaluate(system, xm, forces=False)[0]) / (2 * h)
            assert fd == pytest.approx(f[k, c], abs=1e-5 * np.abs(f).max())


def test_periodic_images_and_box_changes(model):
    numbers, x, box = random_box_structure()
    f = openmmpainn.PaiNNForce(model, atomicNumbers=numbers, periodic=True, precision="double")
    system = make_system(numbers, f, box=box)
    e0, f0 = evaluate(system, x)
    b = np.array([list(v) for v in box])
    shifted = x + np.random.default_rng(5).integers(-6, 7, (len(x), 3)) @ b
    e1, f1 = evaluate(system, shifted)
    assert e1 == pytest.approx(e0, rel=1e-11)
    assert np.abs(f1 - f0).max() < 1e-9 * np.abs(f0).max()
    # A box changed in the Context (as a barostat does) is the box that is used.
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CPU"))
    ctx.setPositions([openmm.Vec3(*p) for p in x])
    ctx.setPeriodicBoxVectors(*[v * 1.04 for v in box])
    ctx.setPositions([openmm.Vec3(*p) for p in x * 1.04])
    e_ctx = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(KJ)
    fresh = make_system(numbers, openmmpainn.PaiNNForce(model, atomicNumbers=numbers, periodic=True,
                                                        precision="double"), box=[v * 1.04 for v in box])
    assert e_ctx == pytest.approx(evaluate(fresh, x * 1.04)[0], rel=1e-12)


def test_subset_only_listed_particles(model):
    # ethanol at indices 3..11 of a 14-particle system, 5 other particles around
    others = np.array([[0.5, 0.5, 0.5], [0.8, 0.5, 0.5], [0.5, 0.8, 0.6], [-0.3, 0.2, 0.1], [0.2, -0.3, 0.0]])
    x = np.vstack([others[:3], ETHANOL_X, others[3:]])
    numbers = [8, 8, 8] + ETHANOL_Z + [8, 8]
    f = openmmpainn.PaiNNForce(model, particles=list(range(3, 12)), atomicNumbers=ETHANOL_Z, precision="double")
    e, forces = evaluate(make_system(numbers, f), x)
    e_iso, f_iso = evaluate(make_system(ETHANOL_Z, openmmpainn.PaiNNForce(model, precision="double")), ETHANOL_X)
    assert e == pytest.approx(e_iso, rel=1e-12)
    assert np.all(forces[:3] == 0) and np.all(forces[12:] == 0)
    assert np.abs(forces[3:12] - f_iso).max() < 1e-10 * np.abs(f_iso).max()


def test_force_group(model):
    f = openmmpainn.PaiNNForce(model)
    f.setForceGroup(2)
    system = make_system(ETHANOL_Z, f)
    assert evaluate(system, ETHANOL_X, groups={2})[0] != 0
    e, forces = evaluate(system, ETHANOL_X, groups={0, 1, 3})
    assert e == 0 and np.all(forces == 0)


def test_as_painn_force_on_forces_from_openmm(model):
    system = make_system(ETHANOL_Z, openmmpainn.PaiNNForce(model))
    system.addForce(openmm.HarmonicBondForce())
    generic = system.getForce(0)
    assert not isinstance(generic, openmmpainn.PaiNNForce)
    view = openmmpainn.asPaiNNForce(generic)
    assert not view.thisown  # the System still owns it
    assert view.getPrecision() == "single"
    view.setPrecision("double")
    assert 'precision="double"' in openmm.XmlSerializer.serialize(system)
    with pytest.raises(TypeError, match="not a PaiNNForce"):
        openmmpainn.asPaiNNForce(system.getForce(1))
    with pytest.raises(TypeError):
        openmmpainn.asPaiNNForce("force")


def test_xml_copy_deepcopy_pickle(model):
    f = openmmpainn.PaiNNForce(model, atomicNumbers=ETHANOL_Z, precision="double")
    f.setForceGroup(4)
    xml = openmm.XmlSerializer.serialize(f)
    assert "modelHash" in xml
    back = openmm.XmlSerializer.deserialize(xml)
    assert openmm.XmlSerializer.serialize(back) == xml
    e0, f0 = evaluate(make_system(ETHANOL_Z, copy.deepcopy(f)), ETHANOL_X)
    for clone in [copy.copy(f), copy.deepcopy(f), pickle.loads(pickle.dumps(f))]:
        assert isinstance(clone, openmmpainn.PaiNNForce)
        assert clone.getForceGroup() == 4 and clone.getPrecision() == "double"
        e, forces = evaluate(make_system(ETHANOL_Z, clone), ETHANOL_X)
        assert e == e0 and np.array_equal(forces, f0)
    # A clone is independent of the original.
    c = copy.deepcopy(f)
    c.setPrecision("single")
    assert f.getPrecision() == "double"
    # A whole System: deepcopy and XML
    system = make_system(ETHANOL_Z, f)
    for s2 in [copy.deepcopy(system), openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system))]:
        e, forces = evaluate(s2, ETHANOL_X)
        assert e == e0 and np.array_equal(forces, f0)


def test_custom_cv_force(model):
    f = openmmpainn.PaiNNForce(model, atomicNumbers=ETHANOL_Z, precision="double")
    e0, f0 = evaluate(make_system(ETHANOL_Z, copy.deepcopy(f)), ETHANOL_X)
    cv = openmm.CustomCVForce("2*painn + 1")
    cv.addCollectiveVariable("painn", f)
    assert not f.thisown
    assert openmmpainn.asPaiNNForce(cv.getCollectiveVariable(0)).getPrecision() == "double"
    system = make_system(ETHANOL_Z, cv)
    for platform in ["Reference", "CPU"]:
        e, forces = evaluate(system, ETHANOL_X, platform)
        assert e == pytest.approx(2 * e0 + 1, rel=1e-12)
        assert np.abs(forces - 2 * f0).max() < 1e-9 * np.abs(f0).max()
    # and a System holding it survives XML
    e, _ = evaluate(openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system)), ETHANOL_X)
    assert e == pytest.approx(2 * e0 + 1, rel=1e-12)


def test_update_parameters_in_context(model, other_model):
    f = openmmpainn.PaiNNForce(model, precision="double")
    system = make_system(ETHANOL_Z, f)
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CPU"))
    ctx.setPositions([openmm.Vec3(*p) for p in ETHANOL_X])
    energy = lambda: ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(KJ)  # noqa: E731
    e0 = energy()
    f.setModelFile(other_model)
    assert energy() == e0  # not pushed yet
    f.updateParametersInContext(ctx)
    e_other = evaluate(make_system(ETHANOL_Z, openmmpainn.PaiNNForce(other_model, precision="double")), ETHANOL_X)[0]
    assert energy() == e_other != e0
    f.setModelBytes(Path(model).read_bytes())
    f.updateParametersInContext(ctx)
    assert energy() == e0
    with pytest.raises(TypeError):
        f.updateParametersInContext(system)


def test_errors_are_clear(tmp_path, model):
    with pytest.raises(openmm.OpenMMException, match="cannot open model file"):
        openmmpainn.PaiNNForce(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(openmm.OpenMMException, match="^PaiNNForce: "):
        openmmpainn.PaiNNForce(bad)
    with pytest.raises(openmm.OpenMMException, match="^PaiNNForce: "):
        openmmpainn.PaiNNForce(b"not a model")
    with pytest.raises(openmm.OpenMMException, match="precision must be 'single' or 'double'"):
        openmmpainn.PaiNNForce(model, precision="half")
    # element not in the model
    system = make_system([26], openmmpainn.PaiNNForce(model, atomicNumbers=[26]))
    with pytest.raises(openmm.OpenMMException, match="element Fe, which the model does not know"):
        evaluate(system, [[0, 0, 0]])
    # elements neither given nor recognisable from the masses (repartitioned hydrogen)
    system = openmm.System()
    for m in [12.011, 4.032]:
        system.addParticle(m)
    system.addForce(openmmpainn.PaiNNForce(model))
    with pytest.raises(openmm.OpenMMException, match="cannot tell the element of particle 1"):
        evaluate(system, [[0, 0, 0], [0.11, 0, 0]])
    # a model that lacks an element, swapped in
    hc = make_model(tmp_path / "hc.safetensors", 3, species="H,C")
    f = openmmpainn.PaiNNForce(model, atomicNumbers=ETHANOL_Z)
    ctx = openmm.Context(make_system(ETHANOL_Z, f), openmm.VerletIntegrator(0.001))
    f.setModelFile(hc)
    with pytest.raises(openmm.OpenMMException, match="lacks element O"):
        f.updateParametersInContext(ctx)


SHIPPED = Path(__file__).resolve().parents[3] / "potentials" / "ultratiny-fp32.safetensors"


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped potential")
def test_simulation_with_openmm_app():
    # A trained potential: random weights have no short-range repulsion, and the minimiser then
    # pulls atoms closer than 0.1 A, which is (rightly) an error.
    top = topology(ETHANOL_Z)
    system = make_system(ETHANOL_Z, openmmpainn.PaiNNForce(str(SHIPPED), topology=top))
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 5 / unit.picosecond, 0.5 * unit.femtosecond)
    sim = app.Simulation(top, system, integrator, openmm.Platform.getPlatformByName("CPU"))
    sim.context.setPositions(ETHANOL_X * unit.nanometer)
    e_start = sim.context.getState(getEnergy=True).getPotentialEnergy()
    sim.minimizeEnergy(maxIterations=50)
    e_min = sim.context.getState(getEnergy=True).getPotentialEnergy()
    assert e_min <= e_start
    sim.context.setVelocitiesToTemperature(300 * unit.kelvin, 1)
    sim.step(50)
    st = sim.context.getState(getEnergy=True, getPositions=True)
    assert np.isfinite(st.getPotentialEnergy().value_in_unit(KJ))
    assert np.all(np.isfinite(st.getPositions(asNumpy=True).value_in_unit(unit.nanometer)))
