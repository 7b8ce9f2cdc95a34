"""openmm-ml 1.8 with PaiNN-MD (entry points `openmmml.potentials` from build/python-pip):
MLPotential('painn-SIZE') and MLPotential('painn', modelFile=...) in createSystem and
createMixedSystem give what openmmpainn.PaiNNForce used directly gives (pip_openmmml_worker.py,
inside the hosts virtualenv)."""
import subprocess
from pathlib import Path

import pytest

from test_openmm_pip import PAINN, in_venv, pytestmark  # noqa: F401  (same virtualenv and skip rule)


def test_mlpotential_equals_painnforce(tmp_path, monkeypatch):
    """Shipped potentials are looked up in PAINN_POTENTIALS_DIR: small random ones here
    (compact-fp32 and its int8 conversion), so that the test does not depend on potentials/."""
    painn = lambda *a: subprocess.run([str(PAINN), *map(str, a)], check=True, capture_output=True)  # noqa: E731
    painn("init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "7", "--dtype", "fp64",
          "-o", tmp_path / "m.safetensors")
    painn("init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "8", "--dtype", "fp32",
          "-o", tmp_path / "compact-fp32.safetensors")
    painn("convert", tmp_path / "compact-fp32.safetensors", "--to", "int8", "-o", tmp_path / "compact-int8.safetensors")
    monkeypatch.setenv("PAINN_POTENTIALS_DIR", str(tmp_path))
    out = in_venv({"model": str(tmp_path / "m.safetensors")}, Path(__file__).with_name("pip_openmmml_worker.py"))
    print(out)
    assert out["import_s"] < 5  # openmm-ml imports every entry point on import: ours must be light
    for case in ["painn-compact", "painn-compact int8", "painn-compact fp64", "painn modelFile"]:
        assert out[case] == [0.0, 0.0], case  # the same force, the same arithmetic
    de, df = out["createMixedSystem"]
    # PME sums in another order; v2 total energies are ~1.7e6 kJ/mol (ANI-2x atomic references),
    # so 1e-7 kJ/mol is a relative 6e-14
    assert de < 1e-7 and df < 1e-6, out["createMixedSystem"]


SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]


def test_every_shipped_potential_minimises_and_runs_aspirin():
    """What a user does first: minimizeEnergy, then dynamics. OpenMM's L-BFGS takes a first trial
    step that moves atoms by up to about 1 A and can put two atoms almost on top of each other
    (ultratiny: C2 and O3 0.064 A apart); the shipped files define a steep repulsive wall there
    (ZBL and the network inner cutoff) and the minimiser must be able to back off from it."""
    root = Path(__file__).resolve().parents[2]
    if not all((root / "potentials" / f"{s}-fp32.safetensors").exists() for s in SIZES):
        pytest.skip("no shipped potentials")
    out = in_venv({"sizes": SIZES, "pdb": str(root / "examples" / "openmm" / "aspirin.pdb")},
                  Path(__file__).with_name("pip_minimise_worker.py"))
    print(out)
    for size in SIZES:
        row = out[size]
        assert "error" not in row, (size, row)
        assert row["minimised"] < row["start"], (size, row)
        assert abs(row["after_md"] - row["minimised"]) < 200, (size, row)  # kJ/mol: 21 atoms at 300 K
        assert row["closest_pair"] > 0.85, (size, row)  # no bond collapsed (H-X bonds are ~1 A)
