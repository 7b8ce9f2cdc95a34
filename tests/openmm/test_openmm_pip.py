"""PaiNNForce in OpenMM 8.6 from PyPI (the hosts virtualenv, scripts/setup_hosts.sh) through the
SWIG module build/python-pip/openmmpainn: energies and forces against `painn eval`, and the
openmm.Force behaviours (pip_openmm_worker.py runs them inside the virtualenv)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import structures  # noqa: E402

PAINN = Path(os.environ.get("PAINN_BIN", ROOT / "build" / "bin" / "painn"))
VENV = os.environ.get("PAINN_HOSTS_VENV", "")
MODULE_DIR = os.environ.get("PAINN_OPENMM_PIP_PYTHONPATH", "")
EV = 96.48533212331002  # kJ/mol
pytestmark = pytest.mark.skipif(not (VENV and MODULE_DIR and Path(MODULE_DIR, "openmmpainn.py").exists()),
                                reason="openmmpainn for the OpenMM wheel not built (scripts/setup_hosts.sh)")


def in_venv(job, script=Path(__file__).with_name("pip_openmm_worker.py")):
    env = {**os.environ, "PYTHONPATH": MODULE_DIR, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([str(Path(VENV) / "bin" / "python"), str(script)], input=json.dumps(job),
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().split("\n")[-1])


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "5",
                    "--dtype", "fp64", "-o", str(path)], check=True, capture_output=True)
    return path


@pytest.mark.parametrize("name", ["molecule", "triclinic"])
@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_matches_painn_eval(tmp_path, model, name, platform):
    atoms = getattr(structures, name)()
    ase.io.write(tmp_path / "in.extxyz", atoms, format="extxyz")
    atoms = ase.io.read(tmp_path / "in.extxyz")  # the same rounded coordinates for both
    out = in_venv({"do": "eval", "model": str(model), "numbers": atoms.numbers.tolist(),
                   "positions": atoms.positions.tolist(), "platform": platform, "precision": "double",
                   "cell": np.asarray(atoms.cell).tolist() if atoms.pbc.all() else None})
    subprocess.run([str(PAINN), "eval", str(model), str(tmp_path / "in.extxyz"), "-o", str(tmp_path / "out.extxyz"),
                    "--precision", "fp64"], check=True, capture_output=True)
    ref = ase.io.read(tmp_path / "out.extxyz")
    e_ref, f_ref = ref.get_potential_energy() * EV, ref.get_forces() * EV * 10  # kJ/mol, kJ/mol/nm
    de = abs(out["energy"] - e_ref) / abs(e_ref)
    df = np.abs(np.array(out["forces"]) - f_ref).max() / np.abs(f_ref).max()
    print(f"{name} {platform}: relative differences energy {de:.1e} forces {df:.1e}")
    assert de < 1e-10 and df < 1e-10


def test_openmm_force_behaviours(model):
    out = in_venv({"do": "api", "model": str(model)})
    assert out["openmm"].startswith("8.6")
    assert {"Reference", "CPU"} <= set(out["platforms"])  # loading the plugin kept OpenMM's own plugins
    assert len(out["checks"]) == 8, out["checks"]
