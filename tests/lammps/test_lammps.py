"""pair_style painn in LAMMPS (build/bin/lmp_painn, or PAINN_LMP: a LAMMPS built from source
with lammps_plugin/add_to_lammps.sh) against `painn eval`, across MPI ranks, and its invariants
and error messages."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import lammps_io  # noqa: E402
import structures  # noqa: E402

import lammps_hosts  # noqa: E402
from lammps_hosts import forces, painn_eval, virial_from_pressure, NKTV2P  # noqa: E402,F401

LMP = lammps_hosts.LMP  # PAINN_LMP: another LAMMPS with painn built in
PAINN = lammps_hosts.PAINN
HOST = lammps_hosts.debian_host()
ENV = HOST.env

pytestmark = pytest.mark.skipif(not LMP.exists(), reason="lmp_painn not built (LAMMPS headers missing?)")
lmp = HOST.run


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return lammps_hosts.make_model(tmp_path_factory.mktemp("model") / "m.safetensors")


def single_point(tmp_path, model, atoms, np_=1, **kw):
    return lammps_hosts.single_point(HOST, tmp_path, model, atoms, np_, **kw)


@pytest.mark.parametrize("name", ["triclinic", "orthorhombic", "molecule"])
def test_single_point_matches_painn_eval(tmp_path, model, name):
    atoms, row, dump = single_point(tmp_path, model, getattr(structures, name)())
    lammps_hosts.assert_matches_painn_eval(tmp_path, model, atoms, row, dump)


def test_per_atom_virial_sums_to_global(tmp_path, model):
    atoms, row, _ = single_point(tmp_path, model, structures.triclinic())
    # compute stress/atom gives -(per-atom virial) in pressure*volume units
    per_atom = -np.array([row[f"c_sasum[{k}]"] for k in range(1, 7)]) / NKTV2P
    glob = virial_from_pressure(row)
    assert np.abs(per_atom - glob).max() < 1e-9 * np.abs(glob).max()


def test_virial_matches_strain_derivative(tmp_path, model):
    atoms = lammps_io.to_lammps_frame(structures.triclinic())
    _, row, _ = single_point(tmp_path, model, atoms)
    glob = virial_from_pressure(row)
    h = 1e-5
    # diagonal strains keep the cell lower-triangular: written as is (full precision)
    for k, (i, j) in enumerate([(0, 0), (1, 1), (2, 2)]):
        e = []
        for s in (h, -h):
            eps = np.eye(3)
            eps[i, j] += s
            b = atoms.copy()
            b.set_cell(np.asarray(atoms.cell) @ eps, scale_atoms=True)
            e.append(single_point(tmp_path, model, b, reframe=False)[1]["PotEng"])
        # dE/d(strain) = -virial
        assert -(e[0] - e[1]) / (2 * h) == pytest.approx(glob[k], rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("np_,processors", [(2, ""), (4, ""), (4, "processors 4 1 1"), (3, "processors 1 1 3")])
def test_mpi_ranks_agree(tmp_path, model, np_, processors):
    """Subdomains of 2-3.5 A are far thinner than layers x cutoff (10 A)."""
    a = structures.triclinic()
    _, row1, d1 = single_point(tmp_path, model, a, 1)
    _, rown, dn = single_point(tmp_path, model, a, np_, processors=processors)
    assert rown["PotEng"] == pytest.approx(row1["PotEng"], rel=1e-12)
    assert np.abs(forces(dn) - forces(d1)).max() < 1e-10 * np.abs(forces(d1)).max()
    assert np.abs(virial_from_pressure(rown) - virial_from_pressure(row1)).max() < 1e-10 * np.abs(virial_from_pressure(row1)).max()


def test_ranks_without_atoms(tmp_path, model):
    """A molecule in a large non-periodic box on 4 ranks: some ranks own no atoms."""
    mol = structures.molecule()
    mol.positions -= mol.positions.min(0)
    _, row1, d1 = single_point(tmp_path, model, mol, 1)
    _, row4, d4 = single_point(tmp_path, model, mol, 4, processors="processors 4 1 1")
    assert row4["PotEng"] == pytest.approx(row1["PotEng"], rel=1e-12)
    assert np.abs(forces(d4) - forces(d1)).max() < 1e-10 * np.abs(forces(d1)).max()


@pytest.fixture(scope="module")
def zbl_model(tmp_path_factory):
    """With the ZBL repulsion (docs/model-format.md section 8), pair cutoffs 1.2 (r_i + r_j)."""
    return lammps_hosts.make_model(tmp_path_factory.mktemp("zbl") / "z.safetensors", seed=4,
                                   extra=("--repulsion", "zbl", "--repulsion-scale", "1.2"))


@pytest.mark.parametrize("np_,processors", [(1, ""), (2, ""), (4, "processors 4 1 1"), (3, "processors 1 1 3")])
def test_repulsion_matches_painn_eval_on_any_rank_count(tmp_path, zbl_model, np_, processors):
    """Atoms >= 0.6 A apart (many pairs inside their ZBL cutoffs, up to 1.8 A) in subdomains of
    1.75-2.4 A: pairs across rank boundaries meet through ghost atoms. Energy, forces, global and
    per-atom virial and per-atom energies as `painn eval` gives them."""
    dense = structures._fill([[7.0, 0, 0], [2.1, 7.1, 0], [-1.4, 1.8, 7.2]], 30, 7, min_sep=0.6)
    atoms, row, dump = single_point(tmp_path, zbl_model, dense, np_, processors=processors)
    ref = painn_eval(tmp_path, zbl_model, atoms)
    e = ref.get_potential_energy()
    assert abs(row["PotEng"] - e) < 1e-10 * abs(e)
    f = ref.get_forces()
    assert np.abs(forces(dump) - f).max() < 1e-10 * np.abs(f).max()
    w = -(ref.get_stress() * atoms.get_volume())[[0, 1, 2, 5, 4, 3]]
    assert np.abs(virial_from_pressure(row) - w).max() < 1e-9 * np.abs(w).max()
    per_atom_virial = -np.array([row[f"c_sasum[{k}]"] for k in range(1, 7)]) / NKTV2P
    assert np.abs(per_atom_virial - w).max() < 1e-9 * np.abs(w).max()
    np.testing.assert_allclose(dump["c_pe"], ref.get_array("energies"), rtol=0, atol=1e-10 * np.abs(e))


def test_real_units_convert_exactly(tmp_path, model):
    a = structures.triclinic()
    _, row_m, d_m = single_point(tmp_path, model, a, units="metal")
    _, row_r, d_r = single_point(tmp_path, model, a, units="real")
    kcal = 96.48533212331002 / 4.184
    assert row_r["PotEng"] == pytest.approx(kcal * row_m["PotEng"], rel=1e-12)
    np.testing.assert_allclose(forces(d_r), kcal * forces(d_m), rtol=1e-12, atol=1e-12)


NVE = """units metal
atom_style atomic
boundary p p p
read_data {data}
pair_style painn precision fp64
pair_coeff * * {model} H C N O
velocity all create 300 12345 mom yes rot no
neighbor 1.0 bin
neigh_modify every {every} delay 0 check no
timestep 0.0005
fix 1 all nve
thermo 100
thermo_style custom step pe ke etotal
thermo_modify format float %.16g
run 100
write_dump all custom final.dump id fx fy fz modify sort id format float %.16g
"""


def test_neighbor_rebuild_interval_does_not_change_dynamics(tmp_path, model):
    atoms = lammps_io.to_lammps_frame(structures.triclinic())
    lammps_io.write_data(tmp_path / "s.data", atoms, ["H", "C", "N", "O"])
    out = []
    for every in [1, 10]:
        _, log = lmp(tmp_path, NVE.format(data="s.data", model=model, every=every))
        out.append((lammps_io.read_thermo(log)[-1], lammps_io.read_dump(tmp_path / "final.dump")))
    assert out[0][0]["PotEng"] == pytest.approx(out[1][0]["PotEng"], rel=1e-9)
    f0 = np.stack([out[0][1][c] for c in ("fx", "fy", "fz")], 1)
    f1 = np.stack([out[1][1][c] for c in ("fx", "fy", "fz")], 1)
    assert np.abs(f0 - f1).max() < 1e-9 * np.abs(f0).max()


BAD = """units {units}
atom_style atomic
boundary p p p
read_data s.data
{newton}
pair_style painn
pair_coeff * * {model} {elements}
run 0
"""


@pytest.mark.parametrize("case,units,newton,elements,message", [
    ("element not in model", "metal", "", "H C N F", "element F (atom type 4) is not in the model"),
    ("unmapped type", "metal", "", "H C N", "one element (or NULL) for each of the 4 atom types"),
    ("not an element", "metal", "", "H C N Xx", "'Xx' for atom type 4 is not an element symbol"),
    ("units", "lj", "", "H C N O", "supports units metal"),
    ("newton off", "metal", "newton off on", "H C N O", "requires newton_pair on"),
    ("missing file", "metal", "", "H C N O", "cannot open model file"),
    ("malformed model", "metal", "", "H C N O", "not a PaiNN-MD model"),
])
def test_bad_input_gives_clear_errors(tmp_path, model, case, units, newton, elements, message):
    lammps_io.write_data(tmp_path / "s.data", lammps_io.to_lammps_frame(structures.triclinic()), ["H", "C", "N", "O"])
    path = str(model)
    if case == "missing file":
        path = str(tmp_path / "nope.safetensors")
    if case == "malformed model":
        path = str(tmp_path / "bad.safetensors")
        data = bytearray(Path(model).read_bytes())
        data[data.find(b"painn-md"):data.find(b"painn-md") + 8] = b"other-md"
        Path(path).write_bytes(bytes(data))
    r, log = lmp(tmp_path, BAD.format(units=units, newton=newton, model=path, elements=elements), check=False)
    assert r.returncode != 0
    assert message in log + r.stdout + r.stderr


def example_thermo(np_, tmp_path, steps=20):
    cmd = [str(LMP), "-in", str(ROOT / "examples/lammps/box/in.box"), "-var", "nvt_steps", str(steps),
           "-var", "nve_steps", str(steps), "-log", "none"]
    if np_ > 1:
        cmd = ["mpirun", "--oversubscribe", "-np", str(np_)] + cmd
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return [l for l in r.stdout.split("\n") if l.strip() and l.split()[0].isdigit() and len(l.split()) == 7]


@pytest.mark.skipif(not (ROOT / "potentials" / "compact-fp32.safetensors").exists(), reason="no shipped potential")
def test_periodic_example_same_thermo_on_one_and_two_ranks(tmp_path):
    one, two = example_thermo(1, tmp_path), example_thermo(2, tmp_path)
    assert len(one) >= 4 and one == two


sys.path.insert(0, str(ROOT / "training" / "potentials"))
from nve_drift import INPUT as NVE_MOLECULE  # noqa: E402  (the same input the cards' drift numbers come from)


@pytest.mark.skipif(not (ROOT / "potentials" / "ultratiny-fp32.safetensors").exists(), reason="no shipped potential")
def test_nve_energy_drift_is_bounded(tmp_path):
    """20,000 steps of 0.5 fs (10 ps) of aspirin in vacuum with a trained potential (fp32)."""
    _, log = lmp(tmp_path, NVE_MOLECULE.format(data=ROOT / "examples/lammps/molecule/aspirin.data",
                                               model=ROOT / "potentials/ultratiny-fp32.safetensors", steps=20000))
    rows = lammps_io.read_thermo(log)
    t = np.array([r["Time"] for r in rows])
    e = np.array([r["TotEng"] for r in rows])
    slope = np.polyfit(t, e, 1)[0] / 21 * 1000  # meV/atom/ps
    spread = (e.max() - e.min()) / 21 * 1000
    print(f"NVE drift {slope:.4f} meV/atom/ps, total-energy spread {spread:.3f} meV/atom over {t[-1]:.1f} ps")
    assert abs(slope) < 0.5   # measured 0.28 meV/atom/ps (potentials/README.md)
    assert spread < 10.0      # measured 5.4 meV/atom: ultratiny is the roughest surface


@pytest.mark.parametrize("np_", [1, 3])
def test_hybrid_overlay_with_null_type(tmp_path, model, np_):
    lammps_hosts.check_hybrid_overlay_with_null_type(HOST, tmp_path, model, np_)


# ---- hostile input (issue 13: D1, D4, close atoms, directories) ------------------------------
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


@pytest.mark.parametrize("np_", [1, 2])
@pytest.mark.parametrize("case,message", [
    ("deep provenance", "metadata 'provenance' is nested deeper than 64 levels"),
    ("energy_scale 1e308", "is not finite (NaN or Inf)"),
    ("directory", "is a directory"),
    ("close atoms", "closer than 0.1 A"),
])
def test_hostile_input_gives_clear_errors(tmp_path, model, case, message, np_):
    atoms = lammps_io.to_lammps_frame(structures.triclinic())
    if case == "close atoms":
        p = atoms.get_positions()
        p[1] = p[0] + [0.05, 0, 0]
        atoms.set_positions(p)
    lammps_io.write_data(tmp_path / "s.data", atoms, ["H", "C", "N", "O"])
    path = str(model)
    if case == "deep provenance":
        path = str(_with_metadata(model, tmp_path / "deep.safetensors", "provenance",
                                  '{"a":' + "[" * 100000 + "]" * 100000 + "}"))
    if case == "energy_scale 1e308":
        path = str(_with_metadata(model, tmp_path / "scale.safetensors", "energy_scale", "1e308"))
    if case == "directory":
        path = str(tmp_path)
    r, log = lmp(tmp_path, BAD.format(units="metal", newton="", model=path, elements="H C N O"), np_, check=False)
    assert r.returncode not in (0, -11, 139), "crashed or passed: " + r.stderr[-2000:]
    assert message in log + r.stdout + r.stderr
    if case == "energy_scale 1e308":
        assert path in log + r.stdout + r.stderr  # the message names the model
