#!/usr/bin/env python3
"""Measures the shipped potentials and writes their cards.

For each size (and each stored precision: fp32 file computed in fp64 and fp32, fp16 and int8
files computed in fp32) on both test sets: energy MAE (meV/atom), force MAE (meV/A), force
cosine error (mean over atoms of 1 - cos(F_pred, F_ref)); parameters and file bytes; speed
(ms per energy+forces of aspirin, 21 atoms; atom-steps/s on a 600-atom periodic box), 1 and
2 threads. Also the direct (teacher-only) students beside their chain counterparts.

Usage: evaluate.py POTENTIALS_DIR DATA_DIR WORK_DIR  -> POTENTIALS_DIR/cards.json, README table
(printed), accuracy_size_speed.png, and test_subset.extxyz with per-file subset MAEs."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "bin"
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
import structures  # noqa: E402

SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]
SUBSET = 40  # configurations of test.extxyz committed for the reproduction test


def painn(*args):
    return subprocess.run([str(BIN / "painn"), *map(str, args)], check=True, capture_output=True, text=True).stdout


def errors(model, data, precision, tmp):
    out = Path(tmp) / "pred.extxyz"
    painn("eval", model, data, "-o", out, "--precision", precision)
    ref, pred = ase.io.read(data, ":"), ase.io.read(out, ":")
    e = np.mean([abs(a.get_potential_energy() - b.get_potential_energy()) / len(a) for a, b in zip(ref, pred)])
    fr = np.concatenate([a.get_forces() for a in ref])
    fp = np.concatenate([b.get_forces() for b in pred])
    cos = np.sum(fr * fp, 1) / (np.linalg.norm(fr, axis=1) * np.linalg.norm(fp, axis=1) + 1e-12)
    return {"energy_mae_meV_atom": 1000 * e, "force_mae_meV_A": 1000 * np.abs(fr - fp).mean(),
            "force_cosine_error": float(np.mean(1 - cos))}


def speed(model, tmp):
    mol, box = Path(tmp) / "mol.extxyz", Path(tmp) / "box.extxyz"
    if not box.exists():
        ase.io.write(mol, structures.molecule(), format="extxyz")
        ase.io.write(box, structures.methane_box(120, seed=1), format="extxyz")
    res = {}
    for t in [1, 2]:
        m = json.loads(subprocess.run([str(x) for x in [BIN / "painn_bench", model, mol, "--threads", t, "--repeats", 20]],
                                      check=True, capture_output=True, text=True).stdout)
        b = json.loads(subprocess.run([str(x) for x in [BIN / "painn_bench", model, box, "--threads", t, "--repeats", 3]],
                                      check=True, capture_output=True, text=True).stdout)
        res[f"molecule_ms_{t}t"] = m["median_ms"]
        res[f"box_atom_steps_per_s_{t}t"] = b["atoms"] / (b["median_ms"] / 1000)
    return res


def main():
    pot, data, work = map(Path, sys.argv[1:4])
    cards = {"sets": {}, "models": []}
    subset = ase.io.read(data / "test.extxyz", f":{SUBSET}")
    ase.io.write(pot / "test_subset.extxyz", subset, format="extxyz")
    for name in ["train", "val", "test", "test_unseen"]:
        fr = ase.io.read(data / f"{name}.extxyz", ":")
        cards["sets"][name] = {"configurations": len(fr), "molecules": len({a.info["molecule"] for a in fr}),
                               "atoms_mean": float(np.mean([len(a) for a in fr]))}
    with tempfile.TemporaryDirectory() as tmp:
        entries = [(s, f"{s}-{p}", p) for s in SIZES for p in ["fp32", "fp16", "int8"]]
        entries += [(d.replace("-direct", ""), d, "fp32") for d in ["compact-direct", "tiny-direct"]]
        for size, stem, stored in entries:
            path = pot / f"{stem}.safetensors" if "direct" not in stem else work / f"{stem}.safetensors"
            if not path.exists():
                continue
            info = json.loads(painn("info", path, "--json"))
            for prec in (["fp64", "fp32"] if stored == "fp32" else ["fp32"]):
                card = {"size": size, "file": path.name, "stored": stored, "compute": prec,
                        "route": "direct" if "direct" in stem else "chain" if size != "current" else "teacher",
                        "parameters": info["parameters"], "bytes": info["bytes"], "elements": info["elements"]}
                card["test"] = errors(path, data / "test.extxyz", prec, tmp)
                card["test_unseen"] = errors(path, data / "test_unseen.extxyz", prec, tmp)
                card["subset_force_mae_meV_A"] = errors(path, pot / "test_subset.extxyz", prec, tmp)["force_mae_meV_A"]
                if prec == "fp32":
                    card["speed"] = speed(path, tmp)
                cards["models"].append(card)
                print(json.dumps(card), file=sys.stderr)
    (pot / "cards.json").write_text(json.dumps(cards, indent=1))
    print_table(cards)
    plot(cards, pot / "accuracy_size_speed.png")


def speed_cells(card):
    """The two speed columns of a card's table row: ms per molecule and atom-steps/s, 1t / 2t."""
    sp = card.get("speed")
    if not sp:
        return "-", "-"
    return (f"{sp['molecule_ms_1t']:.2f} / {sp['molecule_ms_2t']:.2f}",
            f"{sp['box_atom_steps_per_s_1t']:.0f} / {sp['box_atom_steps_per_s_2t']:.0f}")


def print_table(cards):
    print("| potential | file | compute | params | bytes | E MAE test | F MAE test | F MAE unseen | F cos err | ms/molecule 1t / 2t | atom-steps/s box 1t / 2t |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cards["models"]:
        s1, s2 = speed_cells(c)
        print(f"| {c['size']} ({c['route']}) | {c['file']} | {c['compute']} | {c['parameters']:,} | {c['bytes']:,} | "
              f"{c['test']['energy_mae_meV_atom']:.1f} | {c['test']['force_mae_meV_A']:.1f} | "
              f"{c['test_unseen']['force_mae_meV_A']:.1f} | {c['test']['force_cosine_error']:.4f} | {s1} | {s2} |")


def plot(cards, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    chain = [c for c in cards["models"] if c["stored"] == "fp32" and c["compute"] == "fp32" and c["route"] != "direct"]
    for c in chain:
        ax[0].scatter(c["parameters"], c["test"]["force_mae_meV_A"], s=60)
        ax[0].annotate(c["size"], (c["parameters"], c["test"]["force_mae_meV_A"]), textcoords="offset points", xytext=(5, 5))
        ax[1].scatter(c["speed"]["molecule_ms_1t"], c["test"]["force_mae_meV_A"], s=60)
        ax[1].annotate(c["size"], (c["speed"]["molecule_ms_1t"], c["test"]["force_mae_meV_A"]), textcoords="offset points", xytext=(5, 5))
    for c in cards["models"]:
        if c["route"] == "direct":
            ax[0].scatter(c["parameters"], c["test"]["force_mae_meV_A"], marker="x", color="k")
    ax[0].set_xscale("log")
    ax[0].set_xlabel("parameters")
    ax[0].set_ylabel("force MAE vs GFN2-xTB, held-out configurations (meV/A)")
    ax[0].set_title("accuracy vs size (x: direct teacher->student)")
    ax[1].set_xlabel("ms per energy+forces, 21-atom molecule, 1 thread, fp32")
    ax[1].set_title("accuracy vs speed")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
