#!/usr/bin/env python3
"""Independent PyTorch implementation of PaiNN-MD models, written from docs/model-format.md only.

A test oracle: it shares no code with the C++ core. Derivatives come from torch.autograd
(forces, stress/virial, parameter gradients, the force-loss double backward) and neighbours from
ase.neighborlist, so agreement with the core checks its equations, its hand-written reverse pass
and its cell list. Everything is computed in float64 unless a timing function is asked otherwise.

A model is the pair (config, params): config a dict (hidden, layers, rbf, cutoff, basis,
shared_filters, head_hidden, species, scale, shift, weight_dtype, repulsion, repulsion_radii,
repulsion_cutoff_scale, metadata), params a dict of
float64 torch tensors named as in the spec (int8 weights already dequantized, `.scale` dropped).

CLI (Debian's /usr/bin/python3):
  painn_torch.py eval MODEL IN.extxyz -o OUT.extxyz     energy, per-atom energies, forces, stress (fp64)
  painn_torch.py random OUT.safetensors --hidden 32 --layers 2 --rbf 10 --species 1,6,7,8 [--seed 0]
                 [--cutoff 5] [--basis bessel|gaussian] [--shared-filters] [--head-hidden 16] [--dtype fp32]
                 [--repulsion none|zbl] [--repulsion-scale 1]
  painn_torch.py info MODEL                             config and parameter count as JSON
"""
import argparse
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch

FORMAT, FORMAT_VERSION = "painn-md", "1"

# =============================================================== spec section 1: the container
# safetensors dtype tag -> (explicitly little-endian numpy dtype, bytes per element)
ST_DTYPES = {"F64": (np.dtype("<f8"), 8), "F32": (np.dtype("<f4"), 4), "F16": (np.dtype("<f2"), 2),
             "I8": (np.dtype("i1"), 1)}


