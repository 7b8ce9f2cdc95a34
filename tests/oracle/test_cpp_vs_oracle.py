"""The C++ core (through the painn CLI) against the independent PyTorch oracle."""
import json
import os
import subprocess
from pathlib import Path

import ase.io
import numpy as np
import pytest

import painn_torch as pt
import structures

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
PRESETS = {"current": (128, 3, 20), "compact": (96, 3, 16), "efficient": (64, 3, 16), "tiny": (64, 2, 12),
           "ultratiny": (32, 2, 10)}


def painn(*args):
    r = subprocess.run([PAINN, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    d = tmp_path_factory.mktemp("structures")
    structures.write_fixtures(d)
    return d


def model_variants(d):
    """Models written by the C++ tool (fp64) and by the oracle's own writer (other options)."""
    out = {}
    painn("init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "7", "--dtype", "fp64", "-o", d / "ut.safetensors")
    out["cpp-ultratiny"] = d / "ut.safetensors"
    painn("init", "--preset", "compact", "--species", "H,C,N,O", "--seed", "8", "--dtype", "fp64", "-o", d / "cp.safetensors")
    out["cpp-compact"] = d / "cp.safetensors"
    cfg, p = pt.random_model(24, 3, 9, [1, 6, 7, 8], cutoff=4.5, basis="gaussian", shared_filters=True,
                             head_hidden=[16, 8], seed=9)
    pt.write_model(d / "oracle.safetensors", cfg, p, "fp64")
    out["oracle-gaussian-shared"] = d / "oracle.safetensors"
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return model_variants(tmp_path_factory.mktemp("models"))


def compare(model_path, fixture, out, precision="fp64"):
    painn("eval", model_path, fixture, "-o", out, "--precision", precision)
    ours = ase.io.read(out)
    ref_e, ref_f, ref_s, _ = pt.energy_forces_stress(pt.read_model(model_path), ase.io.read(fixture))
    e_err = abs(ours.get_potential_energy() - ref_e) / max(1.0, abs(ref_e))
    f_err = np.abs(ours.get_forces() - ref_f).max() / np.abs(ref_f).max()
    s_err = 0.0
    if ref_s is not None:
        s_err = np.abs(ours.get_stress() - ref_s).max() / max(1e-12, np.abs(ref_s).max())
    return e_err, f_err, s_err


@pytest.mark.parametrize("structure", ["molecule", "orthorhombic", "triclinic", "small_cell", "slab"])
@pytest.mark.parametrize("variant", ["cpp-ultratiny", "cpp-compact", "oracle-gaussian-shared"])
def test_fp64_matches_oracle(fixtures, models, tmp_path, structure, variant):
    e, f, s = compare(models[variant], fixtures / f"{structure}.extxyz", tmp_path / "out.extxyz")
    assert e < 1e-10 and f < 1e-10 and s < 1e-10, (e, f, s)


@pytest.mark.parametrize("structure", ["molecule", "triclinic"])
def test_fp32_close_to_oracle(fixtures, models, tmp_path, structure):
    e, f, s = compare(models["cpp-compact"], fixtures / f"{structure}.extxyz", tmp_path / "out.extxyz", "fp32")
    assert e < 1e-5 and f < 1e-5 and s < 1e-4, (e, f, s)


@pytest.mark.parametrize("dtype", ["fp16", "int8"])
def test_quantized_files_match_oracle(fixtures, models, tmp_path, dtype):
    q = tmp_path / f"m-{dtype}.safetensors"
    painn("convert", models["cpp-compact"], "--to", dtype, "-o", q)
    for structure in ["molecule", "triclinic"]:
        e, f, s = compare(q, fixtures / f"{structure}.extxyz", tmp_path / "out.extxyz")
        assert e < 1e-10 and f < 1e-10 and s < 1e-10, (dtype, structure, e, f, s)


def test_oracle_written_int8_loads_in_cpp(fixtures, tmp_path):
    cfg, p = pt.random_model(16, 2, 8, [1, 6, 7, 8], seed=4)
    pt.write_model(tmp_path / "q.safetensors", cfg, p, "int8")
    e, f, s = compare(tmp_path / "q.safetensors", fixtures / "molecule.extxyz", tmp_path / "out.extxyz")
    assert e < 1e-10 and f < 1e-10


@pytest.mark.parametrize("name", list(PRESETS))
def test_info_parameter_count_matches_spec_formula(tmp_path, name):
    painn("init", "--preset", name, "--species", "H,C,N,O", "-o", tmp_path / "m.safetensors")
    info = json.loads(painn("info", tmp_path / "m.safetensors", "--json"))
    H, L, R = PRESETS[name]
    assert (info["hidden"], info["layers"], info["rbf"], info["cutoff"]) == (H, L, R, 5.0)
    cfg = {"hidden": H, "layers": L, "rbf": R, "species": [1, 6, 7, 8], "shared_filters": False,
           "head_hidden": [H // 2]}
    assert info["parameters"] == pt.parameter_count(cfg)
    assert info["bytes"] == (tmp_path / "m.safetensors").stat().st_size


@pytest.mark.parametrize("structure", ["molecule", "triclinic"])
def test_parameter_gradients_match_autograd(fixtures, models, tmp_path, structure):
    """Issue 5: dE/dtheta to 1e-8 and the force-loss gradient (double backward) to 1e-6."""
    atoms = ase.io.read(fixtures / f"{structure}.extxyz")
    rng = np.random.default_rng(0)
    ref_forces = rng.normal(0, 1.0, (len(atoms), 3))
    from ase.calculators.singlepoint import SinglePointCalculator
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=ref_forces)
    ase.io.write(tmp_path / "in.extxyz", atoms, format="extxyz")
    for variant in ["cpp-ultratiny", "oracle-gaussian-shared"]:
        painn("gradient", models[variant], tmp_path / "in.extxyz", "-o", tmp_path / "g.json")
        ours = json.loads((tmp_path / "g.json").read_text())
        ref = pt.parameter_gradients(pt.read_model(models[variant]), atoms, ref_forces)
        for kind, tol in [("energy", 1e-8), ("force_loss", 1e-6)]:
            num = sum(np.sum((np.ravel(ours[kind][k]) - ref[kind][k].ravel()) ** 2) for k in ref[kind])
            den = sum(np.sum(ref[kind][k] ** 2) for k in ref[kind])
            assert np.sqrt(num / den) < tol, (variant, kind, np.sqrt(num / den))
