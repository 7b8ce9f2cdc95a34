"""Runs the README's "Install into your MD program" blocks as written, from the repository root.
Their install and build lines (venv, pip, cmake, scripts/) are what scripts/test.sh has already
done: those are not rerun, but their pins must be scripts/setup_hosts.sh's."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = os.environ.get("PAINN_HOSTS_VENV", "")
# The blocks run the hosts virtualenv's programs with the shipped compact potential.
runnable = pytest.mark.skipif(not VENV or not (ROOT / "potentials" / "compact-fp32.safetensors").exists(),
                              reason="needs the hosts virtualenv (PAINN_HOSTS_VENV) and potentials/compact-fp32")
SETUP_LINES = ("python3 -m venv", "cmake ", "scripts/", "$VENV/bin/pip install")


def blocks():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Install into your MD program", 1)[1].split("\n## ", 1)[0]
    out, title = [], ""
    for part in re.split(r"(^### [^\n]*$|```bash\n.*?```)", section, flags=re.M | re.S):
        if part.startswith("### "):
            title, n = part[4:].strip(), 0
        elif part.startswith("```bash"):
            n += 1
            out.append(pytest.param(part[len("```bash\n"):-3], id=f"{title} #{n}"))
    return out


def test_install_pins_are_setup_hosts_pins():
    pins = set(re.findall(r'"([^"]+==[^"]+)"', (ROOT / "scripts" / "setup_hosts.sh").read_text()))
    for b in blocks():
        for line in b.values[0].splitlines():
            for pin in re.findall(r'"([^"]+==[^"]+)"', line):
                assert pin in pins, f"README installs {pin}, scripts/setup_hosts.sh pins {sorted(pins)}"


@runnable
@pytest.mark.parametrize("block", blocks())
def test_block_runs(block, tmp_path):
    lines = [l for l in block.splitlines() if not l.startswith(SETUP_LINES) and not l.startswith("VENV=")]
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    env = {**os.environ, "VENV": VENV, "OMP_NUM_THREADS": "1",
           "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, script + r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.strip(), "no output"