def read_safetensors(path):
    """Returns (metadata dict of strings, {name: numpy array}); checks what spec section 1 requires."""
    raw = Path(path).read_bytes()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))  # trailing space padding is valid JSON whitespace
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise ValueError(f"{path}: __metadata__ values must all be strings")
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t.get("dtype") not in ST_DTYPES:
            raise ValueError(f"{path}: tensor {name}: unknown dtype {t.get('dtype')!r}")
        np_dtype, size = ST_DTYPES[t["dtype"]]
        shape = [int(s) for s in t["shape"]]
        begin, end = (int(x) for x in t["data_offsets"])
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: tensor {name}: data_offsets {begin, end} outside the data section")
        if end - begin != int(np.prod(shape, dtype=np.int64)) * size:
            raise ValueError(f"{path}: tensor {name}: {end - begin} bytes for shape {shape} {t['dtype']}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(shape)
    return meta, tensors


def write_safetensors(path, meta, blobs):
    """blobs: {name: (dtype tag, numpy array)}, written in the given order; header padded to 8 bytes."""
    header, offset, chunks = {"__metadata__": meta}, 0, []
    for name, (tag, arr) in blobs.items():
        b = np.ascontiguousarray(arr, dtype=ST_DTYPES[tag][0]).tobytes()
        header[name] = {"dtype": tag, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        chunks.append(b)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


# =============================================================== spec sections 2-3: metadata and tensors
def filter_sets(cfg):
    """F of spec section 3: one filter block per layer, or one shared by all layers."""
    return 1 if cfg["shared_filters"] else cfg["layers"]


def head_widths(cfg):
    """w_0 = H, the hidden widths, then 1 (spec section 3, head.{k})."""
    return [cfg["hidden"]] + list(cfg["head_hidden"]) + [1]


def expected_shapes(cfg):
    """Every tensor name of spec section 3 with its shape (int8 scales not included)."""
    H, L, R, S, F = cfg["hidden"], cfg["layers"], cfg["rbf"], len(cfg["species"]), filter_sets(cfg)
    shapes = {"embedding.weight": (S, H), "filter.weight": (3 * H * F, R), "filter.bias": (3 * H * F,),
              "energy.reference": (S,)}
    for l in range(L):
        shapes.update({
            f"interaction.{l}.context1.weight": (H, H), f"interaction.{l}.context1.bias": (H,),
            f"interaction.{l}.context2.weight": (3 * H, H), f"interaction.{l}.context2.bias": (3 * H,),
            f"mixing.{l}.vector_mix.weight": (2 * H, H),
            f"mixing.{l}.context1.weight": (H, 2 * H), f"mixing.{l}.context1.bias": (H,),
            f"mixing.{l}.context2.weight": (3 * H, H), f"mixing.{l}.context2.bias": (3 * H,),
        })
    w = head_widths(cfg)
    for k in range(len(w) - 1):
        shapes[f"head.{k}.weight"] = (w[k + 1], w[k])
        shapes[f"head.{k}.bias"] = (w[k + 1],)
    return shapes


def parameter_count(cfg):
    """Spec section 5: P = S H + 3 H F (R + 1) + L (11 H^2 + 8 H) + head (energy.reference excluded)."""
    H, L, R, S, F = cfg["hidden"], cfg["layers"], cfg["rbf"], len(cfg["species"]), filter_sets(cfg)
    w = head_widths(cfg)
    head = sum((w[k - 1] + 1) * w[k] for k in range(1, len(w)))
    return S * H + 3 * H * F * (R + 1) + L * (11 * H * H + 8 * H) + head


REQUIRED_META = ["format", "format_version", "hidden", "layers", "rbf", "cutoff", "radial_basis",
                 "cutoff_function", "shared_filters", "head_hidden", "activation", "species", "energy_scale",
                 "energy_shift", "units_length", "units_energy", "weight_dtype", "provenance"]


def parse_config(meta, path="model"):
    """Spec section 2. Rejects unknown formats/versions and values the spec does not define."""
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: format is {meta.get('format')!r}, not {FORMAT!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {meta.get('format_version')!r} is not {FORMAT_VERSION}")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"{path}: metadata lacks {missing}")
    allowed = {"radial_basis": ("bessel", "gaussian"), "cutoff_function": ("cosine",), "activation": ("silu",),
               "shared_filters": ("true", "false"), "units_length": ("angstrom",), "units_energy": ("eV",),
               "weight_dtype": ("fp64", "fp32", "fp16", "int8")}
    for key, values in allowed.items():
        if meta[key] not in values:
            raise ValueError(f"{path}: {key} = {meta[key]!r}, expected one of {values}")
    if not isinstance(json.loads(meta["provenance"]), dict):
        raise ValueError(f"{path}: provenance is not a JSON object")
    cfg = {
        "hidden": int(meta["hidden"]), "layers": int(meta["layers"]), "rbf": int(meta["rbf"]),
        "cutoff": float(meta["cutoff"]), "basis": meta["radial_basis"],
        "shared_filters": meta["shared_filters"] == "true",
        "head_hidden": [int(w) for w in json.loads(meta["head_hidden"])],
        "species": [int(z) for z in json.loads(meta["species"])],
        "scale": float(meta["energy_scale"]), "shift": float(meta["energy_shift"]),
        "weight_dtype": meta["weight_dtype"], "metadata": dict(meta),
    }
    if min(cfg["hidden"], cfg["layers"], cfg["rbf"], len(cfg["species"])) < 1 or not cfg["cutoff"] > 0:
        raise ValueError(f"{path}: hidden, layers, rbf, species and cutoff must be positive")
    if cfg["basis"] == "gaussian" and cfg["rbf"] < 2:
        raise ValueError(f"{path}: the gaussian basis needs rbf >= 2 (width rc/(R-1))")
    cfg.update(parse_repulsion(meta, cfg, path))
    cfg.update(parse_network_inner_cutoff(meta, cfg, path))
    eps = float(meta.get("vector_norm_epsilon", "1e-8"))  # spec section 10
    if not (math.isfinite(eps) and 0 < eps <= 1):
        raise ValueError(f"{path}: vector_norm_epsilon {eps} is not in (0, 1]")
    cfg["vector_norm_epsilon"] = eps
    return cfg


def parse_network_inner_cutoff(meta, cfg, path="model"):
    """Spec section 9: both keys absent (off) or both present; r0 >= 0, w > 0, r0 + w < cutoff,
    and only together with a repulsion."""
    keys = ("network_inner_cutoff", "network_inner_width")
    present = [k in meta for k in keys]
    if not any(present):
        return {"network_inner_cutoff": 0.0, "network_inner_width": 0.0}
    if not all(present):
        raise ValueError(f"{path}: {keys[0]} and {keys[1]} must both be present")
    r0, w = float(meta[keys[0]]), float(meta[keys[1]])
    if not (math.isfinite(r0) and r0 >= 0 and math.isfinite(w) and w > 0 and r0 + w < cfg["cutoff"]):
        raise ValueError(f"{path}: network inner cutoff {r0} + width {w} is not a switch inside the cutoff")
    if cfg.get("repulsion", "none") == "none":
        raise ValueError(f"{path}: a network inner cutoff needs a repulsion")
    return {"network_inner_cutoff": r0, "network_inner_width": w}


def parse_repulsion(meta, cfg, path="model"):
    """Spec section 8: `repulsion` none (or absent; the other keys are then ignored) or zbl with one
    positive finite radius per species and a positive finite scale c (default 1), c (r_i + r_j) <= cutoff."""
    kind = meta.get("repulsion", "none")
    if kind == "none":
        return {"repulsion": "none", "repulsion_radii": [], "repulsion_cutoff_scale": 1.0}
    if kind != "zbl":
        raise ValueError(f"{path}: repulsion = {kind!r}, expected 'none' or 'zbl'")
    if "repulsion_radii" not in meta:
        raise ValueError(f"{path}: repulsion zbl needs repulsion_radii")
    radii = json.loads(meta["repulsion_radii"])
    if not isinstance(radii, list) or not all(isinstance(r, (int, float)) and not isinstance(r, bool) for r in radii):
        raise ValueError(f"{path}: repulsion_radii is not a JSON list of numbers")
    radii = [float(r) for r in radii]
    if len(radii) != len(cfg["species"]):
        raise ValueError(f"{path}: {len(radii)} repulsion radii for {len(cfg['species'])} species")
    if not all(math.isfinite(r) and r > 0 for r in radii):
        raise ValueError(f"{path}: repulsion radii must be positive and finite")
    c = float(meta.get("repulsion_cutoff_scale", "1"))
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"{path}: repulsion_cutoff_scale must be positive and finite")
    if c * (max(radii) + max(radii)) > cfg["cutoff"]:
        raise ValueError(f"{path}: a repulsion pair cutoff exceeds the model cutoff {cfg['cutoff']}")
    return {"repulsion": "zbl", "repulsion_radii": radii, "repulsion_cutoff_scale": c}


# stored dtype of each tensor for each weight_dtype (spec section 3, "Weight dtypes")
def stored_dtype(weight_dtype, name, ndim):
    if name == "energy.reference":
        return "F64"
    if weight_dtype == "int8":
        return "I8" if ndim == 2 else "F32"
    return {"fp64": "F64", "fp32": "F32", "fp16": "F16"}[weight_dtype]


def read_model(path, strict=True):
    """Reads a painn-md file: returns (config, {name: float64 torch tensor}).

    int8 tensors are dequantized once, w[r, c] = q[r, c] * scale[r] (exact in float64). With
    strict, every tensor must be present with the spec's shape and stored dtype, and nothing else.
    """
    meta, raw = read_safetensors(path)
    cfg = parse_config(meta, path)
    shapes = expected_shapes(cfg)
    params = {}
    for name, arr in raw.items():
        if name.endswith(".scale") and raw.get(name[:-len(".scale")]) is not None \
                and raw[name[:-len(".scale")]].dtype == np.int8:
            continue  # consumed with its I8 tensor
        if arr.dtype == np.int8:
            if name + ".scale" not in raw:
                raise ValueError(f"{path}: I8 tensor {name} has no {name}.scale")
            scale = raw[name + ".scale"]
            if arr.ndim != 2 or scale.dtype != np.float32 or scale.shape != (arr.shape[0],):
                raise ValueError(f"{path}: {name}: int8 needs a 2-D tensor and an F32 scale of shape [rows]")
            if np.abs(arr.astype(np.int32)).max(initial=0) > 127:
                raise ValueError(f"{path}: {name}: int8 value -128 is outside [-127, 127]")
            value = arr.astype(np.float64) * scale.astype(np.float64)[:, None]
        else:
            value = arr.astype(np.float64)
        if strict:
            if name not in shapes:
                raise ValueError(f"{path}: unexpected tensor {name}")
            if tuple(arr.shape) != shapes[name]:
                raise ValueError(f"{path}: {name} has shape {list(arr.shape)}, expected {list(shapes[name])}")
            want = stored_dtype(cfg["weight_dtype"], name, arr.ndim)
            got = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
                   np.dtype("int8"): "I8"}[arr.dtype]
            if got != want:
                raise ValueError(f"{path}: {name} stored as {got}, weight_dtype {cfg['weight_dtype']} wants {want}")
        params[name] = torch.tensor(value, dtype=torch.float64)
    absent = [k for k in shapes if k not in params]
    if absent:
        raise ValueError(f"{path}: missing tensors {absent}")
    return cfg, params


def quantize_int8(w):
    """Spec section 3: symmetric per-row int8. Returns (q int8, scale float32); w = q * scale."""
    amax = np.abs(w).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale.astype(np.float64)[:, None]), -127, 127).astype(np.int8)
    return q, scale


