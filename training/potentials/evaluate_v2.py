#!/usr/bin/env python3
"""Measures the v2 potentials (distilled from ANI-2x, data set v2) and writes their cards.

For every size and stored precision (the fp32 file computed in fp64 and fp32; fp16 and int8
files computed in fp32), on three sets labelled by ANI-2x:
  test            held-out configurations of training molecules
  test_unseen     molecules of MOSES test_scaffolds (never in training, nor their scaffolds)
  test_unseen_v1  the v1 data set's 60 unseen molecules (its GFN2 frames, relabelled)
energy MAE (meV/atom), force MAE (meV/A) and force cosine error; on test_unseen_v1 also the
force MAE and the conformational energy MAE (per molecule, energies minus their mean over the
molecule's frames, per atom) against GFN2-xTB, the v1 teacher. Next to them, the teacher's own
uncertainty on the same frames:
  spread  force: mean over atoms of teacher_force_std / sqrt(3) (the per-component standard
          deviation of the 8 ensemble members; comparable to a per-component MAE);
          energy: mean of teacher_energy_std / atoms;
  ANI-2x vs GFN2-xTB on the v1 frames, computed the same way as the students'.
Also parameters, bytes and speed (painn_bench, fp32: ms for aspirin, atom-steps/s on a
600-atom box, 1 and 2 threads), and, when given, the MD stability (md_stability.py --json) and
teacher speed (bench/teacher_speed.py --json) results.

Usage: evaluate_v2.py POTENTIALS_DIR DATA_DIR [--work DIR (direct-route students)]
         [--md MD.json ...] [--teacher-speed SPEED.json] [--sizes current ...] [--update]
  (--update with --sizes: re-measure those sizes only, keeping the other entries of cards.json;
   --speed-only: re-measure only the speed columns of the existing cards, in one run)
  -> POTENTIALS_DIR/cards.json, test_subset.extxyz (40 test configurations, for the card test),
     accuracy_size_speed.png, and the README tables on stdout."""
import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import SIZES, SUBSET, errors, painn, speed, speed_cells  # noqa: E402

SETS = ["test", "test_unseen", "test_unseen_v1"]


def predict(model, data, precision, tmp):
    out = Path(tmp) / "pred.extxyz"
    painn("eval", model, data, "-o", out, "--precision", precision)
    return ase.io.read(out, ":")


def energy_force_errors(ref_e, ref_f, pred_e, pred_f, natoms):
    """MAEs of energies (per atom) and forces (per component), and the force cosine error."""
    cos = np.sum(ref_f * pred_f, 1) / (np.linalg.norm(ref_f, axis=1) * np.linalg.norm(pred_f, axis=1) + 1e-12)
    return {"energy_mae_meV_atom": float(1000 * np.mean(np.abs(ref_e - pred_e) / natoms)),
            "force_mae_meV_A": float(1000 * np.abs(ref_f - pred_f).mean()),
            "force_cosine_error": float(np.mean(1 - cos))}


def conformational(energies, molecules):
    """Energies minus the mean over each molecule's frames: removes each method's own reference."""
    out = np.array(energies, dtype=float)
    groups = defaultdict(list)
    for k, m in enumerate(molecules):
        groups[m].append(k)
    for idx in groups.values():
        out[idx] -= out[idx].mean()
    return out


class Frames:
    """One labelled set: ANI-2x energies/forces, the ensemble spreads, and GFN2 labels where present."""

    def __init__(self, path):
        fr = ase.io.read(path, ":")
        self.path = path
        self.natoms = np.array([len(a) for a in fr])
        self.energy = np.array([a.get_potential_energy() for a in fr])
        self.forces = np.concatenate([a.get_forces() for a in fr])
        self.molecules = [a.info["molecule"] for a in fr]
        self.force_std = np.concatenate([a.arrays["teacher_force_std"] for a in fr])
        self.energy_std = np.array([a.info["teacher_energy_std"] for a in fr])
        self.gfn2 = all("gfn2_forces" in a.arrays for a in fr)
        if self.gfn2:
            self.gfn2_energy = np.array([a.info["gfn2_energy"] for a in fr])
            self.gfn2_forces = np.concatenate([a.arrays["gfn2_forces"] for a in fr])
        self.summary = {"configurations": len(fr), "molecules": len(set(self.molecules)),
                        "atoms_mean": float(self.natoms.mean()),
                        "teacher_spread": {"force_meV_A": float(1000 * np.mean(self.force_std) / np.sqrt(3)),
                                           "energy_meV_atom": float(1000 * np.mean(self.energy_std / self.natoms))}}
        if self.gfn2:
            self.summary["ani2x_vs_gfn2"] = self.vs_gfn2(self.energy, self.forces)

    def vs_ani2x(self, energy, forces):
        return energy_force_errors(self.energy, self.forces, energy, forces, self.natoms)

    def vs_gfn2(self, energy, forces):
        ref = conformational(self.gfn2_energy, self.molecules)
        pred = conformational(energy, self.molecules)
        return {"force_mae_meV_A": float(1000 * np.abs(self.gfn2_forces - forces).mean()),
                "conformational_energy_mae_meV_atom": float(1000 * np.mean(np.abs(ref - pred) / self.natoms))}


