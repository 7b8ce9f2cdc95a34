"""The oracle checked on its own, without the C++ core: forces and stress against finite differences,
invariances (rotation, translation, permutation, periodic images), extensivity, a loop-by-loop
re-transcription of the spec's equations, and its own file reader/writer. These make it worth
trusting as an oracle.

Run: /usr/bin/python3 -m pytest tests/oracle/test_oracle_self.py -q
"""
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import painn_torch as pt  # noqa: E402
import structures  # noqa: E402

HERE = Path(__file__).resolve().parent
SPECIES = [1, 6, 7, 8]


def make_model(tmp_path_factory, name, dtype="fp64", **kwargs):
    """A random model written to disk and read back (so the reader is exercised too)."""
    path = tmp_path_factory.mktemp("models") / f"{name}.safetensors"
    cfg, p = pt.random_model(**kwargs)
    pt.write_model(path, cfg, p, dtype)
    return pt.read_model(path)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Bessel basis, separate filters, default head."""
    return make_model(tmp_path_factory, "bessel", hidden=16, layers=2, rbf=8, cutoff=5.0, species=SPECIES, seed=1)


@pytest.fixture(scope="module")
def model_gaussian(tmp_path_factory):
    """Gaussian basis, shared filters, a two-layer head, another cutoff."""
    return make_model(tmp_path_factory, "gaussian", hidden=12, layers=3, rbf=7, cutoff=4.5, species=SPECIES,
                      basis="gaussian", shared_filters=True, head_hidden=[8, 5], seed=2)


def without_reference(model):
    """Same model with energy.reference = 0: derivatives are unchanged, and finite differences of a
    total energy of ~1e4 eV would otherwise lose digits to rounding."""
    cfg, p = model
    return cfg, dict(p, **{"energy.reference": torch.zeros_like(p["energy.reference"])})


def five_point(f, h):
    """df/dx at 0 from f(-2h), f(-h), f(h), f(2h): error O(h^4) for smooth f. Steps stay small:
    E is only C^1 where a pair crosses the cutoff (f ~ (rc - d)^2), and some fixtures have pairs
    within 1e-3 A of rc."""
    return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)


def fd_forces(model, atoms, indices, h=1e-4):
    out = np.zeros((len(indices), 3))
    for n, k in enumerate(indices):
        for c in range(3):
            def energy(s):
                b = atoms.copy()
                b.positions[k, c] += s
                return pt.evaluate(model, b)["energy"]
            out[n, c] = -five_point(energy, h)
    return out


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("structure", ["molecule", "orthorhombic", "triclinic", "small_cell", "slab", "wire"])
@pytest.mark.parametrize("which", ["model", "model_gaussian"])
def test_forces_match_finite_differences(request, structure, which):
    m = without_reference(request.getfixturevalue(which))
    atoms = getattr(structures, structure)()
    forces = pt.evaluate(m, atoms)["forces"]
    idx = [0, len(atoms) // 2, len(atoms) - 1]
    fd = fd_forces(m, atoms, idx)
    assert np.abs(fd - forces[idx]).max() < 1e-7 * np.abs(forces).max()


def fd_stress(model, atoms, h=1e-5):
    """(1/V) dE/d(eps) for a symmetric strain eps applied to cell and positions, Voigt order."""
    grad = np.zeros((3, 3))
    for a in range(3):
        for b in range(a, 3):
            def energy(s):
                eps = np.zeros((3, 3))
                eps[a, b] += s / 2
                eps[b, a] += s / 2
                t = atoms.copy()
                t.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + eps), scale_atoms=True)
                return pt.evaluate(model, t)["energy"]
            grad[a, b] = grad[b, a] = five_point(energy, h)
    g = grad / atoms.get_volume()
    return np.array([g[0, 0], g[1, 1], g[2, 2], g[1, 2], g[0, 2], g[0, 1]])


@pytest.mark.parametrize("structure", ["orthorhombic", "triclinic", "small_cell"])
@pytest.mark.parametrize("which", ["model", "model_gaussian"])
def test_stress_matches_strain_derivative(request, structure, which):
    m = without_reference(request.getfixturevalue(which))
    atoms = getattr(structures, structure)()
    r = pt.evaluate(m, atoms)
    fd = fd_stress(m, atoms)
    assert np.abs(r["stress"] - fd).max() < 1e-7 * np.abs(fd).max()


@pytest.mark.parametrize("structure", ["molecule", "triclinic", "small_cell", "slab"])
def test_virial_is_minus_edge_sum_and_symmetric(model, structure):
    """Strain route W = -dE/deps equals W = -sum r_ij (x) dE/dr_ij (spec 6), which is symmetric."""
    atoms = getattr(structures, structure)()
    r = pt.evaluate(model, atoms)
    w_edges = pt.edge_virial(model, atoms)
    scale = np.abs(w_edges).max()
    assert np.abs(w_edges - w_edges.T).max() < 1e-10 * scale
    assert np.abs(r["virial"] - w_edges).max() < 1e-10 * scale
    if atoms.pbc.all():  # stress = -W / V
        w = -r["stress"] * atoms.get_volume()
        voigt = r["virial"][[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
        np.testing.assert_allclose(w, voigt, rtol=0, atol=1e-12 * scale)
    else:
        assert r["stress"] is None


def test_forces_sum_to_zero(model):
    for atoms in structures.all_structures().values():
        f = pt.evaluate(model, atoms)["forces"]
        assert np.abs(f.sum(axis=0)).max() < 1e-10 * np.abs(f).max() * len(atoms)


# ------------------------------------------------------------------ invariances
def rotation(axis, angle_deg):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    a = math.radians(angle_deg)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * K @ K


@pytest.mark.parametrize("structure", ["molecule", "triclinic", "small_cell", "slab"])
def test_rotation_and_translation_invariance(model, structure):
    atoms = getattr(structures, structure)()
    r0 = pt.evaluate(model, atoms)
    R = rotation((1, 2, 3), 37)
    b = atoms.copy()
    b.set_cell(np.asarray(atoms.cell) @ R.T, scale_atoms=False)
    b.positions = atoms.positions @ R.T + np.array([3.0, -7.0, 11.0])
    if b.pbc.any():
        b.wrap()
    r1 = pt.evaluate(model, b)
    fmax = np.abs(r0["forces"]).max()
    assert r1["energy"] == pytest.approx(r0["energy"], rel=1e-13, abs=1e-10)
    assert np.abs(r1["forces"] - r0["forces"] @ R.T).max() < 1e-10 * fmax
    assert np.abs(r1["virial"] - R @ r0["virial"] @ R.T).max() < 1e-10 * np.abs(r0["virial"]).max()


@pytest.mark.parametrize("structure", ["molecule", "orthorhombic", "triclinic"])
def test_permutation_invariance(model, structure):
    atoms = getattr(structures, structure)()
    perm = np.random.default_rng(5).permutation(len(atoms))
    r0, r1 = pt.evaluate(model, atoms), pt.evaluate(model, atoms[perm])
    assert r1["energy"] == pytest.approx(r0["energy"], rel=1e-13)
    assert np.abs(r1["forces"] - r0["forces"][perm]).max() < 1e-10 * np.abs(r0["forces"]).max()
    np.testing.assert_allclose(r1["energies"], r0["energies"][perm], rtol=1e-12, atol=1e-12)


def test_lattice_translations_do_not_matter(model):
    """Moving atoms by whole cell vectors (unwrapped, several cells away) changes nothing."""
    atoms = structures.triclinic()
    b = atoms.copy()
    b.positions += np.random.default_rng(1).integers(-3, 4, (len(b), 3)) @ np.asarray(b.cell)
    r0, r1 = pt.evaluate(model, atoms), pt.evaluate(model, b)
    assert r1["energy"] == pytest.approx(r0["energy"], rel=1e-13)
    assert np.abs(r1["forces"] - r0["forces"]).max() < 1e-10 * np.abs(r0["forces"]).max()


@pytest.mark.parametrize("structure", ["small_cell", "triclinic"])
def test_supercell_is_extensive(model, structure):
    """E(2x2x2) = 8 E; forces tile; stress is intensive (small_cell: atoms see many images)."""
    atoms = getattr(structures, structure)()
    r1, r8 = pt.evaluate(model, atoms), pt.evaluate(model, atoms.repeat((2, 2, 2)))
    assert r8["energy"] == pytest.approx(8 * r1["energy"], rel=1e-12)
    fmax = np.abs(r1["forces"]).max()
    assert np.abs(r8["forces"].reshape(8, len(atoms), 3) - r1["forces"]).max() < 1e-10 * fmax
    assert np.abs(r8["stress"] - r1["stress"]).max() < 1e-10 * np.abs(r1["stress"]).max()


def test_slab_supercell_in_plane(model):
    atoms = structures.slab()
    r1, r4 = pt.evaluate(model, atoms), pt.evaluate(model, atoms.repeat((2, 2, 1)))
    assert r4["energy"] == pytest.approx(4 * r1["energy"], rel=1e-12)


def test_energy_smooth_at_cutoff(model):
    """An H-H pair just inside and just outside rc: the cosine cutoff makes E and F continuous."""
    rc = model[0]["cutoff"]

    def dimer(d):
        return ase.Atoms("HH", positions=[(0, 0, 0), (d, 0, 0)])
    far = pt.evaluate(model, dimer(rc + 1e-3))
    assert far["energy"] == pytest.approx(pt.evaluate(model, dimer(50.0))["energy"], rel=1e-15)
    near = pt.evaluate(model, dimer(rc - 1e-5))
    mid = pt.evaluate(model, dimer(rc / 2))
    assert abs(near["energy"] - far["energy"]) < 1e-8 * abs(mid["energy"] - far["energy"])
    assert np.abs(near["forces"]).max() < 1e-4 * np.abs(mid["forces"]).max()


def test_isolated_atom_has_no_force(model):
    atoms = structures.isolated()
    r = pt.evaluate(model, atoms)
    assert np.all(r["forces"][-1] == 0.0)


# ------------------------------------------------------------------ the equations, re-transcribed
def naive_energies(cfg, p, atoms):
    """Spec section 4 written a second time, atom by atom and edge by edge in numpy loops."""
    from ase.neighborlist import neighbor_list
    P = {k: v.numpy() for k, v in p.items()}
    H, rc, R = cfg["hidden"], cfg["cutoff"], cfg["rbf"]
    ii, jj, dvec = neighbor_list("ijD", atoms, rc)
    sp = [cfg["species"].index(z) for z in atoms.numbers]
    N = len(atoms)

    def silu(x):
        return x / (1 + np.exp(-x))

    def lin(name, x):
        return P[name + ".weight"] @ x + P[name + ".bias"]

    def phi(d):
        n = np.arange(1, R + 1)
        if cfg["basis"] == "bessel":
            return np.sin(n * math.pi * d / rc) / d
        w = rc / (R - 1)
        return np.exp(-(d - rc * (n - 1) / (R - 1)) ** 2 / (2 * w * w))

    q = [P["embedding.weight"][sp[a]].copy() for a in range(N)]
    mu = [np.zeros((3, H)) for _ in range(N)]
    for l in range(cfg["layers"]):
        x = [lin(f"interaction.{l}.context2", silu(lin(f"interaction.{l}.context1", q[a]))) for a in range(N)]
        f0 = 0 if cfg["shared_filters"] else l
        q_new, mu_new = [v.copy() for v in q], [v.copy() for v in mu]
        for i, j, r in zip(ii, jj, dvec):
            d = np.linalg.norm(r)
            fc = 0.5 * (math.cos(math.pi * d / rc) + 1)
            W = ((P["filter.weight"] @ phi(d) + P["filter.bias"]) * fc)[3 * H * f0:3 * H * (f0 + 1)]
            q_new[i] += W[:H] * x[j][:H]
            for c in range(3):
                mu_new[i][c] += W[H:2 * H] * x[j][H:2 * H] * (r[c] / d) + W[2 * H:] * x[j][2 * H:] * mu[j][c]
        q, mu = q_new, mu_new
        for a in range(N):
            V = np.array([P[f"mixing.{l}.vector_mix.weight"][:H] @ mu[a][c] for c in range(3)])
            U = np.array([P[f"mixing.{l}.vector_mix.weight"][H:] @ mu[a][c] for c in range(3)])
            n = np.sqrt((V ** 2).sum(axis=0) + 1e-8)
            abc = lin(f"mixing.{l}.context2", silu(lin(f"mixing.{l}.context1", np.concatenate([q[a], n]))))
            q[a] = q[a] + abc[:H] + abc[2 * H:] * (V * U).sum(axis=0)
            mu[a] = mu[a] + abc[H:2 * H] * U
    out = []
    n_head = len(cfg["head_hidden"]) + 1
    for a in range(N):
        h = q[a]
        for k in range(n_head):
            h = lin(f"head.{k}", h)
            h = silu(h) if k + 1 < n_head else h
        out.append(cfg["scale"] * h[0] + cfg["shift"] + P["energy.reference"][sp[a]])
    return np.array(out)


@pytest.mark.parametrize("structure", ["isolated", "small_cell", "slab"])
@pytest.mark.parametrize("basis,shared,head_hidden", [("bessel", False, [3]), ("gaussian", True, [4, 3])])
def test_vectorised_equations_match_loop_transcription(structure, basis, shared, head_hidden):
    cfg, p = pt.as_model(*pt.random_model(6, 2, 5, 4.0, SPECIES, basis, shared, seed=11, head_hidden=head_hidden))
    atoms = getattr(structures, structure)()
    ours = pt.evaluate((cfg, p), atoms)["energies"]
    np.testing.assert_allclose(ours, naive_energies(cfg, p, atoms), rtol=1e-12, atol=0)


def test_radial_basis_and_cutoff_values():
    cfg = {"rbf": 4, "cutoff": 5.0, "basis": "bessel"}
    d = torch.tensor([1.3, 4.99, 5.0, 6.0], dtype=torch.float64)
    np.testing.assert_allclose(pt.radial_basis(cfg, d)[0].numpy(),
                               [math.sin(n * math.pi * 1.3 / 5) / 1.3 for n in range(1, 5)], rtol=1e-15)
    np.testing.assert_allclose(pt.cosine_cutoff(cfg, d).numpy(),
                               [0.5 * (math.cos(math.pi * 1.3 / 5) + 1), 0.5 * (math.cos(math.pi * 4.99 / 5) + 1), 0, 0])
    g = pt.radial_basis(dict(cfg, basis="gaussian"), torch.tensor([5.0 / 3], dtype=torch.float64))[0].numpy()
    # centres 0, 5/3, 10/3, 5, width 5/3: the second Gaussian peaks here
    np.testing.assert_allclose(g, np.exp(-np.array([1, 0, 1, 4]) / 2.0), rtol=1e-14)


# ------------------------------------------------------------------ file format
def test_parameter_count_matches_stored_tensors_and_spec_example():
    for kw in [dict(hidden=16, layers=2, rbf=8), dict(hidden=12, layers=3, rbf=7, shared_filters=True, head_hidden=[8, 5])]:
        cfg, p = pt.random_model(species=SPECIES, **kw)
        stored = sum(v.size for k, v in p.items() if k != "energy.reference")
        assert pt.parameter_count(cfg) == stored
    # spec section 5: current (128/3/20) with S = 100 gives 589,057
    cfg = {"hidden": 128, "layers": 3, "rbf": 20, "species": list(range(100)), "shared_filters": False,
           "head_hidden": [64]}
    assert pt.parameter_count(cfg) == 589_057


def test_fp64_round_trip_is_exact(tmp_path):
    cfg, p = pt.random_model(16, 2, 8, 5.0, [1, 6, 8], seed=3)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, "fp64")
    cfg2, p2 = pt.read_model(tmp_path / "m.safetensors")
    for key in ["hidden", "layers", "rbf", "cutoff", "basis", "shared_filters", "head_hidden", "species", "scale", "shift"]:
        assert cfg2[key] == cfg[key], key
    assert set(p2) == set(p)
    for k, v in p.items():
        assert np.array_equal(p2[k].numpy(), v), k


@pytest.mark.parametrize("dtype,weight_tol,energy_tol", [("fp32", 1e-7, 1e-5), ("fp16", 1e-3, 3e-2), ("int8", 1e-2, 0.2)])
def test_reduced_precision_files_load_close_to_fp64(tmp_path, dtype, weight_tol, energy_tol):
    """Weights within the format's resolution; energy (without the exact F64 references) and forces
    within a tolerance that grows with quantization."""
    cfg, p = pt.random_model(16, 2, 8, 5.0, SPECIES, seed=3)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, dtype)
    cfg2, p2 = pt.read_model(tmp_path / "m.safetensors")
    assert cfg2["weight_dtype"] == dtype
    for k, v in p.items():
        scale = np.abs(v).max(axis=-1, keepdims=True) if v.ndim == 2 else np.abs(v).max()
        assert np.all(np.abs(p2[k].numpy() - v) <= weight_tol * scale + 1e-300), k
    assert np.array_equal(p2["energy.reference"].numpy(), p["energy.reference"])
    atoms = structures.molecule()
    ref = pt.evaluate(without_reference(pt.as_model(cfg, p)), atoms)
    got = pt.evaluate(without_reference((cfg2, p2)), atoms)
    assert abs(got["energy"] - ref["energy"]) < energy_tol * max(1.0, abs(ref["energy"]))
    assert np.abs(got["forces"] - ref["forces"]).max() < energy_tol * np.abs(ref["forces"]).max()


def test_int8_layout_follows_spec(tmp_path):
    cfg, p = pt.random_model(8, 2, 6, 5.0, SPECIES, seed=4)
    p["head.0.weight"][1] = 0.0  # an all-zero row: scale 1
    pt.write_model(tmp_path / "q.safetensors", cfg, p, "int8")
    meta, raw = pt.read_safetensors(tmp_path / "q.safetensors")
    assert meta["weight_dtype"] == "int8"
    _, deq = pt.read_model(tmp_path / "q.safetensors")
    for name, v in p.items():
        if name == "energy.reference":
            assert raw[name].dtype == np.float64
        elif v.ndim == 2:
            q, scale = raw[name], raw[name + ".scale"]
            assert q.dtype == np.int8 and scale.dtype == np.float32 and scale.shape == (v.shape[0],)
            amax = np.abs(v).max(axis=1)
            np.testing.assert_allclose(scale, np.where(amax > 0, amax / 127, 1.0), rtol=1e-7)
            assert np.all(np.abs(q).max(axis=1)[amax > 0] == 127) and np.abs(q.astype(int)).max() <= 127
            assert np.array_equal(deq[name].numpy(), q.astype(np.float64) * scale.astype(np.float64)[:, None])
        else:
            assert raw[name].dtype == np.float32
    assert raw["head.0.weight.scale"][1] == 1.0 and not raw["head.0.weight"][1].any()


def test_header_layout(tmp_path):
    cfg, p = pt.random_model(4, 1, 3, 5.0, [1, 8], seed=0)
    pt.write_model(tmp_path / "m.safetensors", cfg, p, "fp32")
    raw = (tmp_path / "m.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert n % 8 == 0
    meta = header.pop("__metadata__")
    assert all(isinstance(v, str) for v in meta.values()) and meta["format"] == "painn-md"
    assert max(t["data_offsets"][1] for t in header.values()) == len(raw) - 8 - n


def corrupt(path, out, edit):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    edit(header)
    text = json.dumps(header).encode()
    Path(out).write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + n:])


@pytest.mark.parametrize("case", ["format", "version", "missing_tensor", "shape", "offsets", "dtype_mismatch",
                                  "unknown_basis", "truncated"])
def test_reader_rejects_invalid_files(tmp_path, case):
    cfg, p = pt.random_model(4, 1, 3, 5.0, [1, 8], seed=0)
    good = tmp_path / "good.safetensors"
    pt.write_model(good, cfg, p, "fp32")
    bad = tmp_path / "bad.safetensors"
    if case == "format":
        pt.write_model(bad, cfg, p, "fp32", metadata_overrides={"format": "painn"})
    elif case == "version":
        pt.write_model(bad, cfg, p, "fp32", metadata_overrides={"format_version": "2"})
    elif case == "unknown_basis":
        pt.write_model(bad, cfg, p, "fp32", metadata_overrides={"radial_basis": "chebyshev"})
    elif case == "missing_tensor":
        pt.write_model(bad, cfg, {k: v for k, v in p.items() if k != "head.0.bias"}, "fp32")
    elif case == "shape":
        corrupt(good, bad, lambda h: h["filter.bias"].update(shape=[2, h["filter.bias"]["shape"][0] // 2]))
    elif case == "offsets":
        corrupt(good, bad, lambda h: h["filter.bias"].update(data_offsets=[10 ** 9, 10 ** 9 + 4 * 12]))
    elif case == "dtype_mismatch":
        pt.write_model(bad, cfg, p, "fp32", metadata_overrides={"weight_dtype": "fp16"})
    elif case == "truncated":
        bad.write_bytes(good.read_bytes()[:-4])
    pt.read_model(good)
    with pytest.raises(ValueError):
        pt.read_model(bad)


def test_unknown_species_is_an_error(model):
    with pytest.raises(ValueError, match="not among"):
        pt.evaluate(model, ase.Atoms("HS", positions=[(0, 0, 0), (1, 0, 0)]))


# ------------------------------------------------------------------ CLI
def test_cli_random_eval_info(tmp_path):
    script = str(HERE / "painn_torch.py")
    m = tmp_path / "m.safetensors"
    subprocess.run([sys.executable, script, "random", str(m), "--hidden", "8", "--layers", "2", "--rbf", "6",
                    "--species", "1,6,7,8", "--seed", "3", "--dtype", "fp64"], check=True)
    paths = structures.write_fixtures(tmp_path / "fx")
    ase.io.write(tmp_path / "in.extxyz", [ase.io.read(paths[k]) for k in ["molecule", "triclinic", "slab"]],
                 format="extxyz")
    frames = ase.io.read(tmp_path / "in.extxyz", ":")  # as written: extxyz rounds positions
    subprocess.run([sys.executable, script, "eval", str(m), str(tmp_path / "in.extxyz"), "-o",
                    str(tmp_path / "out.extxyz")], check=True)
    model = pt.read_model(m)
    for atoms, out in zip(frames, ase.io.read(tmp_path / "out.extxyz", ":")):
        r = pt.evaluate(model, atoms)
        assert out.get_potential_energy() == pytest.approx(r["energy"], rel=1e-14)
        np.testing.assert_allclose(out.get_forces(), r["forces"], rtol=1e-13, atol=1e-13)
        if atoms.pbc.all():
            np.testing.assert_allclose(out.get_stress(), r["stress"], rtol=1e-13, atol=1e-15)
    info = json.loads(subprocess.run([sys.executable, script, "info", str(m)], check=True, capture_output=True,
                                     text=True).stdout)
    assert info["parameters"] == pt.parameter_count(model[0]) and info["weight_dtype"] == "fp64"


def test_timing_function_runs():
    model = pt.as_model(*pt.random_model(8, 2, 6, 5.0, SPECIES, seed=0))
    assert pt.time_energy_forces(model, structures.molecule(), torch.float32, threads=1, repeats=2) > 0


# ------------------------------------------------------------------ ZBL pair repulsion (spec section 8)
@pytest.fixture(scope="module")
def model_zbl(tmp_path_factory):
    """The bessel model's network plus ZBL with covalent radii and c = 1.2."""
    return make_model(tmp_path_factory, "zbl", hidden=16, layers=2, rbf=8, cutoff=5.0, species=SPECIES, seed=1,
                      repulsion="zbl", repulsion_cutoff_scale=1.2)