def write_model(path, config, tensors, dtype="fp32", provenance=None, metadata_overrides=None):
    """Writes a painn-md v1 file from a config and float64 tensors (numpy or torch), in `dtype`
    (fp64, fp32, fp16 or int8). metadata_overrides replaces header entries verbatim (tests use it to
    write deliberately invalid files)."""
    if dtype not in ("fp64", "fp32", "fp16", "int8"):
        raise ValueError(f"unknown weight dtype {dtype}")
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "hidden": str(config["hidden"]), "layers": str(config["layers"]), "rbf": str(config["rbf"]),
        "cutoff": format(float(config["cutoff"]), ".17g"), "radial_basis": config.get("basis", "bessel"),
        "cutoff_function": "cosine", "activation": "silu",
        "shared_filters": "true" if config.get("shared_filters") else "false",
        "head_hidden": json.dumps(list(config["head_hidden"])), "species": json.dumps(list(config["species"])),
        "energy_scale": format(float(config.get("scale", 1.0)), ".17g"),
        "energy_shift": format(float(config.get("shift", 0.0)), ".17g"),
        "units_length": "angstrom", "units_energy": "eV", "weight_dtype": dtype,
        "provenance": json.dumps(provenance or {"creator": "tests/oracle/painn_torch.py"}),
    }
    if config.get("repulsion", "none") == "zbl":
        meta["repulsion"] = "zbl"
        meta["repulsion_radii"] = json.dumps([float(r) for r in config["repulsion_radii"]])
        meta["repulsion_cutoff_scale"] = format(float(config.get("repulsion_cutoff_scale", 1.0)), ".17g")
    if config.get("network_inner_width", 0.0) > 0:
        meta["network_inner_cutoff"] = format(float(config["network_inner_cutoff"]), ".17g")
        meta["network_inner_width"] = format(float(config["network_inner_width"]), ".17g")
    if config.get("vector_norm_epsilon", 1e-8) != 1e-8:
        meta["vector_norm_epsilon"] = format(float(config["vector_norm_epsilon"]), ".17g")
    meta.update(metadata_overrides or {})
    shapes = expected_shapes(config)
    blobs = {}
    for name in sorted(tensors):
        v = tensors[name]
        v = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
        v = v.astype(np.float64)
        if name in shapes and tuple(v.shape) != shapes[name]:
            raise ValueError(f"{name}: shape {v.shape}, expected {shapes[name]}")
        tag = stored_dtype(dtype, name, v.ndim)
        if tag == "I8":
            q, scale = quantize_int8(v)
            blobs[name] = ("I8", q)
            blobs[name + ".scale"] = ("F32", scale)
        else:
            if tag == "F16" and np.abs(v).max(initial=0) > 65504:
                raise ValueError(f"{name}: values beyond the fp16 range")
            blobs[name] = (tag, v)
    write_safetensors(path, meta, blobs)


