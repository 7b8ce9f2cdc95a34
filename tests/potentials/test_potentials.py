"""The shipped potentials, both families (potentials/: v2, distilled from ANI-2x, the default;
potentials/gfn2/: v1, from GFN2-xTB): every file loads and evaluates a molecule, and reproduces
the force MAE that its card (cards.json of its family) reports on the family's committed test
subset."""
import json
import subprocess
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = [ROOT / "potentials", ROOT / "potentials" / "gfn2"]
PAINN = ROOT / "build" / "bin" / "painn"
SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]
FILES = [f"{s}-{p}.safetensors" for s in SIZES for p in ["fp32", "fp16", "int8"]]


def cards(family):
    path = family / "cards.json"
    return json.loads(path.read_text())["models"] if path.exists() else []


def family_id(family):
    return family.relative_to(ROOT).as_posix()


def run(*args):
    return subprocess.run([str(PAINN), *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
@pytest.mark.parametrize("name", FILES)
def test_file_loads_and_evaluates(tmp_path, family, name):
    info = json.loads(run("info", family / name, "--json"))
    assert info["weight_dtype"] == name.split("-")[1].split(".")[0]
    assert info["parameters"] == info["parameters_formula"]
    run("eval", family / name, ROOT / "examples/molecules/aspirin.xyz", "-o", tmp_path / "out.extxyz", "--precision", "fp32")
    out = ase.io.read(tmp_path / "out.extxyz")
    f = out.get_forces()
    assert np.isfinite(out.get_potential_energy()) and np.isfinite(f).all()
    assert np.abs(f).max() < 20  # eV/A: a trained potential near a sensible geometry
    if family == FAMILIES[0]:
        assert info["repulsion"] == "zbl"  # v2 carries the physical short-range term in the file


@pytest.mark.parametrize("size", SIZES)
def test_v2_bond_compression_is_repulsive(tmp_path, size):
    """No holes at short range: pushing one atom of aspirin's C-H, C-O, O-H and C-C bonds toward its
    partner, from 0.9 x the bond length down to 0.3 A, must raise the energy at every step."""
    mol = ase.io.read(ROOT / "examples/molecules/aspirin.xyz")
    d = mol.get_all_distances()
    frames = []
    pairs = {}
    for i in range(len(mol)):
        for j in range(len(mol)):
            key = tuple(sorted((mol[i].symbol, mol[j].symbol)))
            if i != j and key in [("C", "H"), ("C", "O"), ("H", "O"), ("C", "C")] and key not in pairs and d[i, j] < 1.6:
                pairs[key] = (i, j)
    assert len(pairs) == 4
    scan = np.linspace(0.3, 0.9, 25)
    for i, j in pairs.values():
        u = (mol.positions[j] - mol.positions[i]) / d[i, j]
        for f in scan:
            m = mol.copy()
            m.positions[j] = m.positions[i] + u * max(f * d[i, j], 0.3)
            frames.append(m)
    ase.io.write(tmp_path / "scan.extxyz", frames, format="extxyz")
    run("eval", FAMILIES[0] / f"{size}-fp32.safetensors", tmp_path / "scan.extxyz", "-o", tmp_path / "out.extxyz",
        "--precision", "fp64")
    e = np.array([a.get_potential_energy() for a in ase.io.read(tmp_path / "out.extxyz", ":")]).reshape(4, -1)
    for (key, _), row in zip(pairs.items(), e):
        assert np.all(np.diff(row) < 0), f"{key}: energy along the compression {row}"


@pytest.mark.parametrize("family,card", [pytest.param(f, c, id=f"{family_id(f)}/{c['file']}-{c['compute']}")
                                         for f in FAMILIES for c in cards(f) if c["route"] != "direct"])
def test_card_force_mae_reproduces(tmp_path, family, card):
    subset = family / "test_subset.extxyz"
    run("eval", family / card["file"], subset, "-o", tmp_path / "pred.extxyz", "--precision", card["compute"])
    ref, pred = ase.io.read(subset, ":"), ase.io.read(tmp_path / "pred.extxyz", ":")
    mae = 1000 * np.abs(np.concatenate([a.get_forces() for a in ref]) - np.concatenate([b.get_forces() for b in pred])).mean()
    assert mae == pytest.approx(card["subset_force_mae_meV_A"], rel=1e-6)


@pytest.mark.parametrize("family", FAMILIES, ids=family_id)
def test_every_shipped_file_has_cards(family):
    assert {c["file"] for c in cards(family)} >= set(FILES)
