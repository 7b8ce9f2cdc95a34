"""The C++ core, through the painn CLI, against the independent PyTorch oracle (painn_torch.py).

Models come from both sides: written by `painn init` / `painn convert`, and by the oracle's own
writer (so the C++ loader reads files someone else wrote, and the oracle's strict reader checks the
files the C++ side writes). Every structure of structures.all_structures() is evaluated: a molecule,
orthorhombic and triclinic boxes, a ~3 A cell with many images of each neighbour, a slab
(pbc T T F), a wire (pbc F F T) and a molecule with an isolated atom.

Run: /usr/bin/python3 -m pytest tests/oracle/test_cpp_vs_oracle.py -q   (PAINN_BIN overrides the CLI path)
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import painn_torch as pt  # noqa: E402
import structures  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
pytestmark = pytest.mark.skipif(not os.access(PAINN, os.X_OK),
                                reason=f"painn CLI not found at {PAINN}: build the project or set PAINN_BIN")

SPECIES = [1, 6, 7, 8]
STRUCTURES = list(structures.all_structures())
PERIODIC = [name for name, atoms in structures.all_structures().items() if atoms.pbc.all()]
PRESETS = {"current": (128, 3, 20), "compact": (96, 3, 16), "efficient": (64, 3, 16), "tiny": (64, 2, 12),
           "ultratiny": (32, 2, 10)}
MODEL_VARIANTS = ["cpp-ultratiny", "cpp-compact", "cpp-tiny-gaussian-shared", "oracle-gaussian-shared",
                  "oracle-bessel"]


def painn(*args):
    cmd = [PAINN, *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}"
    return r.stdout


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return structures.write_fixtures(tmp_path_factory.mktemp("structures"))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """fp64 models, name -> path. C++-written ones have zero reference energies; the oracle's have
    random ones of -10..-1000 eV and energy_scale/shift != 1/0."""
    d = tmp_path_factory.mktemp("models")
    out = {}
    # init in fp32 (the default), then convert: exercises `convert --to fp64`
    painn("init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "7", "-o", d / "ut32.safetensors")
    painn("convert", d / "ut32.safetensors", "--to", "fp64", "-o", d / "ut.safetensors")
    out["cpp-ultratiny"] = d / "ut.safetensors"
    # init directly in fp64
    painn("init", "--preset", "compact", "--species", "H,C,N,O", "--seed", "8", "--dtype", "fp64",
          "-o", d / "cp.safetensors")
    out["cpp-compact"] = d / "cp.safetensors"
    painn("init", "--preset", "tiny", "--species", "H,C,N,O", "--seed", "9", "--basis", "gaussian",
          "--shared-filters", "--dtype", "fp64", "-o", d / "tg.safetensors")
    out["cpp-tiny-gaussian-shared"] = d / "tg.safetensors"
    cfg, p = pt.random_model(24, 3, 9, 4.5, SPECIES, basis="gaussian", shared_filters=True, head_hidden=[16, 8],
                             seed=9)
    pt.write_model(d / "og.safetensors", cfg, p, "fp64")
    out["oracle-gaussian-shared"] = d / "og.safetensors"
    cfg, p = pt.random_model(20, 2, 7, 5.5, SPECIES, seed=10)
    pt.write_model(d / "ob.safetensors", cfg, p, "fp64")
    out["oracle-bessel"] = d / "ob.safetensors"
    return out


# ------------------------------------------------------------------ comparison
def evaluate_both(model_path, fixture, out, precision="fp64"):
    """Runs `painn eval` and the oracle on the same file; returns relative errors
    e: |dE| / max(1, sum_i |E_i - ref_i|)  (the network's per-atom terms; the F64 reference energies
       are exact on both sides and would only inflate the denominator);
    ei: max_i |dE_i| / max(1, max_i |E_i - ref_i|);  f: max |dF| / max |F|;
    s: max |d stress| / max |stress| (fully periodic structures only)."""
    painn("eval", model_path, fixture, "-o", out, "--precision", precision, "--per-atom")
    ours = ase.io.read(out)
    atoms = ase.io.read(fixture)
    model = pt.read_model(model_path)
    ref = pt.evaluate(model, atoms)
    references = model[1]["energy.reference"].numpy()[pt.species_indices(model[0], atoms).numpy()]
    net = ref["energies"] - references
    err = {"e": abs(ours.get_potential_energy() - ref["energy"]) / max(1.0, np.abs(net).sum()),
           "f": np.abs(ours.get_forces() - ref["forces"]).max() / np.abs(ref["forces"]).max(),
           "s": 0.0, "ei": 0.0}
    energies = ours.calc.results.get("energies") if ours.calc is not None else None
    if energies is None:
        energies = ours.arrays.get("energies")
    if energies is not None:
        err["ei"] = np.abs(np.ravel(energies) - ref["energies"]).max() / max(1.0, np.abs(net).max())
    if ref["stress"] is not None:
        err["s"] = np.abs(ours.get_stress() - ref["stress"]).max() / np.abs(ref["stress"]).max()
    return err


def assert_within(err, tol, stress_tol=None):
    stress_tol = tol if stress_tol is None else stress_tol
    assert err["e"] < tol and err["f"] < tol and err["ei"] < tol and err["s"] < stress_tol, err


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("variant", MODEL_VARIANTS)
def test_fp64_matches_oracle(fixtures, models, tmp_path, structure, variant):
    """fp64 compute: energy, per-atom energies, forces and stress to 1e-10 relative."""
    assert_within(evaluate_both(models[variant], fixtures[structure], tmp_path / "out.extxyz"), 1e-10)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("variant", MODEL_VARIANTS)
def test_fp32_close_to_oracle(fixtures, models, tmp_path, structure, variant):
    """fp32 compute against the fp64 oracle: 1e-5 relative (stress 3e-5: a sum of larger terms).
    Measured worst cases are ~2e-6 (forces, energies)."""
    err = evaluate_both(models[variant], fixtures[structure], tmp_path / "out.extxyz", "fp32")
    assert_within(err, 1e-5, stress_tol=3e-5)


@pytest.fixture(scope="module")
def quantized(models, tmp_path_factory):
    """fp16 and int8 files written by `painn convert` from fp64 models: (variant, dtype) -> path."""
    d = tmp_path_factory.mktemp("quantized")
    out = {}
    for variant in ["cpp-compact", "oracle-bessel"]:
        for dtype in ["fp32", "fp16", "int8"]:
            out[variant, dtype] = d / f"{variant}-{dtype}.safetensors"
            painn("convert", models[variant], "--to", dtype, "-o", out[variant, dtype])
    return out


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("dtype", ["fp16", "int8"])
@pytest.mark.parametrize("variant", ["cpp-compact", "oracle-bessel"])
def test_quantized_files_match_oracle(fixtures, quantized, tmp_path, structure, dtype, variant):
    """Both sides dequantize the same stored values, so fp64 compute agrees to 1e-10."""
    assert_within(evaluate_both(quantized[variant, dtype], fixtures[structure], tmp_path / "out.extxyz"), 1e-10)


@pytest.mark.parametrize("dtype", ["fp64", "fp32", "fp16", "int8"])
def test_oracle_written_files_load_in_cpp(fixtures, tmp_path, dtype):
    cfg, p = pt.random_model(16, 2, 8, 5.0, SPECIES, seed=4, head_hidden=[12, 6])
    pt.write_model(tmp_path / "m.safetensors", cfg, p, dtype)
    info = json.loads(painn("info", tmp_path / "m.safetensors", "--json"))
    assert info["weight_dtype"] == dtype and info["parameters"] == pt.parameter_count(cfg)
    for structure in ["molecule", "triclinic", "small_cell", "slab"]:
        err = evaluate_both(tmp_path / "m.safetensors", fixtures[structure], tmp_path / "out.extxyz")
        assert_within(err, 1e-10)


# ------------------------------------------------------------------ files written by the C++ side
@pytest.mark.parametrize("dtype", ["fp64", "fp32", "fp16", "int8"])
def test_cpp_files_pass_the_strict_reader(models, quantized, dtype):
    """Every metadata key, tensor name, shape and stored dtype as spec sections 2-3 say."""
    path = quantized["cpp-compact", dtype] if dtype != "fp64" else models["cpp-compact"]
    cfg, params = pt.read_model(path, strict=True)
    assert cfg["weight_dtype"] == dtype
    assert (cfg["hidden"], cfg["layers"], cfg["rbf"], cfg["species"]) == (96, 3, 16, SPECIES)


@pytest.mark.parametrize("dtype", ["fp32", "fp16", "int8"])
def test_cpp_convert_rounds_as_the_spec_says(models, quantized, dtype):
    """`painn convert` of an fp64 model: fp32/fp16 round to nearest; int8 per-row symmetric with
    scale = max|w|/127 (F32) and q = round(w / scale) (at most one step off on rare ties)."""
    _, src = pt.read_safetensors(models["oracle-bessel"])
    _, raw = pt.read_safetensors(quantized["oracle-bessel", dtype])
    assert np.array_equal(raw["energy.reference"], src["energy.reference"])
    for name, w in src.items():
        if name == "energy.reference":
            continue
        if dtype in ("fp32", "fp16"):
            assert np.array_equal(raw[name], w.astype(np.float32 if dtype == "fp32" else np.float16)), name
        elif w.ndim == 2:
            q, scale = pt.quantize_int8(w)
            np.testing.assert_allclose(raw[name + ".scale"], scale, rtol=2 ** -23)
            diff = np.abs(raw[name].astype(int) - q.astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 1e-3, name
        else:
            assert raw[name].dtype == np.float32 and np.array_equal(raw[name], w.astype(np.float32)), name


@pytest.mark.parametrize("kwargs", [
    dict(hidden=10, layers=1, rbf=4, cutoff=3.0, head_hidden=[]),            # head is one dense H -> 1
    dict(hidden=10, layers=2, rbf=4, cutoff=3.0, head_hidden=[5, 4, 3]),     # deeper head
    dict(hidden=7, layers=1, rbf=2, cutoff=6.0, basis="gaussian", shared_filters=True),  # odd H, R = 2
    dict(hidden=10, layers=2, rbf=5, cutoff=5.0, species=[8, 1, 6]),       # unsorted species subset
], ids=["no-head-hidden", "deep-head", "odd-gaussian-L1", "unsorted-species"])
def test_unusual_configurations(fixtures, tmp_path, kwargs):
    kwargs = dict(dict(species=SPECIES, seed=3), **kwargs)
    cfg, p = pt.random_model(**kwargs)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, "fp64")
    names = ["molecule", "triclinic"] if cfg["species"] == SPECIES else ["molecule"]  # aspirin: H, C, O only
    for structure in names:
        assert_within(evaluate_both(tmp_path / "m.safetensors", fixtures[structure], tmp_path / "out.extxyz"), 1e-10)


def test_unknown_element_is_an_error(fixtures, tmp_path):
    cfg, p = pt.random_model(8, 1, 4, 5.0, [1, 6, 8], seed=0)  # no N
    pt.write_model(tmp_path / "m.safetensors", cfg, p, "fp32")
    r = subprocess.run([PAINN, "eval", str(tmp_path / "m.safetensors"), str(fixtures["triclinic"]), "-o",
                        str(tmp_path / "out.extxyz")], capture_output=True, text=True)
    assert r.returncode != 0


def test_multi_frame_files(fixtures, models, tmp_path):
    """One eval over several frames equals the oracle frame by frame."""
    frames = [ase.io.read(fixtures[s]) for s in ["molecule", "triclinic", "slab", "small_cell"]]
    ase.io.write(tmp_path / "in.extxyz", frames, format="extxyz")
    painn("eval", models["oracle-bessel"], tmp_path / "in.extxyz", "-o", tmp_path / "out.extxyz", "--precision", "fp64")
    model = pt.read_model(models["oracle-bessel"])
    outs = ase.io.read(tmp_path / "out.extxyz", ":")
    assert len(outs) == len(frames)
    for atoms, ours in zip(ase.io.read(tmp_path / "in.extxyz", ":"), outs):
        ref = pt.evaluate(model, atoms)
        assert ours.get_potential_energy() == pytest.approx(ref["energy"], rel=1e-13)
        assert np.abs(ours.get_forces() - ref["forces"]).max() < 1e-10 * np.abs(ref["forces"]).max()


# ------------------------------------------------------------------ info and validation
@pytest.mark.parametrize("name", list(PRESETS))
def test_info_parameter_count_matches_spec_formula(tmp_path, name):
    painn("init", "--preset", name, "--species", "H,C,N,O", "-o", tmp_path / "m.safetensors")
    info = json.loads(painn("info", tmp_path / "m.safetensors", "--json"))
    H, L, R = PRESETS[name]
    assert (info["hidden"], info["layers"], info["rbf"], info["cutoff"]) == (H, L, R, 5.0)
    assert info["species"] == SPECIES and info["weight_dtype"] == "fp32"
    cfg = {"hidden": H, "layers": L, "rbf": R, "species": SPECIES, "shared_filters": False, "head_hidden": [H // 2]}
    assert info["parameters"] == pt.parameter_count(cfg)
    assert info["bytes"] == (tmp_path / "m.safetensors").stat().st_size
    # and the file itself holds exactly that many parameters
    cfg2, params = pt.read_model(tmp_path / "m.safetensors")
    assert sum(v.numel() for k, v in params.items() if k != "energy.reference") == info["parameters"]


def test_info_on_oracle_written_model(tmp_path):
    cfg, p = pt.random_model(24, 3, 9, 4.5, SPECIES, basis="gaussian", shared_filters=True, head_hidden=[16, 8], seed=9)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, "fp16")
    info = json.loads(painn("info", tmp_path / "m.safetensors", "--json"))
    assert info["parameters"] == pt.parameter_count(cfg)
    assert (info["hidden"], info["layers"], info["rbf"], info["cutoff"]) == (24, 3, 9, 4.5)
    assert info["shared_filters"] is True and info["head_hidden"] == [16, 8] and info["radial_basis"] == "gaussian"


@pytest.mark.parametrize("override", [{"format": "painn"}, {"format_version": "2"}])
def test_cpp_rejects_unknown_format_or_version(fixtures, tmp_path, override):
    """Spec section 2: readers must reject another format or an unknown format_version."""
    cfg, p = pt.random_model(8, 1, 4, 5.0, SPECIES, seed=0)
    pt.write_model(tmp_path / "bad.safetensors", cfg, p, "fp32", metadata_overrides=override)
    for args in (["info", tmp_path / "bad.safetensors"],
                 ["eval", tmp_path / "bad.safetensors", fixtures["molecule"], "-o", tmp_path / "out.extxyz"]):
        r = subprocess.run([PAINN, *map(str, args)], capture_output=True, text=True)
        assert r.returncode != 0, f"painn {args[0]} accepted {override}"


# ------------------------------------------------------------------ parameter gradients (training)
@pytest.mark.parametrize("structure", ["molecule", "triclinic"])
def test_parameter_gradients_match_autograd(fixtures, models, tmp_path, structure):
    """`painn gradient`: dE/dtheta and the force-loss gradient (exact forward-over-reverse in C++,
    double backward in PyTorch) both to 1e-8."""
    from ase.calculators.singlepoint import SinglePointCalculator
    atoms = ase.io.read(fixtures[structure])
    ref_forces = np.random.default_rng(0).normal(0, 1.0, (len(atoms), 3))
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=ref_forces)
    with pt.full_precision_extxyz():
        ase.io.write(tmp_path / "in.extxyz", atoms, format="extxyz")
    for variant in ["cpp-ultratiny", "oracle-gaussian-shared"]:
        painn("gradient", models[variant], tmp_path / "in.extxyz", "-o", tmp_path / "g.json")
        ours = json.loads((tmp_path / "g.json").read_text())
        ref = pt.parameter_gradients(pt.read_model(models[variant]), atoms, ref_forces)
        for kind, tol in [("energy", 1e-8), ("force_loss", 1e-8)]:
            num = sum(np.sum((np.ravel(ours[kind][k]) - ref[kind][k].ravel()) ** 2) for k in ref[kind])
            den = sum(np.sum(ref[kind][k] ** 2) for k in ref[kind])
            assert np.sqrt(num / den) < tol, (variant, kind, np.sqrt(num / den))


# ------------------------------------------------------------------ ZBL pair repulsion (spec section 8)
def close_pair_structures():
    """Pairs well inside the ZBL pair cutoffs: aspirin squeezed to 60% (C-H ~0.65 A, C-C ~0.84 A),
    a triclinic box with atoms >= 0.5 A apart, a slab (pbc T T F) >= 0.6 A, and a ~1.4 A cell whose
    C atom repels its own periodic images (C-C pair cutoff 1.52 A)."""
    squeezed = structures.molecule()
    squeezed.positions *= 0.6
    return {"squeezed_molecule": squeezed,
            "dense_triclinic": structures._fill([[7.0, 0, 0], [2.1, 7.1, 0], [-1.4, 1.8, 7.2]], 30, 7, min_sep=0.5),
            "dense_slab": structures._fill([[6.0, 0, 0], [1.2, 6.0, 0], [0, 0, 12.0]], 20, 8, pbc=(True, True, False),
                                           min_sep=0.6),
            "self_image_cell": structures._fill([[1.35, 0, 0], [0.3, 1.4, 0], [-0.2, 0.3, 1.5]], 2, 5, min_sep=0.6)}


CLOSE = list(close_pair_structures())
ZBL_VARIANTS = ["cpp-zbl", "cpp-zbl-wide-int8", "oracle-zbl", "oracle-zbl-inner"]


@pytest.fixture(scope="module")
def close_fixtures(tmp_path_factory):
    d = tmp_path_factory.mktemp("close")
    out = {}
    for name, atoms in close_pair_structures().items():
        out[name] = d / f"{name}.extxyz"
        ase.io.write(out[name], atoms, format="extxyz")
    return out


@pytest.fixture(scope="module")
def zbl_models(tmp_path_factory):
    """With repulsion: `painn init --repulsion zbl` (covalent radii, c = 1, the default network
    inner cutoff 0.3 + 0.3 A), a wider c = 1.4 model converted to int8 (convert keeps the
    repulsion), an oracle-written one with its own radii, and an oracle-written one with its own
    network inner cutoff."""
    d = tmp_path_factory.mktemp("zbl")
    painn("init", "--preset", "ultratiny", "--species", "H,C,N,O", "--seed", "12", "--repulsion", "zbl",
          "--dtype", "fp64", "-o", d / "z.safetensors")
    painn("init", "--preset", "tiny", "--species", "H,C,N,O", "--seed", "13", "--repulsion", "zbl",
          "--repulsion-scale", "1.4", "-o", d / "zw.safetensors")
    painn("convert", d / "zw.safetensors", "--to", "int8", "-o", d / "zw8.safetensors")
    cfg, p = pt.random_model(20, 2, 7, 5.5, SPECIES, seed=14, repulsion="zbl",
                             repulsion_radii=[0.35, 0.8, 0.74, 0.69], repulsion_cutoff_scale=1.2)
    pt.write_model(d / "oz.safetensors", cfg, p, "fp64")
    # Section 9 with a wide ramp (0.45 to 0.85 A), so that many pairs of the close structures are in it.
    cfg, p = pt.random_model(20, 2, 7, 5.0, SPECIES, seed=15, repulsion="zbl", network_inner=(0.45, 0.4))
    pt.write_model(d / "ozi.safetensors", cfg, p, "fp64")
    return {"cpp-zbl": d / "z.safetensors", "cpp-zbl-wide-int8": d / "zw8.safetensors",
            "oracle-zbl": d / "oz.safetensors", "oracle-zbl-inner": d / "ozi.safetensors"}


def repulsion_share(model_path, fixture):
    """|E_with - E_without| from the oracle: how much of the energy the repulsion is."""
    cfg, p = pt.read_model(model_path)
    atoms = ase.io.read(fixture)
    return abs(pt.evaluate((cfg, p), atoms)["energy"] - pt.evaluate((dict(cfg, repulsion="none"), p), atoms)["energy"])


@pytest.mark.parametrize("structure", CLOSE + ["molecule", "orthorhombic", "small_cell", "wire", "isolated"])
@pytest.mark.parametrize("variant", ZBL_VARIANTS)
def test_repulsion_fp64_matches_oracle(fixtures, close_fixtures, zbl_models, tmp_path, structure, variant):
    """Energy, per-atom energies, forces, stress with the repulsion on: 1e-10 relative."""
    fixture = close_fixtures[structure] if structure in close_fixtures else fixtures[structure]
    if structure in close_fixtures:
        assert repulsion_share(zbl_models[variant], fixture) > 1.0  # the pairs are inside r_max
    assert_within(evaluate_both(zbl_models[variant], fixture, tmp_path / "out.extxyz"), 1e-10)


@pytest.mark.parametrize("structure", ["squeezed_molecule", "dense_triclinic", "dense_slab"])
def test_repulsion_fp32_close_to_oracle(close_fixtures, zbl_models, tmp_path, structure):
    """fp32 compute: the repulsion is evaluated in double, the network in float. (Not the 1.4 A
    cell: its ~370 neighbours per atom put the fp32 network itself at ~1.5e-5.)"""
    err = evaluate_both(zbl_models["oracle-zbl"], close_fixtures[structure], tmp_path / "out.extxyz", "fp32")
    assert_within(err, 1e-5, stress_tol=3e-5)


def test_repulsion_keys_in_cpp_files_and_info(zbl_models):
    """C++-written files carry the section 8 keys (strict oracle reader); info and convert keep them."""
    cfg, _ = pt.read_model(zbl_models["cpp-zbl"], strict=True)
    assert cfg["repulsion"] == "zbl" and cfg["repulsion_cutoff_scale"] == 1.0
    assert cfg["repulsion_radii"] == [0.31, 0.76, 0.71, 0.66]
    cfg8, _ = pt.read_model(zbl_models["cpp-zbl-wide-int8"], strict=True)
    assert cfg8["weight_dtype"] == "int8" and cfg8["repulsion_cutoff_scale"] == 1.4
    info = json.loads(painn("info", zbl_models["oracle-zbl"], "--json"))
    assert info["repulsion"] == "zbl" and info["repulsion_radii"] == [0.35, 0.8, 0.74, 0.69]
    assert info["repulsion_cutoff_scale"] == 1.2
    assert "repulsion    zbl" in painn("info", zbl_models["cpp-zbl"])


def test_models_without_repulsion_have_no_keys(models):
    meta, _ = pt.read_safetensors(models["cpp-compact"])
    assert not any(k.startswith("repulsion") for k in meta)
    assert json.loads(painn("info", models["cpp-compact"], "--json"))["repulsion"] == "none"


@pytest.mark.parametrize("override", [{"repulsion": "morse"}, {"repulsion_radii": "[0.3, 0.7]"},
                                      {"repulsion_radii": "[0.3, 0.7, 0.7, -0.6]"}, {"repulsion_cutoff_scale": "0"},
                                      {"repulsion_cutoff_scale": "3.5"}],
                         ids=["kind", "length", "negative", "scale-zero", "beyond-cutoff"])
def test_bad_repulsion_settings_are_rejected(tmp_path, override):
    """Both readers refuse what section 8 rules out."""
    cfg, p = pt.random_model(8, 1, 4, 5.0, SPECIES, seed=0, repulsion="zbl")
    pt.write_model(tmp_path / "bad.safetensors", cfg, p, "fp32", metadata_overrides=override)
    r = subprocess.run([PAINN, "info", str(tmp_path / "bad.safetensors")], capture_output=True, text=True)
    assert r.returncode != 0 and "repulsion" in r.stderr, r.stderr
    with pytest.raises(ValueError):
        pt.read_model(tmp_path / "bad.safetensors")


def test_inner_switch_is_exercised(close_fixtures, zbl_models):
    """The close structures put pairs inside the switch ramps, so the 1e-10 agreement above covers
    section 9: with and without the switch, the oracle's energies differ."""
    for variant, structure in [("oracle-zbl-inner", "squeezed_molecule"), ("oracle-zbl-inner", "dense_triclinic"),
                               ("cpp-zbl", "dense_triclinic")]:
        cfg, p = pt.read_model(zbl_models[variant])
        assert cfg["network_inner_width"] > 0
        atoms = ase.io.read(close_fixtures[structure])
        off = dict(cfg, network_inner_cutoff=0.0, network_inner_width=0.0)
        assert abs(pt.evaluate((cfg, p), atoms)["energy"] - pt.evaluate((off, p), atoms)["energy"]) > 1e-3