# Covalent radii (Cordero et al. 2008; C sp3), Angstrom: the spec's writer default for ZBL radii.
COVALENT_RADII = {1: 0.31, 6: 0.76, 7: 0.71, 8: 0.66, 9: 0.57, 16: 1.05, 17: 1.02}


def random_model(hidden, layers, rbf, cutoff=5.0, species=(1, 6, 7, 8), basis="bessel", shared_filters=False,
                 seed=0, head_hidden=None, scale=0.7, shift=-0.2, repulsion="none", repulsion_radii=None,
                 repulsion_cutoff_scale=1.0, network_inner=(0.0, 0.0)):
    """A model with reasonable random weights: dense weights normal / sqrt(fan_in), small biases,
    reference energies uniform in [-1000, -10] eV. Returns (config, {name: float64 numpy array}).
    repulsion="zbl" adds the spec's section 8 repulsion (default radii: COVALENT_RADII)."""
    if isinstance(cutoff, (list, tuple)):  # also accept the older order (hidden, layers, rbf, species, cutoff)
        cutoff, species = (species if isinstance(species, (int, float)) else 5.0), cutoff
    rng = np.random.default_rng(seed)
    H, S = hidden, len(species)
    cfg = {"hidden": H, "layers": layers, "rbf": rbf, "cutoff": float(cutoff), "basis": basis,
           "shared_filters": bool(shared_filters), "species": [int(z) for z in species],
           "head_hidden": [H // 2] if head_hidden is None else list(head_hidden),
           "scale": scale, "shift": shift, "weight_dtype": "fp64", "repulsion": repulsion,
           "repulsion_radii": ([COVALENT_RADII[int(z)] for z in species] if repulsion_radii is None
                               else list(repulsion_radii)) if repulsion == "zbl" else [],
           "repulsion_cutoff_scale": float(repulsion_cutoff_scale),
           "network_inner_cutoff": float(network_inner[0]), "network_inner_width": float(network_inner[1])}
    F = filter_sets(cfg)

    def dense(out, fan_in, gain=1.0):
        return rng.normal(0.0, gain / math.sqrt(fan_in), (out, fan_in)), rng.normal(0.0, 0.1, out)

    p = {"embedding.weight": rng.normal(0.0, 1.0, (S, H)), "energy.reference": rng.uniform(-1000.0, -10.0, S)}
    p["filter.weight"], p["filter.bias"] = dense(3 * H * F, rbf, 0.3)
    for l in range(layers):
        p[f"interaction.{l}.context1.weight"], p[f"interaction.{l}.context1.bias"] = dense(H, H)
        p[f"interaction.{l}.context2.weight"], p[f"interaction.{l}.context2.bias"] = dense(3 * H, H)
        p[f"mixing.{l}.vector_mix.weight"] = dense(2 * H, H)[0]
        p[f"mixing.{l}.context1.weight"], p[f"mixing.{l}.context1.bias"] = dense(H, 2 * H)
        p[f"mixing.{l}.context2.weight"], p[f"mixing.{l}.context2.bias"] = dense(3 * H, H)
    w = head_widths(cfg)
    for k in range(len(w) - 1):
        p[f"head.{k}.weight"], p[f"head.{k}.bias"] = dense(w[k + 1], w[k])
    return cfg, p


def as_model(cfg, params):
    """(config, numpy or torch params) -> (config, float64 torch params), the form read_model returns."""
    return cfg, {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) if not isinstance(v, torch.Tensor)
                 else v.to(torch.float64) for k, v in params.items()}


# =============================================================== spec section 4: the network
def silu(x):
    """SiLU(x) = x / (1 + exp(-x))."""
    return x * torch.sigmoid(x)


