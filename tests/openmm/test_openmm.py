"""PaiNNForce in OpenMM (Debian's OpenMM 7.7, /usr/bin/python3): against painn eval, finite
differences, platforms, periodic images, ML/MM subsets, serialization, NVE, and errors."""
import copy
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "python"))
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
openmm = pytest.importorskip("openmm")
openmmpainn = pytest.importorskip("openmmpainn")
import structures  # noqa: E402

PAINN = ROOT / "build" / "bin" / "painn"
EV = 96.48533212331002  # kJ/mol
unit = openmm.unit


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "5",
                    "--dtype", "fp64", "-o", str(path)], check=True, capture_output=True)
    return path


def make_system(atoms, model, precision="double", periodic=None, extra_particles=0):
    system = openmm.System()
    for m in atoms.get_masses():
        system.addParticle(m)
    for _ in range(extra_particles):
        system.addParticle(39.9)
    periodic = atoms.pbc.all() if periodic is None else periodic
    if periodic:
        a, b, c = (openmm.Vec3(*(v / 10)) for v in np.asarray(atoms.cell))
        system.setDefaultPeriodicBoxVectors(a, b, c)
    f = openmmpainn.PaiNNForce(str(model))
    f.setPrecision(precision)
    f.setUsesPeriodicBoundaryConditions(bool(periodic))
    f.setAtomicNumbers(list(atoms.numbers))
    if extra_particles:
        f.setParticles(list(range(len(atoms))))
    system.addForce(f)
    return system, f


def state(system, positions_nm, platform="Reference", box=None, forces=True):
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.0005), openmm.Platform.getPlatformByName(platform))
    if box is not None:
        ctx.setPeriodicBoxVectors(*box)
    ctx.setPositions([openmm.Vec3(*p) for p in positions_nm])
    st = ctx.getState(getEnergy=True, getForces=forces)
    e = st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    f = np.array(st.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)) if forces else None
    return e, f


def painn_eval(tmp_path, model, atoms):
    ase.io.write(tmp_path / "in.extxyz", atoms, format="extxyz")
    subprocess.run([str(PAINN), "eval", str(model), str(tmp_path / "in.extxyz"), "-o", str(tmp_path / "out.extxyz"),
                    "--precision", "fp64"], check=True, capture_output=True)
    out = ase.io.read(tmp_path / "out.extxyz")
    return out.get_potential_energy() * EV, out.get_forces() * EV * 10


@pytest.mark.parametrize("name", ["molecule", "triclinic"])
@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_matches_painn_eval(tmp_path, model, name, platform):
    atoms = getattr(structures, name)()
    ase.io.write(tmp_path / "r.extxyz", atoms, format="extxyz")
    atoms = ase.io.read(tmp_path / "r.extxyz")  # the same rounded coordinates for both
    system, _ = make_system(atoms, model)
    e, f = state(system, atoms.positions / 10, platform)
    e_ref, f_ref = painn_eval(tmp_path, model, atoms)
    assert abs(e - e_ref) < 1e-10 * abs(e_ref)
    assert np.abs(f - f_ref).max() < 1e-10 * np.abs(f_ref).max()


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_repulsion_matches_painn_eval(tmp_path, platform):
    """A model with the ZBL repulsion (docs/model-format.md section 8) on a box with atoms >= 0.6 A
    apart: energy (also energy-only, as barostats ask) and forces as `painn eval` gives them."""
    model = tmp_path / "z.safetensors"
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "6",
                    "--repulsion", "zbl", "--dtype", "fp64", "-o", str(model)], check=True, capture_output=True)
    atoms = structures._fill([[7.0, 0, 0], [2.1, 7.1, 0], [-1.4, 1.8, 7.2]], 30, 7, min_sep=0.6)
    ase.io.write(tmp_path / "r.extxyz", atoms, format="extxyz")
    atoms = ase.io.read(tmp_path / "r.extxyz")
    system, _ = make_system(atoms, model)
    e, f = state(system, atoms.positions / 10, platform)
    e_only, _ = state(system, atoms.positions / 10, platform, forces=False)
    e_ref, f_ref = painn_eval(tmp_path, model, atoms)
    assert abs(e - e_ref) < 1e-10 * abs(e_ref) and abs(e_only - e_ref) < 1e-10 * abs(e_ref)
    assert np.abs(f - f_ref).max() < 1e-10 * np.abs(f_ref).max()


def test_reference_and_cpu_identical_single_precision(model):
    atoms = structures.orthorhombic()
    system, _ = make_system(atoms, model, precision="single")
    e1, f1 = state(system, atoms.positions / 10, "Reference")
    e2, f2 = state(system, atoms.positions / 10, "CPU")
    assert e1 == e2 and np.array_equal(f1, f2)


