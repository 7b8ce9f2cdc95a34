"""painn import schnetpack (issue 12): schnetpack 2.x PaiNN models built and evaluated by
schnetpack itself, imported with the CLI, evaluated with `painn eval` in fp64: energies and
forces agree to 1e-10 (relative to the largest), for Bessel and Gaussian bases, separate and
shared filters and interactions, pyramidal and given head widths, scale and mean and atomrefs, molecules and a
periodic cell. Unmappable models are refused with a message naming the part.

Most imports run in-process (painn_md.schnetpack_import.main, the code the CLI runs): each
`painn import` starts a Python that imports torch and schnetpack, a few seconds. The CLI itself is
checked in the first round trip, a refusal and the missing-Python messages.

Run: .venv-python/bin/python -m pytest tests/python/test_schnetpack_import.py  (scripts/setup_python.sh)
"""
import json
import os
import sys

import numpy as np
import pytest
import torch

import painn_md
import schnetpack_models as spm
from painn_md import schnetpack_import
from painn_cli import painn, painn_eval, write_frames

TOL = 1e-10
IMPORT_ENV = {**os.environ, "PAINN_PYTHON": sys.executable}

CASES = {
    "bessel-separate": dict(basis="bessel"),
    "gaussian-shared-scaled": dict(basis="gaussian", shared_filters=True, n_hidden=[24, 12], n_layers=3, scale=0.37),
    "bessel-shared-rectangular": dict(basis="bessel", shared_filters=True, shared_interactions=True, layers=2, rbf=9,
                                      n_hidden=20, n_layers=3, mean=0.0, seed=5),
}


def structures():
    mols = [spm.random_molecule(seed, n=8 + 3 * seed) for seed in range(3)]
    crystal = spm.random_molecule(7, n=12, box=5.5, min_sep=1.0)
    crystal.set_cell([[5.5, 0, 0], [0.8, 5.6, 0], [-0.4, 0.6, 5.7]])
    crystal.pbc = True
    return mols + [crystal]


def run_import(path, out, *args, cli=False, capsys=None):
    """(exit status, stdout, stderr) of `painn import schnetpack PATH -o OUT ARGS`, by the CLI or in-process."""
    if cli:
        r = painn("import", "schnetpack", path, "-o", out, *args, env=IMPORT_ENV, check=False)
        return r.returncode, r.stdout, r.stderr
    status = schnetpack_import.main([str(path), "-o", str(out), *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def import_and_compare(model, tmp_path, capsys, *import_args, cli=False):
    path = tmp_path / "spk.pt"
    torch.save(model, path)
    out = tmp_path / "imported.safetensors"
    status, stdout, stderr = run_import(path, out, *import_args, cli=cli, capsys=capsys)
    assert status == 0 and "wrote" in stdout, stdout + stderr
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
def test_round_trip_equals_schnetpack_in_fp64(case, tmp_path, capsys):
    out = import_and_compare(spm.build(**CASES[case]), tmp_path, capsys, cli=case == "bessel-separate")
    m = painn_md.Model(out)
    assert m.species == [1, 6, 7, 8]  # from the atomrefs
    assert m.radial_basis == CASES[case]["basis"]
    assert m.shared_filters == CASES[case].get("shared_filters", False)
    assert m.weight_dtype == "fp32"  # the schnetpack model's own dtype, stored exactly


def test_vector_norm_epsilon_is_carried_over(tmp_path, capsys):
    """A schnetpack PaiNN with another epsilon in its vector norm imports with it (model format
    section 10) and matches schnetpack to 1e-10; with 1e-8 in the file instead it would not."""
    model = spm.build(seed=4)
    for mix in model.representation.mixing:
        mix.epsilon = 1e-3
    out = import_and_compare(model, tmp_path, capsys)
    assert json.loads(painn("info", out, "--json").stdout)["vector_norm_epsilon"] == 1e-3
    for mix in model.representation.mixing:
        mix.epsilon = 1e-8
    frames = write_frames(tmp_path / "in.extxyz", structures())
    ours = painn_eval(out, tmp_path / "in.extxyz", tmp_path / "out.extxyz", "fp64")
    reference = spm.in_float64(model)
    assert max(abs(m.get_potential_energy() - spm.evaluate(reference, a)[0]) for a, m in zip(frames, ours)) > 1e-6


def test_species_option_without_atomrefs(tmp_path, capsys):
    model = spm.build(atomrefs=False, seed=2)
    path = tmp_path / "spk.pt"
    torch.save(model, path)
    status, _, stderr = run_import(path, tmp_path / "x.safetensors", capsys=capsys)
    assert status == 1 and "--species" in stderr
    out = import_and_compare(model, tmp_path, capsys, "--species", "H,C,N,O")
    assert painn_md.Model(out).reference_energy == [0.0] * 4


def test_state_dict_imports_the_same_model(tmp_path, capsys):
    model = spm.build(seed=3)
    torch.save(model, tmp_path / "whole.pt")
    torch.save(model.state_dict(), tmp_path / "state.pt")
    for name in ("whole", "state"):
        status, stdout, stderr = run_import(tmp_path / f"{name}.pt", tmp_path / f"{name}.safetensors", capsys=capsys)
        assert status == 0, stdout + stderr
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
    ("epsilons differing between layers", None, "differ between layers"),
])
def test_unmappable_models_are_refused_by_name(what, model, message, tmp_path, capsys):
    if what == "mollifier cutoff":
        m = spm.build()
        m.representation.cutoff_fn = spm.spk.nn.MollifierCutoff(5.0)
    elif what == "epsilons differing between layers":
        m = spm.build()
        m.representation.mixing[0].epsilon = 1e-3
    elif what == "Gaussian basis beyond the cutoff":
        m = spm.build(basis="gaussian")
        m.representation.radial_basis = spm.spk.nn.GaussianRBF(16, 6.0)
    else:
        m = model()
    torch.save(m, tmp_path / "m.pt")
    status, stdout, stderr = run_import(tmp_path / "m.pt", tmp_path / "m.safetensors", cli=what == "shifted softplus",
                                        capsys=capsys)
    assert status == 1, stdout
    assert message in stderr and "Traceback" not in stderr, stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_import_without_a_suitable_python_says_what_is_missing(tmp_path):
    torch.save(spm.build(), tmp_path / "m.pt")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # Debian's python3 has torch but not painn_md
    r = painn("import", "schnetpack", tmp_path / "m.pt", "-o", tmp_path / "o.safetensors",
              env={**env, "PAINN_PYTHON": "/usr/bin/python3"}, check=False)
    assert r.returncode != 0 and "painn_md" in r.stderr and "PAINN_PYTHON" in r.stderr, r.stderr
    r = painn("import", "schnetpack", tmp_path / "m.pt", "-o", tmp_path / "o.safetensors",
              env={**env, "PAINN_PYTHON": str(tmp_path / "no-python")}, check=False)
    assert r.returncode == 1 and "cannot run Python" in r.stderr, r.stderr