def dense(p, name, x):
    """y = W x + b with W stored [out, in]."""
    return x @ p[name + ".weight"].T + p[name + ".bias"]


def radial_basis(cfg, d):
    """Spec 4, radial basis: Bessel sin(n pi d/rc)/d, n = 1..R; or Gaussians centred at rc(n-1)/(R-1),
    width w = rc/(R-1). Returns [E, R]."""
    R, rc = cfg["rbf"], cfg["cutoff"]
    n = torch.arange(1, R + 1, dtype=d.dtype)
    d = d[:, None]
    if cfg["basis"] == "bessel":
        return torch.sin(n * math.pi * d / rc) / d
    width = rc / (R - 1)
    centres = rc * (n - 1) / (R - 1)
    return torch.exp(-((d - centres) ** 2) / (2 * width ** 2))


def cosine_cutoff(cfg, d):
    """Spec 4: f(d) = (cos(pi d/rc) + 1)/2 for d < rc, else 0."""
    rc = cfg["cutoff"]
    return torch.where(d < rc, 0.5 * (torch.cos(math.pi * d / rc) + 1.0), torch.zeros_like(d))


def network_inner_switch(cfg, d):
    """Spec 9: 0 below r0, 1 above r0 + w, the quintic smoothstep of x = (d - r0)/w between
    (1 everywhere when the file has no inner cutoff)."""
    w = cfg.get("network_inner_width", 0.0)
    if w <= 0:
        return torch.ones_like(d)
    x = torch.clamp((d - cfg["network_inner_cutoff"]) / w, 0.0, 1.0)
    return 10 * x ** 3 - 15 * x ** 4 + 6 * x ** 5


def filters(cfg, p, d):
    """Spec 4, filters: W_ij = (A phi(d_ij) + a) f(d_ij) s(d_ij) for all F filter blocks at once:
    [E, 3HF]; s is section 9's inner switch."""
    envelope = cosine_cutoff(cfg, d) * network_inner_switch(cfg, d)
    return dense(p, "filter", radial_basis(cfg, d)) * envelope[:, None]


def layer_filter(cfg, W_all, l):
    """Spec 3: layer l uses filter rows 3H l .. 3H(l+1)-1 (rows 0..3H-1 when shared)."""
    H = cfg["hidden"]
    f = 0 if cfg["shared_filters"] else l
    return W_all[:, 3 * H * f:3 * H * (f + 1)]


def split3(x, H):
    """Splits the last axis of a 3H vector into its three H blocks, in stored order."""
    return x[..., :H], x[..., H:2 * H], x[..., 2 * H:]


def interaction(cfg, p, l, q, mu, W, i, j, u):
    """Spec 4, interaction l. q [N, H], mu [N, 3, H]; edge e carries the message j[e] -> i[e].
    x = context2(SiLU(context1(q))) = [xs, xvr, xvv];
    dq_i = sum_j Ws_ij xs_j;  dmu_i = sum_j (Wvr_ij xvr_j) u_ij + (Wvv_ij xvv_j) mu_j."""
    H = cfg["hidden"]
    x = dense(p, f"interaction.{l}.context2", silu(dense(p, f"interaction.{l}.context1", q)))
    ws, wvr, wvv = split3(W * x[j], H)  # W * x_j = [Ws*xs_j, Wvr*xvr_j, Wvv*xvv_j]
    dq = torch.zeros_like(q).index_add(0, i, ws)
    dmu = torch.zeros_like(mu).index_add(0, i, wvr[:, None, :] * u[:, :, None] + wvv[:, None, :] * mu[j])
    return q + dq, mu + dmu


def mixing(cfg, p, l, q, mu):
    """Spec 4, mixing l: [V, U] = vector_mix(mu) per Cartesian component; n = sqrt(sum_xyz V^2 + eps)
    (eps: spec section 10, 1e-8 unless the file says otherwise);
    [a, b, c] = context2(SiLU(context1([q, n]))); q += a + c sum_xyz V U; mu += b U."""
    H = cfg["hidden"]
    vu = mu @ p[f"mixing.{l}.vector_mix.weight"].T  # [N, 3, 2H]
    V, U = vu[..., :H], vu[..., H:]
    n = torch.sqrt((V * V).sum(dim=1) + cfg.get("vector_norm_epsilon", 1e-8))
    a, b, c = split3(dense(p, f"mixing.{l}.context2",
                           silu(dense(p, f"mixing.{l}.context1", torch.cat([q, n], dim=1)))), H)
    return q + a + c * (V * U).sum(dim=1), mu + b[:, None, :] * U


def head(cfg, p, q):
    """Spec 4, head: dense layers with SiLU between, none after the last; y_i [N]."""
    h = q
    n_layers = len(cfg["head_hidden"]) + 1
    for k in range(n_layers):
        h = dense(p, f"head.{k}", h)
        if k + 1 < n_layers:
            h = silu(h)
    return h[:, 0]


