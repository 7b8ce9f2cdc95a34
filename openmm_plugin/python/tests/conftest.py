"""Finds the built module (OPENMMPAINN_PYTHONPATH, default build/python) and the painn CLI
(PAINN_BIN, default build/bin/painn), and makes small models with it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, os.environ.get("OPENMMPAINN_PYTHONPATH", str(ROOT / "build" / "python")))
PAINN = Path(os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn")))


def make_model(path, seed, species="H,C,N,O", dtype="fp64"):
    if not PAINN.exists():
        pytest.skip(f"no painn CLI at {PAINN}")
    subprocess.run([str(PAINN), "init", "--preset", "ultratiny", "--species", species, "--seed", str(seed),
                    "--dtype", dtype, "-o", str(path)], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("models") / "m.safetensors", 1)


@pytest.fixture(scope="session")
def other_model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("models") / "other.safetensors", 2)
