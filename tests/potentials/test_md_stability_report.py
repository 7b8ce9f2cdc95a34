"""md_stability.py's reporting, without MD: changed bonds are named from a dump file written here
(a pair pulled apart and a non-bonded pair pushed together, at known distances), and chunk
results merge into the whole list's result only when every chunk is there once."""
import json
import subprocess
import sys
from pathlib import Path

import ase
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training" / "potentials"))
import md_stability  # noqa: E402


def write_dump(path, frames):
    with open(path, "w") as f:
        for step, pos in enumerate(frames):
            f.write(f"ITEM: TIMESTEP\n{step}\nITEM: NUMBER OF ATOMS\n{len(pos)}\nITEM: BOX BOUNDS ss ss ss\n"
                    "0 1\n0 1\n0 1\nITEM: ATOMS id type x y z\n")
            # written in reverse id order: the reader must sort by id
            for i in reversed(range(len(pos))):
                f.write(f"{i + 1} 1 {pos[i][0]:.6f} {pos[i][1]:.6f} {pos[i][2]:.6f}\n")


def test_changed_pairs_name_the_bond_and_its_distances(tmp_path):
    # molecule 0: H2 (bonded at 0.74 A); molecule 1: two C atoms 3.0 A apart (not bonded)
    box = ase.Atoms("H2C2", positions=[[0, 0, 0], [0.74, 0, 0], [10, 0, 0], [13, 0, 0]])
    owner = np.array([0, 0, 1, 1])
    ref = md_stability.bond_graph(box.positions, box.numbers, owner)
    assert ref == {(0, 1)}
    frames = []
    for h, c in [(0.74, 3.0), (1.2, 1.8), (0.76, 1.5), (0.75, 2.5)]:  # H-H (limit 0.775 A) breaks once; C...C (1.9 A) bonds twice
        frames.append(np.array([[0, 0, 0], [h, 0, 0], [10, 0, 0], [10 + c, 0, 0]]))
    write_dump(tmp_path / "traj.dump", frames)
    changed = set()
    for pos in md_stability.read_dump_frames(tmp_path / "traj.dump"):
        changed |= ref ^ md_stability.bond_graph(pos, box.numbers, owner)
    rows = md_stability.changed_pairs(tmp_path / "traj.dump", box, owner, changed, ref, ["h2", "c2"])
    by_mol = {r["molecule"]: r for r in rows}
    hh, cc = by_mol["h2"], by_mol["c2"]
    assert hh["kind"] == "broken" and hh["elements"] == "H-H" and hh["atoms"] == [0, 1]
    assert hh["frames_changed"] == 1 and hh["max_A"] == 1.2 and hh["min_A"] == 0.74
    assert cc["kind"] == "formed" and cc["elements"] == "C-C" and cc["atoms"] == [0, 1]
    assert cc["frames_changed"] == 2 and cc["min_A"] == 1.5 and cc["start_A"] == 3.0
    assert cc["bond_limit_A"] == pytest.approx(1.25 * 2 * 0.76, abs=1e-3)


def chunk(k, n, atoms, changed=(), stable=True, drift=0.01):
    return {"model": "m.safetensors", "atoms": atoms, "molecules": 3, "ps": 20.0, "nve_ps": 2.0, "finished": True,
            "finite": True, "frames_checked": 401, "min_distance_A": 0.9 + 0.01 * k,
            "molecules_with_changed_bonds": list(changed), "molecules_with_changed_bonds_names": [],
            "nve_drift_meV_atom_ps": drift, "nve_spread_meV_atom": 0.01 * k, "stable": stable,
            "chunk": f"{k}/{n}", "first_molecule": 3 * (k - 1)}


def test_merge_joins_all_chunks_with_whole_list_indices(tmp_path):
    parts = [chunk(1, 3, 100, drift=0.03), chunk(2, 3, 300, changed=[1], stable=False, drift=-0.01), chunk(3, 3, 100)]
    for k, r in enumerate(parts):
        (tmp_path / f"c{k}.json").write_text(json.dumps([r]))
    (m,) = md_stability.merge([tmp_path / f"c{k}.json" for k in (2, 0, 1)])
    assert m["atoms"] == 500 and m["molecules"] == 9
    assert m["molecules_with_changed_bonds"] == [4]  # chunk 2 starts at molecule 3
    assert not m["stable"] and m["min_distance_A"] == 0.91
    assert m["nve_drift_meV_atom_ps"] == pytest.approx((0.03 * 100 - 0.01 * 300 + 0.01 * 100) / 500)
    assert m["nve_spread_meV_atom"] == pytest.approx(0.03)
    assert len(m["chunks"]) == 3


@pytest.mark.parametrize("ks", [(1, 2), (1, 1, 2, 3), (1, 2, 4)])
def test_merge_refuses_missing_or_repeated_chunks(tmp_path, ks):
    paths = []
    for k in ks:
        paths.append(tmp_path / f"c{len(paths)}.json")
        paths[-1].write_text(json.dumps([chunk(k, 3, 100)]))
    p = subprocess.run([sys.executable, str(ROOT / "training/potentials/md_stability.py"), "merge", *map(str, paths),
                        "-o", str(tmp_path / "m.json")], capture_output=True, text=True)
    assert p.returncode != 0 and "not each of 1..N once" in p.stderr
    assert not (tmp_path / "m.json").exists()


def test_chunks_cover_the_list_once():
    items = list(range(159))
    parts = [md_stability.chunk_of(items, f"{k}/4") for k in range(1, 5)]
    assert [x for p, _ in parts for x in p] == items
    assert [first for _, first in parts] == [0, 40, 80, 119]
    with pytest.raises(SystemExit):
        md_stability.chunk_of(items, "5/4")