def atomic_energies(cfg, p, species_idx, i, j, rij):
    """Per-atom energies E_i = energy_scale y_i + energy_shift + energy.reference[species_i] (spec 4).
    species_idx: row of each atom in the embedding; rij[e] = R_j - R_i + shift for edge e = (i[e], j[e])."""
    d = torch.linalg.norm(rij, dim=1)
    u = rij / d[:, None]
    W_all = filters(cfg, p, d)
    q = p["embedding.weight"][species_idx]  # start: q_i = embedding[species_i], mu_i = 0
    mu = torch.zeros(q.shape[0], 3, cfg["hidden"], dtype=q.dtype)
    for l in range(cfg["layers"]):
        q, mu = interaction(cfg, p, l, q, mu, layer_filter(cfg, W_all, l), i, j, u)
        q, mu = mixing(cfg, p, l, q, mu)
    y = head(cfg, p, q)
    ref = p["energy.reference"].to(torch.float64)[species_idx]
    energies = cfg["scale"] * y.to(torch.float64) + cfg["shift"] + ref
    if cfg.get("repulsion", "none") == "zbl":
        energies = energies + zbl_atomic_energies(cfg, species_idx, i, j, rij)
    return energies


# =============================================================== spec section 8: pair repulsion
ZBL_KE = 14.399645478425668  # eV A
ZBL_PHI = ((0.18175, 3.19980), (0.50986, 0.94229), (0.28022, 0.40290), (0.02817, 0.20162))


def zbl_pair_energy(zi, zj, r, r_max):
    """E_ij = (k_e Zi Zj / r) phi(r / a) envelope(r / r_max), a = 0.46850 / (Zi^0.23 + Zj^0.23),
    envelope(x) = 1 - (p+1)(p+2)/2 x^p + p(p+2) x^(p+1) - p(p+1)/2 x^(p+2) (p = 6) for x < 1, else 0.
    Tensors (float64) of equal shape; differentiable by autograd."""
    a = 0.46850 / (zi ** 0.23 + zj ** 0.23)
    x = r / a
    phi = sum(c * torch.exp(-d * x) for c, d in ZBL_PHI)
    p = 6
    t = torch.clamp(r / r_max, max=1.0)
    envelope = 1 - (p + 1) * (p + 2) / 2 * t ** p + p * (p + 2) * t ** (p + 1) - p * (p + 1) / 2 * t ** (p + 2)
    return torch.where(r < r_max, ZBL_KE * zi * zj / r * phi * envelope, torch.zeros_like(r))


def zbl_atomic_energies(cfg, species_idx, i, j, rij):
    """Half of each ordered pair's energy to its centre i: the full list holds both directions."""
    z = torch.tensor(cfg["species"], dtype=torch.float64)[species_idx]
    radii = torch.tensor(cfg["repulsion_radii"], dtype=torch.float64)[species_idx]
    r_max = cfg["repulsion_cutoff_scale"] * (radii[i] + radii[j])
    e_pair = zbl_pair_energy(z[i], z[j], torch.linalg.norm(rij, dim=1), r_max)
    return torch.zeros(len(species_idx), dtype=torch.float64).index_add(0, i, 0.5 * e_pair)


# =============================================================== neighbours, energy, forces, stress
def species_indices(cfg, atoms):
    index = {z: k for k, z in enumerate(cfg["species"])}
    unknown = sorted(set(int(z) for z in atoms.numbers) - set(index))
    if unknown:
        raise ValueError(f"atomic numbers {unknown} are not among the model's species {cfg['species']}")
    return torch.tensor([index[int(z)] for z in atoms.numbers], dtype=torch.long)


def graph(cfg, atoms):
    """Full neighbour list (both directions, periodic images included, spec 4 'Neighbours') from ASE.
    Returns species indices, i, j and the integer image shifts S (r_ij = R_j - R_i + S @ cell)."""
    from ase.neighborlist import neighbor_list
    i, j, S = neighbor_list("ijS", atoms, cfg["cutoff"])
    return (species_indices(cfg, atoms), torch.tensor(i, dtype=torch.long), torch.tensor(j, dtype=torch.long),
            torch.tensor(S, dtype=torch.float64))


def evaluate(model, atoms, params=None):
    """Energy, per-atom energies, forces, virial and stress of an ase.Atoms, all float64 numpy.

    Forces F = -dE/dR by autograd. Strain: a symmetric eps deforms positions and cell alike,
    R -> R (I + eps), cell -> cell (I + eps); then virial W = -dE/deps (= -sum_edges r_ij (x) dE/dr_ij)
    and, for fully periodic systems only, stress = (1/V) dE/deps = -W/V in ASE's Voigt order
    (xx yy zz yz xz xy, eV/A^3). Mixed or no periodicity: stress None."""
    cfg, p = model
    p = params if params is not None else p
    species_idx, i, j, S = graph(cfg, atoms)
    pos = torch.tensor(atoms.positions, dtype=torch.float64, requires_grad=True)
    cell = torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)
    strain = torch.zeros(3, 3, dtype=torch.float64, requires_grad=True)
    deform = torch.eye(3, dtype=torch.float64) + 0.5 * (strain + strain.T)
    pos_d, cell_d = pos @ deform, cell @ deform
    rij = pos_d[j] - pos_d[i] + S @ cell_d
    energies = atomic_energies(cfg, p, species_idx, i, j, rij)
    energy = energies.sum()
    g_pos, g_strain = torch.autograd.grad(energy, [pos, strain])
    virial = -g_strain.numpy()
    stress = None
    if atoms.pbc.all():
        s = g_strain.numpy() / atoms.get_volume()
        stress = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
    return {"energy": energy.item(), "energies": energies.detach().numpy(), "forces": -g_pos.numpy(),
            "virial": virial, "stress": stress}