def test_inner_cutoff_keys_in_cpp_files_and_info(zbl_models, models):
    """`painn init --repulsion zbl` writes section 9's keys (read back by the strict oracle
    reader); convert keeps them; info reports them; models without a repulsion have none."""
    for variant in ["cpp-zbl", "cpp-zbl-wide-int8"]:
        cfg, _ = pt.read_model(zbl_models[variant], strict=True)
        assert (cfg["network_inner_cutoff"], cfg["network_inner_width"]) == (0.3, 0.3)
    info = json.loads(painn("info", zbl_models["oracle-zbl-inner"], "--json"))
    assert (info["network_inner_cutoff"], info["network_inner_width"]) == (0.45, 0.4)
    assert "network off below 0.45 A" in painn("info", zbl_models["oracle-zbl-inner"])
    meta, _ = pt.read_safetensors(models["cpp-compact"])
    assert not any(k.startswith("network_inner") for k in meta)


@pytest.mark.parametrize("inner,override", [((0.0, 0.0), {"network_inner_cutoff": "0.3"}),
                                            ((0.3, 0.3), {"network_inner_width": "0"}),
                                            ((0.3, 0.3), {"network_inner_cutoff": "-0.1"}),
                                            ((0.3, 0.3), {"network_inner_cutoff": "4.9"}),
                                            ((0.3, 0.3), {"repulsion": "none"})],
                         ids=["one-key", "zero-width", "negative", "beyond-cutoff", "no-repulsion"])