def measure(path, size, route, stored, precision, sets, subset, tmp, measure_speed=True):
    info = json.loads(painn("info", path, "--json"))
    card = {"size": size, "file": path.name, "stored": stored, "compute": precision, "route": route,
            "parameters": info["parameters"], "bytes": info["bytes"], "elements": info["elements"],
            "repulsion": info.get("repulsion", "none")}
    for name, s in sets.items():
        pred = predict(path, s.path, precision, tmp)
        e = np.array([a.get_potential_energy() for a in pred])
        f = np.concatenate([a.get_forces() for a in pred])
        card[name] = s.vs_ani2x(e, f)
        if s.gfn2:
            card[name]["vs_gfn2"] = s.vs_gfn2(e, f)
    card["subset_force_mae_meV_A"] = float(errors(path, subset, precision, tmp)["force_mae_meV_A"])
    if precision == "fp32" and measure_speed:
        card["speed"] = speed(path, tmp)
    return card


def main():
    p = argparse.ArgumentParser()
    p.add_argument("potentials", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("--work", type=Path)
    p.add_argument("--md", nargs="*", default=[])
    p.add_argument("--teacher-speed")
    p.add_argument("--sizes", nargs="*", default=SIZES)
    p.add_argument("--update", action="store_true",
                   help="keep cards.json's entries of the other sizes and MD runs (re-measure some sizes only)")
    p.add_argument("--keep-speed", action="store_true",
                   help="with --update: keep the speed columns of cards.json's entries of the same file and "
                        "compute instead of timing them again (for files whose architecture did not change, "
                        "measured while the machine is busy; --speed-only re-times them later)")
    p.add_argument("--speed-only", action="store_true",
                   help="re-measure only the speed columns of cards.json's fp32-compute entries of --sizes, in one run "
                        "(run it on an otherwise idle machine)")
    a = p.parse_args()
    pot = a.potentials
    if a.speed_only:
        cards = json.loads((pot / "cards.json").read_text())
        with tempfile.TemporaryDirectory() as tmp:
            for card in cards["models"]:
                if card["compute"] == "fp32" and card["size"] in a.sizes and card.get("route") != "direct":
                    card["speed"] = speed(pot / card["file"], tmp)
                    print(card["file"], json.dumps(card["speed"]), file=sys.stderr, flush=True)
        (pot / "cards.json").write_text(json.dumps(cards, indent=1))
        print_tables(cards)
        plot(cards, pot / "accuracy_size_speed.png")
        return
    subset = pot / "test_subset.extxyz"
    ase.io.write(subset, ase.io.read(a.data / "test.extxyz", f":{SUBSET}"), format="extxyz")
    sets = {name: Frames(a.data / f"{name}.extxyz") for name in SETS}
    cards = {"teacher": "ANI-2x (torchani 2.2.4, 8-model ensemble)", "sets": {n: s.summary for n, s in sets.items()},
             "models": []}
    report = a.data / "report.json"
    if report.exists():
        cards["data_set"] = json.loads(report.read_text())
    old_speed = {}
    if a.keep_speed and (pot / "cards.json").exists():
        old_speed = {(c["file"], c["compute"]): c["speed"] for c in json.loads((pot / "cards.json").read_text())["models"]
                     if "speed" in c and c.get("route") != "direct"}
    with tempfile.TemporaryDirectory() as tmp:
        entries = [(s, pot / f"{s}-{d}.safetensors", d) for s in a.sizes for d in ["fp32", "fp16", "int8"]]
        if a.work:
            # only the sizes measured now: with --update the others keep their entries (no duplicates)
            entries += [(s, a.work / f"{s}-direct.safetensors", "fp32") for s in ["compact", "tiny"] if s in a.sizes]
        for size, path, stored in entries:
            if not path.exists():
                continue
            route = "direct" if "direct" in path.name else "chain" if size != "current" else "teacher"
            for prec in (["fp64", "fp32"] if stored == "fp32" else ["fp32"]):
                kept = old_speed.get((path.name, prec))  # never a direct-route file (old_speed leaves them out)
                # direct-route students share their chain file's architecture, hence its speed: not timed
                card = measure(path, size, route, stored, prec, sets, subset, tmp,
                               measure_speed=kept is None and route != "direct")
                if kept is not None:
                    card["speed"] = kept
                cards["models"].append(card)
                print(json.dumps(card), file=sys.stderr, flush=True)
    md = [r for f in a.md for r in json.loads(Path(f).read_text())]
    if md:
        cards["md_stability"] = md
    if a.teacher_speed:
        cards["teacher_speed"] = json.loads(Path(a.teacher_speed).read_text())
    if a.update and (pot / "cards.json").exists():
        # Only the sizes measured now (and the MD runs given) replace their entries; the rest stay.
        old = json.loads((pot / "cards.json").read_text())
        # a direct-route card stays unless its file was measured again (--work)
        cards["models"] = [c for c in old["models"] if c["size"] not in a.sizes
                           or (c.get("route") == "direct" and not a.work)] + cards["models"]
        cards["models"].sort(key=lambda c: SIZES.index(c["size"]))
        new_md = {(r["model"], r["ps"], r["molecules"]) for r in md}  # a 20 ps run does not replace the 1 ps one
        cards["md_stability"] = [r for r in old.get("md_stability", [])
                                 if (r["model"], r["ps"], r["molecules"]) not in new_md] + md
        cards.setdefault("teacher_speed", old.get("teacher_speed"))
    (pot / "cards.json").write_text(json.dumps(cards, indent=1))
    print_tables(cards)
    plot(cards, pot / "accuracy_size_speed.png")


def fmt(x, d=1):
    return f"{x:.{d}f}"


def print_tables(cards):
    print("| set | configurations | molecules | atoms | teacher spread F (meV/A) | teacher spread E (meV/atom) | ANI-2x vs GFN2 F / conf. E |")
    print("|---|---|---|---|---|---|---|")
    for n, s in cards["sets"].items():
        g = s.get("ani2x_vs_gfn2")
        gs = f"{fmt(g['force_mae_meV_A'])} / {fmt(g['conformational_energy_mae_meV_atom'])}" if g else "-"
        print(f"| {n} | {s['configurations']:,} | {s['molecules']:,} | {fmt(s['atoms_mean'])} | "
              f"{fmt(s['teacher_spread']['force_meV_A'])} | {fmt(s['teacher_spread']['energy_meV_atom'])} | {gs} |")
    print()
    print("| potential | file | compute | params | E test | F test | E unseen | F unseen | E unseen v1 | F unseen v1 | "
          "F vs GFN2 (v1) | F cos err (unseen) | ms/molecule 1t / 2t | atom-steps/s box 1t / 2t |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cards["models"]:
        s1, s2 = speed_cells(c)
        t, u, v = c["test"], c["test_unseen"], c["test_unseen_v1"]
        print(f"| {c['size']} ({c['route']}) | {c['file']} | {c['compute']} | {c['parameters']:,} | "
              f"{fmt(t['energy_mae_meV_atom'])} | {fmt(t['force_mae_meV_A'])} | {fmt(u['energy_mae_meV_atom'])} | "
              f"{fmt(u['force_mae_meV_A'])} | {fmt(v['energy_mae_meV_atom'])} | {fmt(v['force_mae_meV_A'])} | "
              f"{fmt(v['vs_gfn2']['force_mae_meV_A'])} | {u['force_cosine_error']:.4f} | {s1} | {s2} |")
    if "md_stability" in cards:
        print()
        print("| model | ps | molecules | atoms | stable | bonds changed in | min distance (A) | NVE drift (meV/atom/ps) "
              "| NVE spread (meV/atom) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in cards["md_stability"]:
            drift, spread = r.get("nve_drift_meV_atom_ps"), r.get("nve_spread_meV_atom")
            print(f"| {r['model']} | {r['ps']} | {r['molecules']} | {r['atoms']} | {'yes' if r['stable'] else '**no**'} | "
                  f"{len(r['molecules_with_changed_bonds'])} | {r['min_distance_A']} | "
                  f"{'-' if drift is None else f'{drift:+.4f}'} | {'-' if spread is None else f'{spread:.3f}'} |")


def plot(cards, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    chain = [c for c in cards["models"] if c["stored"] == "fp32" and c["compute"] == "fp32" and c["route"] != "direct"]
    for c in chain:
        for k, key in enumerate(["test", "test_unseen"]):
            marker = "o" if k == 0 else "s"
            ax[0].scatter(c["parameters"], c[key]["force_mae_meV_A"], s=50, marker=marker, color=f"C{SIZES.index(c['size'])}")
            ax[1].scatter(c["speed"]["molecule_ms_1t"], c[key]["force_mae_meV_A"], s=50, marker=marker,
                          color=f"C{SIZES.index(c['size'])}")
        ax[0].annotate(c["size"], (c["parameters"], c["test"]["force_mae_meV_A"]), textcoords="offset points", xytext=(5, 5))
        ax[1].annotate(c["size"], (c["speed"]["molecule_ms_1t"], c["test"]["force_mae_meV_A"]), textcoords="offset points",
                       xytext=(5, 5))
    for c in cards["models"]:
        if c["route"] == "direct" and c["compute"] == "fp32":
            ax[0].scatter(c["parameters"], c["test"]["force_mae_meV_A"], marker="x", color="k")
    spread = cards["sets"]["test"]["teacher_spread"]["force_meV_A"]
    for a in ax:
        a.axhline(spread, color="gray", ls="--", lw=1)
    ax[0].set_xscale("log")
    ax[0].set_xlabel("parameters")
    ax[0].set_ylabel("force MAE vs ANI-2x (meV/A)")
    ax[0].set_title("o: held-out conformers, s: unseen scaffolds, x: direct;\n--: ANI-2x ensemble spread", fontsize=9)
    ax[1].set_xlabel("ms per energy+forces, 21-atom molecule, 1 thread, fp32")
    ax[1].set_title("accuracy vs speed")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