def energy_forces_stress(model, atoms, params=None):
    """(energy eV, forces eV/A [N, 3], stress ASE Voigt eV/A^3 or None, virial 3x3 eV)."""
    r = evaluate(model, atoms, params)
    return r["energy"], r["forces"], r["stress"], r["virial"]


def edge_virial(model, atoms):
    """W = -sum_edges r_ij (x) dE/dr_ij computed directly from edge gradients (spec 6), unsymmetrized:
    a cross-check of the strain route (they agree when E is rotation invariant)."""
    cfg, p = model
    species_idx, i, j, S = graph(cfg, atoms)
    pos = torch.tensor(atoms.positions, dtype=torch.float64)
    rij = (pos[j] - pos[i] + S @ torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)).requires_grad_(True)
    (g,) = torch.autograd.grad(atomic_energies(cfg, p, species_idx, i, j, rij).sum(), [rij])
    return -(rij.detach().T @ g).numpy()


def parameter_gradients(model, atoms, ref_forces=None):
    """dE/dtheta and, with ref_forces, d(sum |F - F_ref|^2)/dtheta by double backward (float64)."""
    cfg, p0 = model
    p = {k: v.clone().requires_grad_(k != "energy.reference") for k, v in p0.items()}
    species_idx, i, j, S = graph(cfg, atoms)
    pos = torch.tensor(atoms.positions, dtype=torch.float64, requires_grad=True)
    cell = torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)
    rij = pos[j] - pos[i] + S @ cell
    energy = atomic_energies(cfg, p, species_idx, i, j, rij).sum()
    names = [k for k in p if k != "energy.reference"]
    gE = torch.autograd.grad(energy, [p[k] for k in names], create_graph=ref_forces is not None, retain_graph=True)
    out = {"energy": {k: g.detach().numpy() for k, g in zip(names, gE)}}
    if ref_forces is not None:
        (g_pos,) = torch.autograd.grad(energy, [pos], create_graph=True)
        loss = ((-g_pos - torch.tensor(ref_forces, dtype=torch.float64)) ** 2).sum()
        gF = torch.autograd.grad(loss, [p[k] for k in names], allow_unused=True)  # the last bias: no force
        out["force_loss"] = {k: (g.numpy() if g is not None else np.zeros(p[k].shape)) for k, g in zip(names, gF)}
    return out


# =============================================================== timing (bench/)
def time_energy_forces(model, atoms, dtype=torch.float32, threads=1, repeats=5, warmup=1):
    """Median ms of energy + forces (forward + autograd backward) in `dtype` on `threads` threads.
    The neighbour list and the edge shifts are computed once, outside the timed region."""
    torch.set_num_threads(threads)
    cfg, p = model
    p = {k: (v if k == "energy.reference" else v.to(dtype)) for k, v in p.items()}
    species_idx, i, j, S = graph(cfg, atoms)
    shift = (S @ torch.tensor(np.asarray(atoms.cell), dtype=torch.float64)).to(dtype)
    positions = torch.tensor(atoms.positions, dtype=dtype)
    times = []
    for r in range(warmup + repeats):
        t0 = time.perf_counter()
        pos = positions.clone().requires_grad_(True)
        energy = atomic_energies(cfg, p, species_idx, i, j, pos[j] - pos[i] + shift).sum()
        (g,) = torch.autograd.grad(energy, [pos])
        if r >= warmup:
            times.append(1000.0 * (time.perf_counter() - t0))
    return float(np.median(times))


