"""openmm-ml 1.8 with PaiNN-MD (entry points `openmmml.potentials` from build/python-pip):
MLPotential('painn-SIZE') and MLPotential('painn', modelFile=...) in createSystem and
createMixedSystem give what openmmpainn.PaiNNForce used directly gives (pip_openmmml_worker.py,
inside the hosts virtualenv)."""
import subprocess
from pathlib import Path

import pytest

from test_openmm_pip import PAINN, in_venv, pytestmark  # noqa: F401  (same virtualenv and skip rule)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (ROOT / "potentials" / "compact-fp32.safetensors").exists(), reason="no shipped potential")
def test_mlpotential_equals_painnforce(tmp_path):
    model = tmp_path / "m.safetensors"
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "7",
                    "--dtype", "fp64", "-o", str(model)], check=True, capture_output=True)
    out = in_venv({"model": str(model)}, Path(__file__).with_name("pip_openmmml_worker.py"))
    print(out)
    assert out["import_s"] < 5  # openmm-ml imports every entry point on import: ours must be light
    for case in ["painn-compact", "painn-compact int8", "painn-compact fp64", "painn modelFile"]:
        assert out[case] == [0.0, 0.0], case  # the same force, the same arithmetic
    de, df = out["createMixedSystem"]
    assert de < 1e-9 and df < 1e-6, out["createMixedSystem"]  # PME sums in another order
