#!/usr/bin/env python3
"""Independent PyTorch implementation of PaiNN-MD models, written from docs/model-format.md.

A test oracle only: it shares no code with the C++ core. Derivatives come from torch.autograd
(forces, stress, parameter gradients, the force-loss double backward) and neighbours from
ase.neighborlist, so agreement with the core checks both its equations and its hand-written
reverse pass and cell list.

CLI:
  painn_torch.py eval MODEL IN.extxyz -o OUT.extxyz      energy, forces, stress (fp64)
  painn_torch.py random OUT.safetensors --hidden 32 --layers 2 --rbf 10 --species 1,6,7,8 [--dtype fp32]
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

# ---------------------------------------------------------------- file format (spec sections 1-3)
DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I8": np.int8}


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return meta, tensors


def read_model(path):
    meta, raw = read_safetensors(path)
    if meta.get("format") != "painn-md" or meta.get("format_version") != "1":
        raise ValueError(f"{path}: not a painn-md version 1 model")
    cfg = {
        "hidden": int(meta["hidden"]), "layers": int(meta["layers"]), "rbf": int(meta["rbf"]),
        "cutoff": float(meta["cutoff"]), "basis": meta["radial_basis"],
        "shared_filters": meta["shared_filters"] == "true", "head_hidden": json.loads(meta["head_hidden"]),
        "species": json.loads(meta["species"]), "scale": float(meta["energy_scale"]),
        "shift": float(meta["energy_shift"]),
    }
    params = {}
    for name, arr in raw.items():
        if name.endswith(".scale") and name[:-6] in raw:
            continue
        a = arr.astype(np.float64)
        if arr.dtype == np.int8:  # symmetric per-row int8: w = q * scale (scale stored as F32)
            a = a * raw[name + ".scale"].astype(np.float64)[:, None]
        params[name] = torch.tensor(a)
    return cfg, params


def write_model(path, cfg, params, dtype="fp32", provenance=None):
    """Writes a model file; params maps names to float64 arrays (energy.reference included)."""
    np_dtype = {"fp64": ("F64", np.float64), "fp32": ("F32", np.float32), "fp16": ("F16", np.float16)}
    meta = {
        "format": "painn-md", "format_version": "1", "hidden": str(cfg["hidden"]), "layers": str(cfg["layers"]),
        "rbf": str(cfg["rbf"]), "cutoff": repr(float(cfg["cutoff"])), "radial_basis": cfg["basis"],
        "cutoff_function": "cosine", "activation": "silu",
        "shared_filters": "true" if cfg["shared_filters"] else "false",
        "head_hidden": json.dumps(cfg["head_hidden"]), "species": json.dumps(cfg["species"]),
        "energy_scale": repr(float(cfg["scale"])), "energy_shift": repr(float(cfg["shift"])),
        "units_length": "angstrom", "units_energy": "eV", "weight_dtype": dtype,
        "provenance": json.dumps(provenance or {"creator": "painn_torch.py"}),
    }
    blobs = {}
    for name, value in sorted(params.items()):
        v = np.asarray(value, dtype=np.float64)
        if name == "energy.reference":
            blobs[name] = ("F64", v.astype(np.float64))
        elif dtype == "int8" and v.ndim == 2:
            amax = np.abs(v).max(axis=1)
            scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
            q = np.clip(np.rint(v / scale.astype(np.float64)[:, None]), -127, 127).astype(np.int8)
            blobs[name] = ("I8", q)
            blobs[name + ".scale"] = ("F32", scale)
        elif dtype == "int8":
            blobs[name] = ("F32", v.astype(np.float32))
        else:
            tag, npt = np_dtype[dtype]
            blobs[name] = (tag, v.astype(npt))
    header, offset, chunks = {"__metadata__": meta}, 0, []
    for name, (tag, arr) in blobs.items():
        b = arr.tobytes()
        header[name] = {"dtype": tag, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        chunks.append(b)
    text = json.dumps(header).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def random_model(hidden, layers, rbf, species, cutoff=5.0, basis="bessel", shared_filters=False,
                 head_hidden=None, seed=0):
    rng = np.random.default_rng(seed)
    H, S, F = hidden, len(species), 1 if shared_filters else layers
    head_hidden = [H // 2] if head_hidden is None else head_hidden
    cfg = {"hidden": H, "layers": layers, "rbf": rbf, "cutoff": cutoff, "basis": basis,
           "shared_filters": shared_filters, "head_hidden": head_hidden, "species": list(species),
           "scale": 0.7, "shift": -0.2}

    def w(o, i, s=None):
        return rng.normal(0, s if s else 1 / math.sqrt(i), (o, i))

    p = {"embedding.weight": rng.normal(0, 1, (S, H)), "filter.weight": w(3 * H * F, rbf, 0.3 / math.sqrt(rbf)),
         "filter.bias": rng.normal(0, 0.1, 3 * H * F), "energy.reference": rng.uniform(-1000, -10, S)}
    for l in range(layers):
        p[f"interaction.{l}.context1.weight"], p[f"interaction.{l}.context1.bias"] = w(H, H), rng.normal(0, .1, H)
        p[f"interaction.{l}.context2.weight"], p[f"interaction.{l}.context2.bias"] = w(3 * H, H), rng.normal(0, .1, 3 * H)
        p[f"mixing.{l}.vector_mix.weight"] = w(2 * H, H)
        p[f"mixing.{l}.context1.weight"], p[f"mixing.{l}.context1.bias"] = w(H, 2 * H), rng.normal(0, .1, H)
        p[f"mixing.{l}.context2.weight"], p[f"mixing.{l}.context2.bias"] = w(3 * H, H), rng.normal(0, .1, 3 * H)
    widths = [H] + head_hidden + [1]
    for k in range(len(widths) - 1):
        p[f"head.{k}.weight"], p[f"head.{k}.bias"] = w(widths[k + 1], widths[k]), rng.normal(0, .1, widths[k + 1])
    return cfg, p


def parameter_count(cfg):
    """Spec section 5."""
    H, L, R, S = cfg["hidden"], cfg["layers"], cfg["rbf"], len(cfg["species"])
    F = 1 if cfg["shared_filters"] else L
    widths = [H] + cfg["head_hidden"] + [1]
    head = sum((widths[k] + 1) * widths[k + 1] for k in range(len(widths) - 1))
    return S * H + 3 * H * F * (R + 1) + L * (11 * H * H + 8 * H) + head


# ---------------------------------------------------------------- the network (spec section 4)
def silu(x):
    return x * torch.sigmoid(x)


def dense(p, name, x):
    return x @ p[name + ".weight"].T + p[name + ".bias"]


def radial(cfg, d):
    R, rc = cfg["rbf"], cfg["cutoff"]
    n = torch.arange(1, R + 1, dtype=d.dtype)
    if cfg["basis"] == "bessel":
        return torch.sin(n * math.pi * d[:, None] / rc) / d[:, None]
    width = rc / (R - 1)
    centres = (n - 1) * width
    return torch.exp(-((d[:, None] - centres) ** 2) / (2 * width ** 2))


def cosine_cutoff(cfg, d):
    rc = cfg["cutoff"]
    return torch.where(d < rc, 0.5 * (torch.cos(math.pi * d / rc) + 1), torch.zeros_like(d))


def atomic_energies(cfg, p, species_idx, i, j, rij):
    """Per-atom energies; rij[e] = R_j - R_i + shift for each directed edge e = (i[e], j[e])."""
    H, n = cfg["hidden"], len(species_idx)
    d = torch.linalg.norm(rij, dim=1)
    u = rij / d[:, None]
    phi, fc = radial(cfg, d), cosine_cutoff(cfg, d)
    W_all = (phi @ p["filter.weight"].T + p["filter.bias"]) * fc[:, None]
    q = p["embedding.weight"][species_idx]
    mu = torch.zeros(n, 3, H, dtype=rij.dtype)
    for l in range(cfg["layers"]):
        f = 0 if cfg["shared_filters"] else l
        W = W_all[:, 3 * H * f:3 * H * (f + 1)]
        # interaction
        x = dense(p, f"interaction.{l}.context2", silu(dense(p, f"interaction.{l}.context1", q)))
        m = W * x[j]
        ms, mvr, mvv = m[:, :H], m[:, H:2 * H], m[:, 2 * H:]
        dq = torch.zeros_like(q).index_add(0, i, ms)
        dmu = torch.zeros_like(mu).index_add(0, i, mvr[:, None, :] * u[:, :, None] + mvv[:, None, :] * mu[j])
        q, mu = q + dq, mu + dmu
        # mixing
        vu = mu @ p[f"mixing.{l}.vector_mix.weight"].T
        V, U = vu[..., :H], vu[..., H:]
        norm = torch.sqrt((V ** 2).sum(dim=1) + 1e-8)
        abc = dense(p, f"mixing.{l}.context2", silu(dense(p, f"mixing.{l}.context1", torch.cat([q, norm], 1))))
        a, b, c = abc[:, :H], abc[:, H:2 * H], abc[:, 2 * H:]
        q = q + a + c * (V * U).sum(dim=1)
        mu = mu + b[:, None, :] * U
    h = q
    n_head = len(cfg["head_hidden"]) + 1
    for k in range(n_head):
        h = dense(p, f"head.{k}", h)
        if k + 1 < n_head:
            h = silu(h)
    return cfg["scale"] * h[:, 0] + cfg["shift"] + p["energy.reference"][species_idx]


def graph(cfg, atoms):
    from ase.neighborlist import neighbor_list
    i, j, S = neighbor_list("ijS", atoms, cfg["cutoff"])
    index = {z: k for k, z in enumerate(cfg["species"])}
    species_idx = torch.tensor([index[z] for z in atoms.numbers])
    return species_idx, torch.tensor(i), torch.tensor(j), torch.tensor(S, dtype=torch.float64)


def energy_forces_stress(model, atoms, params=None):
    """Energy (eV), forces (eV/A), stress (ASE Voigt, eV/A^3, or None) and virial (3x3)."""
    cfg, p = model
    p = params if params is not None else p
    species_idx, i, j, S = graph(cfg, atoms)
    pos = torch.tensor(atoms.positions, requires_grad=True)
    cell = torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)
    strain = torch.zeros(3, 3, requires_grad=True)
    deform = torch.eye(3) + 0.5 * (strain + strain.T)
    rij = (pos @ deform)[j] - (pos @ deform)[i] + S @ (cell @ deform)
    e_atoms = atomic_energies(cfg, p, species_idx, i, j, rij)
    energy = e_atoms.sum()
    g_pos, g_strain = torch.autograd.grad(energy, [pos, strain])
    virial = -g_strain.detach().numpy()
    stress = None
    if atoms.pbc.all():
        s = g_strain.detach().numpy() / atoms.get_volume()
        stress = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
    return energy.item(), -g_pos.numpy(), stress, virial


def parameter_gradients(model, atoms, ref_forces=None):
    """dE/dtheta and, with ref_forces, d(sum |F - F_ref|^2)/dtheta by double backward."""
    cfg, p0 = model
    p = {k: v.clone().requires_grad_(k != "energy.reference") for k, v in p0.items()}
    species_idx, i, j, S = graph(cfg, atoms)
    pos = torch.tensor(atoms.positions, requires_grad=True)
    cell = torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)
    rij = pos[j] - pos[i] + S @ cell
    energy = atomic_energies(cfg, p, species_idx, i, j, rij).sum()
    names = [k for k in p if k != "energy.reference"]
    gE = torch.autograd.grad(energy, [p[k] for k in names], create_graph=ref_forces is not None, retain_graph=True)
    out = {"energy": {k: g.detach().numpy() for k, g in zip(names, gE)}}
    if ref_forces is not None:
        (g_pos,) = torch.autograd.grad(energy, [pos], create_graph=True)
        loss = ((-g_pos - torch.tensor(ref_forces)) ** 2).sum()
        gF = torch.autograd.grad(loss, [p[k] for k in names], allow_unused=True)  # the last bias: no force
        out["force_loss"] = {k: (g.numpy() if g is not None else np.zeros(p[k].shape)) for k, g in zip(names, gF)}
    return out


# ---------------------------------------------------------------- timing (bench/)
def time_energy_forces(model, atoms, dtype=torch.float32, threads=1, repeats=5):
    """Median ms of energy + forces (forward + autograd backward), neighbour list excluded."""
    import time
    torch.set_num_threads(threads)
    cfg, p = model
    p = {k: v.to(dtype) for k, v in p.items()}
    species_idx, i, j, S = graph(cfg, atoms)
    cell = torch.tensor(np.asarray(atoms.cell), dtype=dtype)
    shift = S.to(dtype) @ cell
    times = []
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        pos = torch.tensor(atoms.positions, dtype=dtype, requires_grad=True)
        e = atomic_energies(cfg, p, species_idx, i, j, pos[j] - pos[i] + shift).sum()
        (g,) = torch.autograd.grad(e, [pos])
        if r:
            times.append(1000 * (time.perf_counter() - t0))
    return float(np.median(times))


def time_training_step(model, frames, dtype=torch.float64, threads=1, repeats=3, force_weight=10.0):
    """Median ms of one training step (energy + force loss, double backward) on a batch."""
    import time
    torch.set_num_threads(threads)
    cfg, p0 = model
    graphs = [graph(cfg, a) for a in frames]
    times = []
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        p = {k: v.to(dtype).requires_grad_(True) for k, v in p0.items()}
        loss = 0
        for a, (sp, i, j, S) in zip(frames, graphs):
            pos = torch.tensor(a.positions, dtype=dtype, requires_grad=True)
            e = atomic_energies(cfg, p, sp, i, j, pos[j] - pos[i] + S.to(dtype) @ torch.tensor(np.asarray(a.cell), dtype=dtype)).sum()
            (g,) = torch.autograd.grad(e, [pos], create_graph=True)
            loss = loss + ((e - float(a.info.get("energy", 0.0))) / len(a)) ** 2 + force_weight * (g ** 2).mean()
        torch.autograd.grad(loss, list(p.values()), allow_unused=True)
        if r:
            times.append(1000 * (time.perf_counter() - t0))
    return float(np.median(times))


# ---------------------------------------------------------------- CLI
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval")
    e.add_argument("model")
    e.add_argument("input")
    e.add_argument("-o", required=True)
    r = sub.add_parser("random")
    r.add_argument("output")
    r.add_argument("--hidden", type=int, default=32)
    r.add_argument("--layers", type=int, default=2)
    r.add_argument("--rbf", type=int, default=10)
    r.add_argument("--cutoff", type=float, default=5.0)
    r.add_argument("--species", default="1,6,7,8")
    r.add_argument("--basis", default="bessel")
    r.add_argument("--shared-filters", action="store_true")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--dtype", default="fp32")
    a = ap.parse_args(argv)
    if a.cmd == "eval":
        import ase.io
        from ase.calculators.singlepoint import SinglePointCalculator
        model = read_model(a.model)
        frames = ase.io.read(a.input, ":")
        for at in frames:
            energy, forces, stress, _ = energy_forces_stress(model, at)
            at.calc = SinglePointCalculator(at, energy=energy, forces=forces, stress=stress)
        ase.io.write(a.o, frames, format="extxyz")
    else:
        cfg, p = random_model(a.hidden, a.layers, a.rbf, [int(z) for z in a.species.split(",")], a.cutoff,
                              a.basis, a.shared_filters, seed=a.seed)
        write_model(a.output, cfg, p, a.dtype)


if __name__ == "__main__":
    sys.exit(main())
