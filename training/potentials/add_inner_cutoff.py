#!/usr/bin/env python3
"""Adds the network inner cutoff (docs/model-format.md section 9) to model files trained before it
existed, in place (files that already have these values are left alone): only the metadata changes, every tensor byte stays as it was, so results for
structures whose pairs are all >= r0 + w apart are bit for bit the same. The file must carry a
repulsion (the reader refuses the keys without one). It also sets the mixing block's vector norm
epsilon (section 10; 1e-3 rounds off the cusp that the standard 1e-8 leaves at centres of
symmetry; that one does change results, by at most sqrt(eps) per norm). Prints what changed.

Usage: add_inner_cutoff.py MODEL.safetensors [...] [--r0 0.3] [--width 0.3] [--vector-norm-epsilon 1e-3]"""
import argparse
import json
import struct
from pathlib import Path


def rewrite(path, r0, width, eps):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header["__metadata__"]
    if meta.get("repulsion", "none") == "none":
        raise SystemExit(f"{path}: no repulsion in this file; a network inner cutoff would leave close pairs unrepelled")
    before = (meta.get("network_inner_cutoff"), meta.get("network_inner_width"), meta.get("vector_norm_epsilon"))
    after = (format(r0, ".17g"), format(width, ".17g"), format(eps, ".17g") if eps != 1e-8 else None)
    if before == after:
        print(f"{path}: has network_inner_cutoff {before[0]}, width {before[1]}, vector_norm_epsilon {before[2]}")
        return
    meta["network_inner_cutoff"], meta["network_inner_width"] = after[:2]
    meta.pop("vector_norm_epsilon", None)
    if after[2] is not None:
        meta["vector_norm_epsilon"] = after[2]
    prov = json.loads(meta.get("provenance", "{}"))
    prov["network_inner_cutoff_added_by"] = "training/potentials/add_inner_cutoff.py (metadata only)"
    meta["provenance"] = json.dumps(prov, separators=(",", ":"))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data section 8-byte aligned
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + n:])
    print(f"{path}: network_inner_cutoff, width, vector_norm_epsilon {before} -> {after}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+")
    p.add_argument("--r0", type=float, default=0.3)
    p.add_argument("--width", type=float, default=0.3)
    p.add_argument("--vector-norm-epsilon", type=float, default=1e-3)
    a = p.parse_args()
    for m in a.models:
        rewrite(m, a.r0, a.width, a.vector_norm_epsilon)


if __name__ == "__main__":
    main()