def test_forces_are_energy_gradient(model):
    atoms = structures.molecule()
    system, _ = make_system(atoms, model)
    x = atoms.positions / 10
    _, f = state(system, x)
    h = 1e-6  # nm
    for k in [0, 7, 20]:
        for c in range(3):
            xp, xm = x.copy(), x.copy()
            xp[k, c] += h
            xm[k, c] -= h
            fd = -(state(system, xp, forces=False)[0] - state(system, xm, forces=False)[0]) / (2 * h)
            assert fd == pytest.approx(f[k, c], abs=1e-6 * np.abs(f).max())


def test_positions_shifted_by_box_vectors(model):
    atoms = structures.triclinic()
    system, _ = make_system(atoms, model)
    x = atoms.positions / 10
    cell = np.asarray(atoms.cell) / 10
    e0, f0 = state(system, x)
    rng = np.random.default_rng(1)
    shifted = x + rng.integers(-5, 6, (len(x), 3)) @ cell
    e1, f1 = state(system, shifted)
    assert e1 == pytest.approx(e0, rel=1e-11)
    assert np.abs(f1 - f0).max() < 1e-9 * np.abs(f0).max()


def test_subset_only_listed_particles(model):
    atoms = structures.molecule()
    system, f = make_system(atoms, model, extra_particles=3)
    x = np.vstack([atoms.positions / 10, [[2.0, 2.0, 2.0], [2.3, 2.0, 2.0], [2.0, 2.3, 2.1]]])
    e, forces = state(system, x)
    iso, f_iso = state(make_system(atoms, model)[0], atoms.positions / 10)
    assert e == pytest.approx(iso, rel=1e-12)
    assert np.all(forces[len(atoms):] == 0)
    assert np.abs(forces[:len(atoms)] - f_iso).max() < 1e-10 * np.abs(f_iso).max()


def test_serialization_deepcopy_and_customcv(model):
    atoms = structures.molecule()
    system, f = make_system(atoms, model)
    x = atoms.positions / 10
    e0, f0 = state(system, x)
    xml = openmm.XmlSerializer.serialize(system)
    assert "modelHash" in xml
    e1, f1 = state(openmm.XmlSerializer.deserialize(xml), x)
    assert e1 == e0 and np.array_equal(f1, f0)
    # deepcopy of the force, added to a fresh system
    sys2 = openmm.System()
    for m in atoms.get_masses():
        sys2.addParticle(m)
    sys2.addForce(copy.deepcopy(f))
    assert state(sys2, x)[0] == e0
    # inside a CustomCVForce: energy 2*E
    sys3 = openmm.System()
    for m in atoms.get_masses():
        sys3.addParticle(m)
    cv = openmm.CustomCVForce("2*painn")
    cv.addCollectiveVariable("painn", copy.deepcopy(f))
    sys3.addForce(cv)
    e3, f3 = state(sys3, x)
    assert e3 == pytest.approx(2 * e0, rel=1e-12)
    assert np.abs(f3 - 2 * f0).max() < 1e-9 * np.abs(f0).max()


def test_corrupted_xml_is_refused(model):
    atoms = structures.molecule()
    system, _ = make_system(atoms, model)
    xml = openmm.XmlSerializer.serialize(system)
    k = xml.index('model="') + 200
    bad = xml[:k] + ("A" if xml[k] != "A" else "B") + xml[k + 1:]
    with pytest.raises(Exception, match="does not match its hash"):
        openmm.XmlSerializer.deserialize(bad)


def test_update_parameters_in_context(tmp_path, model):
    atoms = structures.molecule()
    system, f = make_system(atoms, model)
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.0005), openmm.Platform.getPlatformByName("Reference"))
    ctx.setPositions([openmm.Vec3(*p) for p in atoms.positions / 10])
    e0 = ctx.getState(getEnergy=True).getPotentialEnergy()
    other = tmp_path / "other.safetensors"
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "9", "-o", str(other)],
                   check=True, capture_output=True)
    f.setModelFile(str(other))
    f.updateParametersInContext(ctx)
    e1 = ctx.getState(getEnergy=True).getPotentialEnergy()
    assert e1 != e0


def test_errors_are_clear(tmp_path, model):
    with pytest.raises(openmm.OpenMMException, match="cannot open model file"):
        openmmpainn.PaiNNForce(str(tmp_path / "missing.safetensors"))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(openmm.OpenMMException, match="bad header size|not a PaiNN-MD model"):
        openmmpainn.PaiNNForce(str(bad))
    system = openmm.System()
    system.addParticle(55.8)
    f = openmmpainn.PaiNNForce(str(model))
    f.setAtomicNumbers([26])
    system.addForce(f)
    with pytest.raises(openmm.OpenMMException, match="element Fe, which the model does not know"):
        openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    system2 = openmm.System()
    system2.addParticle(55.8)
    system2.addForce(openmmpainn.PaiNNForce(str(model)))
    with pytest.raises(openmm.OpenMMException, match="cannot tell the element of particle 0"):
        openmm.Context(system2, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))