def zbl_by_hand(zi, zj, r, r_max):
    """Section 8's pair energy in plain floats, one term at a time."""
    if r >= r_max:
        return 0.0
    a = 0.46850 / (zi ** 0.23 + zj ** 0.23)
    phi = (0.18175 * math.exp(-3.19980 * r / a) + 0.50986 * math.exp(-0.94229 * r / a)
           + 0.28022 * math.exp(-0.40290 * r / a) + 0.02817 * math.exp(-0.20162 * r / a))
    x = r / r_max
    return 14.399645478425668 * zi * zj / r * phi * (1 - 28 * x ** 6 + 48 * x ** 7 - 21 * x ** 8)


def test_zbl_dimer_matches_formula(model, model_zbl):
    """Two atoms: with minus without repulsion is the pair energy, half to each atom."""
    for (zi, zj), r in [((6, 7), 0.4), ((6, 7), 1.2), ((1, 1), 0.5), ((8, 8), 1.5), ((1, 8), 0.9)]:
        atoms = ase.Atoms(numbers=[zi, zj], positions=[(0, 0, 0), (0.48 * r, 0.6 * r, 0.64 * r)])
        r_max = 1.2 * (pt.COVALENT_RADII[zi] + pt.COVALENT_RADII[zj])
        expected = zbl_by_hand(zi, zj, r, r_max)
        assert expected > 1e-3
        cfg, p = model_zbl
        with_rep, net = pt.evaluate(model_zbl, atoms), pt.evaluate((dict(cfg, repulsion="none"), p), atoms)
        assert with_rep["energy"] - net["energy"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(with_rep["energies"] - net["energies"], [expected / 2] * 2, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("structure", ["molecule", "small_cell", "slab"])
def test_zbl_forces_and_stress_match_finite_differences(model_zbl, structure):
    """Squeezed to 70%: many pairs inside their pair cutoffs."""
    m = without_reference(model_zbl)
    atoms = getattr(structures, structure)()
    if atoms.pbc.any():
        atoms.set_cell(np.asarray(atoms.cell) * 0.7, scale_atoms=True)
    else:
        atoms.positions *= 0.7
    cfg, p = m
    assert abs(pt.evaluate(m, atoms)["energy"] - pt.evaluate((dict(cfg, repulsion="none"), p), atoms)["energy"]) > 1
    r = pt.evaluate(m, atoms)
    idx = [0, len(atoms) // 2, len(atoms) - 1]
    assert np.abs(fd_forces(m, atoms, idx) - r["forces"][idx]).max() < 1e-7 * np.abs(r["forces"]).max()
    if atoms.pbc.all():
        fd = fd_stress(m, atoms)
        assert np.abs(r["stress"] - fd).max() < 1e-7 * np.abs(fd).max()


def test_zbl_smooth_at_pair_cutoff(model_zbl):
    """Value, slope and curvature vanish at r_max: E ~ delta^3 just inside, exactly 0 beyond."""
    cfg, p = model_zbl
    net = (dict(cfg, repulsion="none"), p)
    r_max = 1.2 * (0.76 + 0.66)

    def rep(d):
        atoms = ase.Atoms("CO", positions=[(0, 0, 0), (d, 0, 0)])
        return pt.evaluate(model_zbl, atoms)["energy"] - pt.evaluate(net, atoms)["energy"]
    assert rep(r_max + 1e-6) == 0.0
    e2, e3 = rep(r_max - 1e-2), rep(r_max - 1e-3)
    assert 0 < e3 < 1e-6 and e3 / e2 == pytest.approx(1e-3, rel=0.2)
