#!/usr/bin/env python3
"""Packs the v2 splits into compact files that can be committed, and unpacks them.

    pack_v2.py pack DIR OUTDIR      DIR/{train,val,test,test_unseen,test_unseen_v1}.extxyz
                                    -> OUTDIR/NAME.v2.xz + OUTDIR/SHA256SUMS
    pack_v2.py unpack PACKDIR DIR   checks SHA256SUMS, writes DIR/NAME.extxyz

Format of NAME.v2.xz (xz-compressed; inside, a NumPy .npz archive):
  numbers uint8 [atoms]; natoms int32 [frames]; energy float64 [frames] (eV);
  positions int32 [atoms, 3]: multiples of 1e-5 A, exact (assemble_v2.py put the positions on
    that grid before the teacher labelled them);
  forces int32 [atoms, 3]: multiples of 1e-4 eV/A (rounded: at most 5e-5 eV/A off);
  teacher_force_std float16 [atoms] (eV/A); teacher_energy_std float32 [frames];
  gfn2_energy float64 [frames] (NaN where absent); gfn2_forces like forces (absent: INT32_MIN);
  info: JSON list of per-frame dicts.
The int32 arrays are stored byte-plane shuffled (all first bytes, then all second bytes, ...),
so that xz sees the nearly constant high bytes together.
"""
import hashlib
import io
import json
import lzma
import os
import sys

import ase
import ase.io
import numpy as np

SPLITS = ("train", "val", "test", "test_unseen", "test_unseen_v1")
SHUFFLED = ("positions", "forces", "gfn2_forces")
POSITION_UNIT, FORCE_UNIT = 1e-5, 1e-4
ABSENT = np.iinfo(np.int32).min


def to_grid(x, unit):
    q = np.round(np.asarray(x) / unit)
    if np.abs(q).max(initial=0) >= 2**31 - 1:
        sys.exit("pack_v2: value out of the int32 range")
    return q.astype(np.int32)


def shuffle(a):
    b = np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.itemsize)
    return np.ascontiguousarray(b.T).reshape(-1)


def unshuffle(b, dtype, shape):
    size = np.dtype(dtype).itemsize
    return np.ascontiguousarray(b.reshape(size, -1).T).view(dtype).reshape(shape)


def pack(src, dst):
    os.makedirs(dst, exist_ok=True)
    sums = []
    for name in SPLITS:
        path = os.path.join(src, f"{name}.extxyz")
        if not os.path.exists(path):
            continue
        frames = ase.io.read(path, ":")
        n = np.array([len(f) for f in frames], dtype=np.int32)
        arr = {
            "numbers": np.concatenate([f.numbers for f in frames]).astype(np.uint8),
            "natoms": n,
            "energy": np.array([f.get_potential_energy() for f in frames]),
            "positions": to_grid(np.concatenate([f.positions for f in frames]), POSITION_UNIT),
            "forces": to_grid(np.concatenate([f.get_forces() for f in frames]), FORCE_UNIT),
            "teacher_force_std": np.concatenate(
                [f.arrays.get("teacher_force_std", np.full(len(f), np.nan)) for f in frames]).astype(np.float16),
            "teacher_energy_std": np.array([f.info.get("teacher_energy_std", np.nan) for f in frames], np.float32),
            "gfn2_energy": np.array([f.info.get("gfn2_energy", np.nan) for f in frames]),
            "gfn2_forces": np.concatenate([to_grid(f.arrays["gfn2_forces"], FORCE_UNIT) if "gfn2_forces" in f.arrays
                                           else np.full((len(f), 3), ABSENT, np.int32) for f in frames]),
        }
        if np.abs(arr["positions"] * POSITION_UNIT - np.concatenate([f.positions for f in frames])).max() > 1e-9:
            sys.exit(f"pack_v2: {name}: positions are not on the 1e-5 A grid (assemble_v2.py puts them there)")
        keep = ("molecule", "split", "temperature", "distortion", "teacher", "label_index", "scaffold")
        plain = lambda v: v.item() if isinstance(v, np.generic) else v  # noqa: E731
        info = [{k: plain(f.info[k]) for k in keep if k in f.info} for f in frames]
        out = {}
        for k, v in arr.items():
            out[k] = shuffle(v) if k in SHUFFLED else v
            out[k + ".shape"] = np.array(v.shape)
        out["info"] = np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **out)
        target = os.path.join(dst, f"{name}.v2.xz")
        with open(target, "wb") as f:
            f.write(lzma.compress(buf.getvalue(), preset=9))
        sums.append(f"{hashlib.sha256(open(target, 'rb').read()).hexdigest()}  {name}.v2.xz")
        print(f"pack_v2: {name}: {len(frames)} frames, {os.path.getsize(target) / 1e6:.2f} MB")
    with open(os.path.join(dst, "SHA256SUMS"), "w") as f:
        f.write("\n".join(sums) + "\n")


def unpack(src, dst):
    os.makedirs(dst, exist_ok=True)
    expected = dict(reversed(line.split()) for line in open(os.path.join(src, "SHA256SUMS")) if line.strip())
    for name in SPLITS:
        path = os.path.join(src, f"{name}.v2.xz")
        if f"{name}.v2.xz" not in expected:
            continue
        raw = open(path, "rb").read()
        if hashlib.sha256(raw).hexdigest() != expected[f"{name}.v2.xz"]:
            sys.exit(f"pack_v2: {path}: checksum mismatch")
        z = np.load(io.BytesIO(lzma.decompress(raw)))
        arr = {}
        for k in z.files:
            if k.endswith(".shape") or k == "info":
                continue
            shape = tuple(z[k + ".shape"])
            arr[k] = unshuffle(z[k], np.int32, shape) if k in SHUFFLED else z[k]
        info = json.loads(bytes(z["info"]).decode())
        frames, a0 = [], 0
        for k, n in enumerate(arr["natoms"]):
            sl = slice(a0, a0 + n)
            a0 += n
            f = ase.Atoms(numbers=arr["numbers"][sl], positions=arr["positions"][sl] * POSITION_UNIT)
            f.info.update(info[k])
            f.info["energy"] = float(arr["energy"][k])
            f.arrays["forces"] = arr["forces"][sl] * FORCE_UNIT
            if not np.isnan(arr["teacher_energy_std"][k]):
                f.info["teacher_energy_std"] = float(arr["teacher_energy_std"][k])
                f.arrays["teacher_force_std"] = arr["teacher_force_std"][sl].astype(np.float64)
            if not np.isnan(arr["gfn2_energy"][k]):
                f.info["gfn2_energy"] = float(arr["gfn2_energy"][k])
                f.arrays["gfn2_forces"] = arr["gfn2_forces"][sl] * FORCE_UNIT
            frames.append(f)
        ase.io.write(os.path.join(dst, f"{name}.extxyz"), frames, format="extxyz")
        print(f"pack_v2: {name}: {len(frames)} frames -> {dst}/{name}.extxyz")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("pack", "unpack"):
        sys.exit(__doc__)
    (pack if sys.argv[1] == "pack" else unpack)(sys.argv[2], sys.argv[3])
