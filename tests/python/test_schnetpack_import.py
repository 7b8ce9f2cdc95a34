"""painn import schnetpack (issue 12): schnetpack 2.x PaiNN models built and evaluated by
schnetpack itself, imported with the CLI, evaluated with `painn eval` in fp64: energies and
forces agree to 1e-10 (relative to the largest), for Bessel and Gaussian bases, separate and
shared filters, pyramidal and given head widths, scale and mean and atomrefs, molecules and a
periodic cell. Unmappable models are refused with a message naming the part.

Run: .venv-python/bin/python -m pytest tests/python/test_schnetpack_import.py  (scripts/setup_python.sh)
"""
import os
import sys

import numpy as np
import pytest
import torch

import painn_md
import schnetpack_models as spm
from painn_cli import painn, painn_eval, write_frames

TOL = 1e-10
IMPORT_ENV = {**os.environ, "PAINN_PYTHON": sys.executable}

CASES = {
    "bessel-separate": dict(basis="bessel"),
    "gaussian-shared-scaled": dict(basis="gaussian", shared_filters=True, n_hidden=[24, 12], n_layers=3, scale=0.37),
    "bessel-shared-rectangular": dict(basis="bessel", shared_filters=True, layers=2, rbf=9, n_hidden=20, n_layers=3,
                                      mean=0.0, seed=5),
}


def structures():
    mols = [spm.random_molecule(seed, n=8 + 3 * seed) for seed in range(3)]
    crystal = spm.random_molecule(7, n=12, box=5.5, min_sep=1.0)
    crystal.set_cell([[5.5, 0, 0], [0.8, 5.6, 0], [-0.4, 0.6, 5.7]])
    crystal.pbc = True
    return mols + [crystal]


def import_and_compare(model, tmp_path, *import_args):
    path = tmp_path / "spk.pt"
    torch.save(model, path)
    out = tmp_path / "imported.safetensors"
    r = painn("import", "schnetpack", path, "-o", out, *import_args, env=IMPORT_ENV)
    assert "wrote" in r.stdout
    frames = write_frames(tmp_path / "in.extxyz", structures())
    ours = painn_eval(out, tmp_path / "in.extxyz", tmp_path / "out.extxyz", "fp64")
    reference = spm.in_float64(model)
    worst = {"energy": 0.0, "forces": 0.0}
    for atoms, mine in zip(frames, ours):
        e, f = spm.evaluate(reference, atoms)
        scale_e, scale_f = max(1.0, abs(e)), max(1.0, np.abs(f).max())
        worst["energy"] = max(worst["energy"], abs(mine.get_potential_energy() - e) / scale_e)
        worst["forces"] = max(worst["forces"], np.abs(mine.get_forces() - f).max() / scale_f)
    print(f"max relative difference: {worst}")
    assert worst["energy"] < TOL and worst["forces"] < TOL, worst
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_equals_schnetpack_in_fp64(case, tmp_path):
    out = import_and_compare(spm.build(**CASES[case]), tmp_path)
    m = painn_md.Model(out)
    assert m.species == [1, 6, 7, 8]  # from the atomrefs
    assert m.radial_basis == CASES[case]["basis"]
    assert m.shared_filters == CASES[case].get("shared_filters", False)
    assert m.weight_dtype == "fp32"  # the schnetpack model's own dtype, stored exactly


def test_species_option_without_atomrefs(tmp_path):
    model = spm.build(atomrefs=False, seed=2)
    path = tmp_path / "spk.pt"
    torch.save(model, path)
    r = painn("import", "schnetpack", path, "-o", tmp_path / "x.safetensors", env=IMPORT_ENV, check=False)
    assert r.returncode == 1 and "--species" in r.stderr
    out = import_and_compare(model, tmp_path, "--species", "H,C,N,O")
    assert painn_md.Model(out).reference_energy == [0.0] * 4


def test_state_dict_imports_the_same_model(tmp_path):
    model = spm.build(seed=3)
    torch.save(model, tmp_path / "whole.pt")
    torch.save(model.state_dict(), tmp_path / "state.pt")
    for name in ("whole", "state"):
        painn("import", "schnetpack", tmp_path / f"{name}.pt", "-o", tmp_path / f"{name}.safetensors", env=IMPORT_ENV)
    atoms = write_frames(tmp_path / "in.extxyz", structures())
    a = painn_eval(tmp_path / "whole.safetensors", tmp_path / "in.extxyz", tmp_path / "whole.extxyz")
    b = painn_eval(tmp_path / "state.safetensors", tmp_path / "in.extxyz", tmp_path / "state.extxyz")
    for x, y in zip(a, b):
        assert x.get_potential_energy() == y.get_potential_energy()
        assert np.array_equal(x.get_forces(), y.get_forces())
    assert len(atoms) == len(a)


@pytest.mark.parametrize("what, model, message", [
    ("SchNet representation", lambda: spm.spk.model.NeuralNetworkPotential(
        representation=spm.spk.representation.SchNet(n_atom_basis=8, n_interactions=1,
                                                     radial_basis=spm.spk.nn.GaussianRBF(5, 5.0),
                                                     cutoff_fn=spm.spk.nn.CosineCutoff(5.0)),
        input_modules=[spm.spk.atomistic.PairwiseDistances()],
        output_modules=[spm.spk.atomistic.Atomwise(8, output_key="energy")]), "representation SchNet"),
    ("shifted softplus", lambda: spm.build(activation=spm.spk.nn.shifted_softplus), "activation shifted_softplus"),
    ("mollifier cutoff", None, "cutoff function MollifierCutoff"),
    ("Gaussian basis beyond the cutoff", None, "GaussianRBF centres"),
])
def test_unmappable_models_are_refused_by_name(what, model, message, tmp_path):
    if what == "mollifier cutoff":
        m = spm.build()
        m.representation.cutoff_fn = spm.spk.nn.MollifierCutoff(5.0)
    elif what == "Gaussian basis beyond the cutoff":
        m = spm.build(basis="gaussian")
        m.representation.radial_basis = spm.spk.nn.GaussianRBF(16, 6.0)
    else:
        m = model()
    torch.save(m, tmp_path / "m.pt")
    r = painn("import", "schnetpack", tmp_path / "m.pt", "-o", tmp_path / "m.safetensors", env=IMPORT_ENV, check=False)
    assert r.returncode == 1, r.stdout
    assert message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_import_without_a_suitable_python_says_what_is_missing(tmp_path):
    torch.save(spm.build(), tmp_path / "m.pt")
    # Debian's python3 has torch but not painn_md
    r = painn("import", "schnetpack", tmp_path / "m.pt", "-o", tmp_path / "o.safetensors",
              env={**os.environ, "PAINN_PYTHON": "/usr/bin/python3"}, check=False)
    assert r.returncode != 0 and "painn_md" in r.stderr and "PAINN_PYTHON" in r.stderr, r.stderr
    r = painn("import", "schnetpack", tmp_path / "m.pt", "-o", tmp_path / "o.safetensors",
              env={**os.environ, "PAINN_PYTHON": str(tmp_path / "no-python")}, check=False)
    assert r.returncode == 1 and "cannot run Python" in r.stderr, r.stderr