@pytest.mark.skipif(not (ROOT / "potentials" / "ultratiny-fp32.safetensors").exists(), reason="no shipped potential")
def test_nve_energy_drift_is_bounded():
    """VerletIntegrator, 0.5 fs, 10,000 steps of aspirin with a trained potential."""
    atoms = structures.molecule()
    system = openmm.System()
    for m in atoms.get_masses():
        system.addParticle(m)
    f = openmmpainn.PaiNNForce(str(ROOT / "potentials" / "ultratiny-fp32.safetensors"))
    f.setPrecision("double")
    system.addForce(f)
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.0005), openmm.Platform.getPlatformByName("CPU"))
    ctx.setPositions([openmm.Vec3(*p) for p in atoms.positions / 10])
    ctx.setVelocitiesToTemperature(300, 1)
    energies = []
    for _ in range(100):
        ctx.getIntegrator().step(100)
        s = ctx.getState(getEnergy=True)
        energies.append((s.getPotentialEnergy() + s.getKineticEnergy()).value_in_unit(unit.kilojoule_per_mole))
    energies = np.array(energies) / EV * 1000 / len(atoms)  # meV/atom
    slope = np.polyfit(np.arange(len(energies)) * 0.05, energies, 1)[0]  # per ps
    print(f"OpenMM NVE drift {slope:.4f} meV/atom/ps, spread {energies.max() - energies.min():.3f} meV/atom")
    assert abs(slope) < 0.5
    assert energies.max() - energies.min() < 5.0


# ---- hostile input (issue 13: D1-D4, D8) ----------------------------------------------------
def _with_metadata(src, dst, key, value):
    import json
    import struct
    data = Path(src).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    h = json.loads(data[8:8 + n])
    h["__metadata__"][key] = value
    text = json.dumps(h).encode()
    Path(dst).write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])
    return dst


def _context(system):
    return openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))


def _two_atoms(model, z=(8, 1), periodic=False):
    system = openmm.System()
    for _ in z:
        system.addParticle(1.0)
    f = openmmpainn.PaiNNForce(str(model))
    f.setPrecision("double")
    f.setAtomicNumbers(list(z))
    f.setUsesPeriodicBoundaryConditions(periodic)
    system.addForce(f)
    return system, f


def test_d8_integers_that_do_not_fit_are_refused(model):
    f = openmmpainn.PaiNNForce(str(model))
    with pytest.raises(openmm.OpenMMException, match="atomic number 4294967304 is out of range"):
        f.setAtomicNumbers([2**32 + 8, 1])
    with pytest.raises(openmm.OpenMMException, match="particle index 4294967296 is out of range"):
        f.setParticles([0, 2**32])
    with pytest.raises(openmm.OpenMMException, match="thread count 4294967297 is out of range"):
        f.setNumThreads(2**32 + 1)
    with pytest.raises(openmm.OpenMMException, match="atomic number 8.5 is not an integer"):
        f.setAtomicNumbers([8.5])
    assert f.getAtomicNumbers() == []


def test_d8_periodic_force_needs_a_box(model):
    system, _ = _two_atoms(model, periodic=True)
    with pytest.raises(openmm.OpenMMException, match="the System has no box of its own"):
        _context(system)
    system.setDefaultPeriodicBoxVectors(openmm.Vec3(3, 0, 0), openmm.Vec3(0, 3, 0), openmm.Vec3(0, 0, 3))
    _context(system)  # with a box of its own it works


def test_d3_thread_count_is_bounded(model):
    system, f = _two_atoms(model)
    f.setNumThreads(1000000)
    with pytest.raises(openmm.OpenMMException, match="thread count 1000000 is above the limit of 1024"):
        _context(system)


def test_d1_deeply_nested_model_is_refused(tmp_path, model):
    bad = _with_metadata(model, tmp_path / "deep.safetensors", "provenance",
                         '{"a":' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(openmm.OpenMMException, match="nested deeper than 64 levels"):
        openmmpainn.PaiNNForce(str(bad))


def test_d4_non_finite_energy_is_an_error(tmp_path, model):
    bad = _with_metadata(model, tmp_path / "scale.safetensors", "energy_scale", "1e308")
    system, _ = _two_atoms(bad)
    ctx = _context(system)
    ctx.setPositions([openmm.Vec3(0, 0, 0), openmm.Vec3(0.1, 0, 0)])
    with pytest.raises(openmm.OpenMMException, match="PaiNNForce: model PaiNNForce model: the .* is not finite"):
        ctx.getState(getEnergy=True, getForces=True)


def test_d2_far_apart_atoms(model):
    energies = []
    for z, pos in [((8,), [(0, 0, 0)]), ((1,), [(0, 0, 0)]), ((8, 1), [(0, 0, 0), (2097151.2,) * 3])]:
        system, _ = _two_atoms(model, z=z)
        ctx = _context(system)
        ctx.setPositions([openmm.Vec3(*p) for p in pos])
        energies.append(ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole))
    assert energies[2] == pytest.approx(energies[0] + energies[1], rel=1e-12)
