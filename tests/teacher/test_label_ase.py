"""training/label_ase.py against its teachers called directly (run with the teacher venv:
.venv-teacher/bin/python, torchani 2.2.4 on Debian's torch; ANI-1x weights ship in the wheel)."""
import os
import subprocess
import sys
from pathlib import Path

import ase.build
import ase.io
import numpy as np
import pytest
import torch
import torchani
from ase.calculators.emt import EMT
from ase.units import Hartree

ROOT = Path(__file__).resolve().parents[2]
LABEL = ROOT / "training" / "label_ase.py"


def molecules():
    out = []
    for k, name in enumerate(("CH3CH2OH", "CH3CONH2", "C6H6")):
        a = ase.build.molecule(name)
        a.rattle(0.05, seed=k)
        a.info["molecule"] = name
        out.append(a)
    return out


def label(tmp, frames, *extra):
    """Labels frames through the CLI; frames[:] become the positions as written (8 decimals)."""
    src, dst = tmp / "in.extxyz", tmp / "out.extxyz"
    ase.io.write(src, frames, format="extxyz")
    frames[:] = ase.io.read(src, ":")
    subprocess.run([sys.executable, str(LABEL), str(src), "-o", str(dst), *extra], check=True,
                   capture_output=True, text=True)
    return dst


def torchani_direct(frames):
    """Energies (eV) and forces (eV/A) from torchani's own ANI-1x ensemble, with autograd."""
    model = torchani.models.ANI1x(periodic_table_index=True).double()
    out = []
    for a in frames:
        species = torch.tensor([a.numbers])
        coords = torch.tensor([a.positions], dtype=torch.float64, requires_grad=True)
        e = model((species, coords)).energies
        f, = torch.autograd.grad(e.sum(), coords)
        out.append((e.item() * Hartree, -f[0].numpy() * Hartree))
    return out


def test_ani1x_labels_equal_torchani(tmp_path):
    frames = molecules()
    got = ase.io.read(label(tmp_path, frames, "--teacher", "ani1x", "--dtype", "float64"), ":")
    assert len(got) == 3
    for g, (e, f) in zip(got, torchani_direct(frames)):
        assert abs(g.get_potential_energy() - e) < 1e-8
        np.testing.assert_allclose(g.get_forces(), f, rtol=0, atol=1e-8)  # 8 decimals in the file
        assert g.info["teacher"] == "ANI-1x"
        assert g.info["teacher_energy_std"] > 0
        assert g.arrays["teacher_force_std"].shape == (len(g),)


def test_ani1x_float32_close_to_float64(tmp_path):
    frames = molecules()
    got = ase.io.read(label(tmp_path, frames, "--teacher", "ani1x"), ":")
    for g, (e, f) in zip(got, torchani_direct(frames)):
        assert abs(g.get_potential_energy() - e) < 2e-3
        np.testing.assert_allclose(g.get_forces(), f, atol=2e-4)


def test_force_spread_is_the_members_spread(tmp_path):
    a = molecules()[:1]
    g = ase.io.read(label(tmp_path, a, "--teacher", "ani1x", "--dtype", "float64"), ":")[0]
    model = torchani.models.ANI1x(periodic_table_index=True).double()
    coords = torch.tensor([a[0].positions], dtype=torch.float64, requires_grad=True)
    me = model.members_energies((torch.tensor([a[0].numbers]), coords)).energies * Hartree
    mf = torch.stack([-torch.autograd.grad(me[k].sum(), coords, retain_graph=True)[0][0] for k in range(len(me))])
    np.testing.assert_allclose(g.arrays["teacher_force_std"], mf.var(0, unbiased=False).sum(-1).sqrt().numpy(),
                               rtol=0, atol=1e-8)
    assert abs(g.info["teacher_energy_std"] - me[:, 0].std(unbiased=False).item()) < 1e-8


def test_any_ase_calculator_as_teacher(tmp_path):
    frames = molecules()
    got = ase.io.read(label(tmp_path, frames, "--teacher", "ase.calculators.emt:EMT"), ":")
    for g, a in zip(got, frames):
        a = a.copy()
        a.calc = EMT()
        assert abs(g.get_potential_energy() - a.get_potential_energy()) < 1e-10
        np.testing.assert_allclose(g.get_forces(), a.get_forces(), rtol=0, atol=1e-8)


def test_resume_after_interruption(tmp_path):
    frames = molecules() * 2
    clean = label(tmp_path, frames, "--teacher", "ani1x", "--batch", "2", "--dtype", "float64").read_text()
    # Interrupted: the first three frames written, the fourth cut in the middle of a line.
    first = clean.split("\n")
    n0 = int(first[0]) + 2
    n1 = int(first[n0]) + 2
    n2 = int(first[n0 + n1]) + 2
    partial = "\n".join(first[:n0 + n1 + n2]) + "\n" + "\n".join(first[n0 + n1 + n2:n0 + n1 + n2 + 4])[:-7]
    out = tmp_path / "out.extxyz"
    out.write_text(partial)
    (tmp_path / "out.extxyz.failed").unlink()
    r = subprocess.run([sys.executable, str(LABEL), str(tmp_path / "in.extxyz"), "-o", str(out), "--teacher", "ani1x",
                        "--batch", "2", "--dtype", "float64"], check=True, capture_output=True, text=True)
    assert "resuming, 3 of 6" in r.stderr
    got = ase.io.read(out, ":")
    (tmp_path / "clean.extxyz").write_text(clean)
    want = ase.io.read(tmp_path / "clean.extxyz", ":")
    assert [g.info["label_index"] for g in got] == list(range(6))
    for g, w in zip(got, want):  # other batch boundaries: equal to rounding
        assert abs(g.get_potential_energy() - w.get_potential_energy()) < 1e-9
        np.testing.assert_allclose(g.get_forces(), w.get_forces(), rtol=0, atol=1e-8)


def test_spread_threshold_and_unknown_element(tmp_path):
    frames = molecules()
    squeezed = frames[0].copy()
    squeezed.positions[1] = squeezed.positions[0] + [0.45, 0, 0]  # C-C at 0.45 A: the ensemble disagrees
    cl = ase.Atoms("CCl", positions=[[0, 0, 0], [1.8, 0, 0]])  # Cl: not an ANI-1x element
    out = label(tmp_path, [frames[1], squeezed, cl], "--teacher", "ani1x", "--max-force-std", "1.0")
    got = ase.io.read(out, ":")
    assert [g.info["label_index"] for g in got] == [0]
    failed = (tmp_path / "out.extxyz.failed").read_text().splitlines()
    assert failed[0].startswith("1 teacher_force_std")
    assert failed[1].startswith("2 ") and "atomic number(s) [17]" in failed[1]
