"""The shipped potentials: every file loads and evaluates a molecule, and reproduces the force MAE
that its card (potentials/cards.json) reports on the committed test subset."""
import json
import subprocess
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "potentials"
PAINN = ROOT / "build" / "bin" / "painn"
SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]
FILES = [f"{s}-{p}.safetensors" for s in SIZES for p in ["fp32", "fp16", "int8"]]
CARDS = json.loads((POT / "cards.json").read_text()) if (POT / "cards.json").exists() else {"models": []}


def run(*args):
    return subprocess.run([str(PAINN), *map(str, args)], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("name", FILES)
def test_file_loads_and_evaluates(tmp_path, name):
    info = json.loads(run("info", POT / name, "--json"))
    assert info["weight_dtype"] == name.split("-")[1].split(".")[0]
    assert info["parameters"] == info["parameters_formula"]
    run("eval", POT / name, ROOT / "examples/molecules/aspirin.xyz", "-o", tmp_path / "out.extxyz", "--precision", "fp32")
    out = ase.io.read(tmp_path / "out.extxyz")
    f = out.get_forces()
    assert np.isfinite(out.get_potential_energy()) and np.isfinite(f).all()
    assert np.abs(f).max() < 20  # eV/A: a trained potential near a sensible geometry


@pytest.mark.parametrize("card", [c for c in CARDS["models"] if c["route"] != "direct"],
                         ids=lambda c: f"{c['file']}-{c['compute']}")
def test_card_force_mae_reproduces(tmp_path, card):
    subset = POT / "test_subset.extxyz"
    run("eval", POT / card["file"], subset, "-o", tmp_path / "pred.extxyz", "--precision", card["compute"])
    ref, pred = ase.io.read(subset, ":"), ase.io.read(tmp_path / "pred.extxyz", ":")
    mae = 1000 * np.abs(np.concatenate([a.get_forces() for a in ref]) - np.concatenate([b.get_forces() for b in pred])).mean()
    assert mae == pytest.approx(card["subset_force_mae_meV_A"], rel=1e-6)


def test_every_shipped_file_has_cards():
    assert {c["file"] for c in CARDS["models"]} >= set(FILES)