def test_bad_inner_cutoff_settings_are_rejected(tmp_path, inner, override):
    """Both readers refuse what section 9 rules out."""
    cfg, p = pt.random_model(8, 1, 4, 5.0, SPECIES, seed=0, repulsion="zbl", network_inner=inner)
    pt.write_model(tmp_path / "bad.safetensors", cfg, p, "fp32", metadata_overrides=override)
    r = subprocess.run([PAINN, "info", str(tmp_path / "bad.safetensors")], capture_output=True, text=True)
    assert r.returncode != 0 and ("network_inner" in r.stderr or "inner cutoff" in r.stderr), r.stderr
    with pytest.raises(ValueError):
        pt.read_model(tmp_path / "bad.safetensors")


@pytest.fixture(scope="module")
def eps_model(tmp_path_factory):
    """An oracle-written model with section 10's vector_norm_epsilon = 0.05: large enough that
    the norm of every weak vector channel differs from the standard 1e-8."""
    cfg, p = pt.random_model(24, 3, 8, 5.0, SPECIES, seed=16)
    cfg["vector_norm_epsilon"] = 0.05
    path = tmp_path_factory.mktemp("eps") / "eps.safetensors"
    pt.write_model(path, cfg, p, "fp64")
    return path


@pytest.mark.parametrize("structure", ["molecule", "orthorhombic", "small_cell", "isolated"])
def test_vector_norm_epsilon_fp64_matches_oracle(fixtures, eps_model, tmp_path, structure):
    assert_within(evaluate_both(eps_model, fixtures[structure], tmp_path / "out.extxyz"), 1e-10)