def time_training_step(model, frames, dtype=torch.float64, threads=1, repeats=3, force_weight=10.0, batched=True):
    """Median ms of one training step (energy + force loss, double backward) on a batch of frames.
    batched: the frames form one graph (structures side by side), as a batched PyTorch trainer (and
    the C++ trainer) evaluates them; otherwise one graph per frame, summed into one loss. Neighbour
    lists are built once, outside the timed region."""
    torch.set_num_threads(threads)
    cfg, p0 = model
    graphs = [graph(cfg, a) for a in frames]
    shifts = [(S @ torch.tensor(np.asarray(a.cell), dtype=torch.float64)).to(dtype) for a, (_, _, _, S) in zip(frames, graphs)]
    if batched:
        offsets = np.cumsum([0] + [len(a) for a in frames])
        sp = torch.cat([g[0] for g in graphs])
        i = torch.cat([g[1] + int(o) for g, o in zip(graphs, offsets)])
        j = torch.cat([g[2] + int(o) for g, o in zip(graphs, offsets)])
        shift = torch.cat(shifts)
        owner = torch.cat([torch.full((len(a),), s, dtype=torch.long) for s, a in enumerate(frames)])
        positions = torch.tensor(np.concatenate([a.positions for a in frames]), dtype=dtype)
        e_ref = torch.tensor([float(a.info.get("energy", 0.0)) for a in frames], dtype=torch.float64)
        n_atoms = torch.tensor([len(a) for a in frames], dtype=torch.float64)
        per_component = (1.0 / (3.0 * n_atoms[owner])).to(dtype)  # mean over each frame's components
    times = []
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        p = {k: v.to(dtype).requires_grad_(True) for k, v in p0.items()}
        if batched:
            pos = positions.clone().requires_grad_(True)
            e_atom = atomic_energies(cfg, p, sp, i, j, pos[j] - pos[i] + shift)
            e = torch.zeros(len(frames), dtype=e_atom.dtype).index_add(0, owner, e_atom)
            (g,) = torch.autograd.grad(e.sum(), [pos], create_graph=True)
            loss = (((e - e_ref) / n_atoms) ** 2).sum() + force_weight * ((g ** 2).sum(1) * per_component).sum()
        else:
            loss = 0
            for a, (sp1, i1, j1, _), shift1 in zip(frames, graphs, shifts):
                pos = torch.tensor(a.positions, dtype=dtype, requires_grad=True)
                e = atomic_energies(cfg, p, sp1, i1, j1, pos[j1] - pos[i1] + shift1).sum()
                (g,) = torch.autograd.grad(e, [pos], create_graph=True)
                loss = loss + ((e - float(a.info.get("energy", 0.0))) / len(a)) ** 2 + force_weight * (g ** 2).mean()
        torch.autograd.grad(loss, list(p.values()), allow_unused=True)
        if r:
            times.append(1000 * (time.perf_counter() - t0))
    return float(np.median(times))


# =============================================================== CLI
class full_precision_extxyz:
    """ASE 3.22 writes per-atom extxyz columns as %16.8f; inside this context they are written with
    17 significant digits, so forces read back exactly (info values such as energy already are)."""

    def __enter__(self):
        import ase.io.extxyz as extxyz
        self.module, self.original = extxyz, extxyz.output_column_format

        def columns(*args, **kwargs):
            comment, ncols, dtype, fmt = self.original(*args, **kwargs)
            return comment, ncols, dtype, fmt.replace("%16.8f", "%25.17e")
        extxyz.output_column_format = columns
        return self

    def __exit__(self, *exc):
        self.module.output_column_format = self.original


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval", help="energy, forces, stress of every frame (fp64)")
    e.add_argument("model")
    e.add_argument("input")
    e.add_argument("-o", "--output", required=True)
    r = sub.add_parser("random", help="write a model with random weights")
    r.add_argument("output")
    r.add_argument("--hidden", type=int, default=32)
    r.add_argument("--layers", type=int, default=2)
    r.add_argument("--rbf", type=int, default=10)
    r.add_argument("--cutoff", type=float, default=5.0)
    r.add_argument("--species", default="1,6,7,8", help="atomic numbers, comma separated")
    r.add_argument("--basis", default="bessel", choices=["bessel", "gaussian"])
    r.add_argument("--shared-filters", action="store_true")
    r.add_argument("--head-hidden", default=None, help="comma separated hidden widths (default H/2)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--dtype", default="fp32", choices=["fp64", "fp32", "fp16", "int8"])
    r.add_argument("--repulsion", default="none", choices=["none", "zbl"])
    r.add_argument("--repulsion-scale", type=float, default=1.0)
    i = sub.add_parser("info", help="config and parameter count as JSON")
    i.add_argument("model")
    a = ap.parse_args(argv)
    if a.cmd == "eval":
        import ase.io
        from ase.calculators.singlepoint import SinglePointCalculator
        model = read_model(a.model)
        frames = ase.io.read(a.input, ":")
        for atoms in frames:
            res = evaluate(model, atoms)
            atoms.calc = SinglePointCalculator(atoms, energy=res["energy"], energies=res["energies"],
                                               forces=res["forces"], stress=res["stress"])
        with full_precision_extxyz():
            ase.io.write(a.output, frames, format="extxyz")
    elif a.cmd == "random":
        head_hidden = [int(w) for w in a.head_hidden.split(",")] if a.head_hidden else None
        cfg, p = random_model(a.hidden, a.layers, a.rbf, a.cutoff, [int(z) for z in a.species.split(",")],
                              a.basis, a.shared_filters, seed=a.seed, head_hidden=head_hidden,
                              repulsion=a.repulsion, repulsion_cutoff_scale=a.repulsion_scale)
        write_model(a.output, cfg, p, a.dtype, provenance={"creator": "painn_torch.py random", "seed": a.seed})
    else:
        cfg, _ = read_model(a.model)
        out = {k: v for k, v in cfg.items() if k != "metadata"}
        out["parameters"] = parameter_count(cfg)
        out["bytes"] = Path(a.model).stat().st_size
        print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
