"""The oracle checked on its own: forces and stress against finite differences, invariances,
supercells, and its own file writer. These make it worth trusting as an oracle."""
import numpy as np
import pytest

import painn_torch as pt
import structures


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    cfg, p = pt.random_model(16, 2, 8, [1, 6, 7, 8], seed=1)
    pt.write_model(path, cfg, p, "fp64")
    return pt.read_model(path)


def test_forces_match_finite_differences(model):
    a = structures.triclinic()
    e0, f, _, _ = pt.energy_forces_stress(model, a)
    h = 1e-5
    for k in [0, 5, 17]:
        for c in range(3):
            b = a.copy()
            b.positions[k, c] += h
            ep = pt.energy_forces_stress(model, b)[0]
            b.positions[k, c] -= 2 * h
            em = pt.energy_forces_stress(model, b)[0]
            assert -(ep - em) / (2 * h) == pytest.approx(f[k, c], abs=1e-6 * np.abs(f).max())


def test_stress_matches_strain_derivative(model):
    a = structures.triclinic()
    _, _, stress, _ = pt.energy_forces_stress(model, a)
    h = 1e-6
    full = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = []
            for s in (h, -h):
                eps = np.eye(3)
                eps[i, j] += s
                b = a.copy()
                b.set_cell(a.cell @ eps, scale_atoms=True)
                e.append(pt.energy_forces_stress(model, b)[0])
            full[i, j] = (e[0] - e[1]) / (2 * h) / a.get_volume()
    sym = 0.5 * (full + full.T)
    voigt = [sym[0, 0], sym[1, 1], sym[2, 2], sym[1, 2], sym[0, 2], sym[0, 1]]
    np.testing.assert_allclose(stress, voigt, atol=1e-7 * np.abs(voigt).max())


def test_invariances(model):
    a = structures.molecule()
    e0, f0, _, _ = pt.energy_forces_stress(model, a)
    b = a.copy()
    b.rotate(37, (1, 2, 3), center="COM")
    b.translate((3.0, -7.0, 11.0))
    e1, f1, _, _ = pt.energy_forces_stress(model, b)
    assert e1 == pytest.approx(e0, rel=1e-12)
    c = a[::-1]
    assert pt.energy_forces_stress(model, c)[0] == pytest.approx(e0, rel=1e-12)


def test_supercell_is_extensive(model):
    a = structures.small_cell()
    e1 = pt.energy_forces_stress(model, a)[0]
    e8 = pt.energy_forces_stress(model, a.repeat((2, 2, 2)))[0]
    assert e8 == pytest.approx(8 * e1, rel=1e-12)


@pytest.mark.parametrize("dtype,tol", [("fp64", 1e-14), ("fp32", 1e-5), ("fp16", 2e-2), ("int8", 0.1)])
def test_writer_round_trip(tmp_path, dtype, tol):
    cfg, p = pt.random_model(16, 2, 8, [1, 6, 8], seed=3)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, dtype)
    cfg2, p2 = pt.read_model(tmp_path / "m.safetensors")
    assert cfg2["species"] == cfg["species"]
    for k, v in p.items():
        np.testing.assert_allclose(p2[k].numpy(), v, atol=tol * np.abs(v).max())