def test_vector_norm_epsilon_is_exercised_and_kept(fixtures, eps_model, tmp_path):
    """The key changes the oracle's energy (so the agreement above covers it), the strict reader
    accepts the C++ files, and convert keeps it."""
    cfg, p = pt.read_model(eps_model, strict=True)
    assert cfg["vector_norm_epsilon"] == 0.05
    atoms = ase.io.read(fixtures["molecule"])
    standard = dict(cfg, vector_norm_epsilon=1e-8)
    assert abs(pt.evaluate((cfg, p), atoms)["energy"] - pt.evaluate((standard, p), atoms)["energy"]) > 1e-3
    painn("convert", eps_model, "--to", "int8", "-o", tmp_path / "eps8.safetensors")
    assert pt.read_model(tmp_path / "eps8.safetensors", strict=True)[0]["vector_norm_epsilon"] == 0.05
    meta, _ = pt.read_safetensors(tmp_path / "eps8.safetensors")
    assert meta["vector_norm_epsilon"] == "0.050000000000000003"
    assert json.loads(painn("info", eps_model, "--json"))["vector_norm_epsilon"] == 0.05


@pytest.mark.parametrize("value", ["0", "-1e-4", "1.5", "nan"])
def test_bad_vector_norm_epsilon_is_rejected(tmp_path, value):
    """Both readers refuse what section 10 rules out."""
    cfg, p = pt.random_model(8, 1, 4, 5.0, SPECIES, seed=0)
    pt.write_model(tmp_path / "bad.safetensors", cfg, p, "fp32", metadata_overrides={"vector_norm_epsilon": value})
    r = subprocess.run([PAINN, "info", str(tmp_path / "bad.safetensors")], capture_output=True, text=True)
    assert r.returncode != 0 and "vector_norm_epsilon" in r.stderr, r.stderr
    with pytest.raises(ValueError):
        pt.read_model(tmp_path / "bad.safetensors")
