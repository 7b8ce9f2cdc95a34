"""Runs the README's "Python / ASE" blocks as written, from the repository root, in .venv-python.
Their install lines (venv, pip install .) are what scripts/setup_python.sh has done: those are
not rerun. A block's leading NAME=value lines are defaults that the test sets: VENV (the venv),
SPK_MODEL (a schnetpack model the test builds and saves with torch.save, as schnetpack's training
saves best_inference_model) and OUT (a file in the test's temporary directory)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
SETUP_LINES = ("python3 -m venv", "$VENV/bin/pip install")
DEFAULT_LINE = re.compile(r"^[A-Z_]+=\S*\s*(#.*)?$")  # NAME=value alone; NAME=value command runs


def blocks():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python / ASE\n", 1)[1].split("\n## ", 1)[0]
    return [pytest.param(b, id=f"block {n + 1}") for n, b in enumerate(re.findall(r"```bash\n(.*?)```", section, re.S))]


def test_readme_install_is_what_setup_python_does():
    """Both install this checkout with pip (the README adds ASE, which the venv has from Debian)."""
    setup = (ROOT / "scripts" / "setup_python.sh").read_text()
    assert re.search(r'pip" install [^\n]*--disable-pip-version-check \. ', setup)
    assert any(re.search(r'\$VENV/bin/pip install "\.(\[ase\])?"', b.values[0]) for b in blocks())


@pytest.mark.parametrize("block", blocks())
def test_block_runs(block, tmp_path):
    import schnetpack_models
    torch.save(schnetpack_models.build(), tmp_path / "best_inference_model")
    lines = [l for l in block.splitlines() if not l.startswith(SETUP_LINES) and not DEFAULT_LINE.match(l)]
    script = "set -euo pipefail\n" + "\n".join(lines).replace("build/bin/painn", PAINN) + "\n"
    env = {**os.environ, "VENV": str(Path(sys.executable).parents[1]), "OMP_NUM_THREADS": "1",
           "SPK_MODEL": str(tmp_path / "best_inference_model"), "OUT": str(tmp_path / "imported.safetensors")}
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, script + r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.strip(), "no output"
