"""The v2 distillation pipeline end to end in its --quick mode (CI): make_dataset.sh (MOSES ->
GFN-FF MD -> distortions + v1 frames -> teacher -> filters, splits, packed files), then
train_all.sh (five sizes, ZBL in every file). The teacher is ANI-1x here (its weights ship in
the torchani wheel; ANI-2x's do not), so the molecules are restricted to H C N O."""
import json
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipeline")
    env = {**os.environ, "TEACHER": "ani1x", "PY": sys.executable, "PAINN": PAINN}
    subprocess.run([str(ROOT / "training/dataset/make_dataset.sh"), "--quick", str(d / "data")], check=True, env=env)
    subprocess.run([str(ROOT / "training/potentials/train_all.sh"), "--quick", str(d / "data"), str(d / "work")],
                   check=True, env={**env, "T_MAIN": "2"})
    return d


def test_data_set_splits_and_filters(pipeline):
    report = json.loads((pipeline / "data/report.json").read_text())
    for split in ("train", "val", "test", "test_unseen", "test_unseen_v1"):
        assert report[split]["configurations"] > 0, split
    train = ase.io.read(pipeline / "data/train.extxyz", ":")
    unseen = ase.io.read(pipeline / "data/test_unseen.extxyz", ":")
    assert {f.info["molecule"] for f in train}.isdisjoint({f.info["molecule"] for f in unseen})
    assert any("distortion" in f.info for f in train), "no bond-distorted frames"
    assert any("gfn2_energy" in f.info for f in train), "no v1 frames with their GFN2 labels"
    for f in train:
        assert f.info["teacher"] == "ANI-1x"
        assert set(f.get_chemical_symbols()) <= {"H", "C", "N", "O"}
        assert f.arrays["teacher_force_std"].max() <= report["max_force_std"]


def test_packed_files_round_trip(pipeline):
    out = pipeline / "unpacked"
    subprocess.run([sys.executable, str(ROOT / "training/dataset/pack_v2.py"), "unpack", str(pipeline / "data/packed"),
                    str(out)], check=True)
    a = ase.io.read(pipeline / "data/train.extxyz", ":")
    b = ase.io.read(out / "train.extxyz", ":")
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x.positions, y.positions, rtol=0, atol=1e-12)
        np.testing.assert_allclose(x.get_forces(), y.get_forces(), rtol=0, atol=5.1e-5)
        assert x.get_potential_energy() == y.get_potential_energy()


def test_five_sizes_trained_with_repulsion(pipeline):
    test = pipeline / "data/test_unseen.extxyz"
    for name in ("current", "compact", "efficient", "tiny", "ultratiny", "compact-direct", "tiny-direct"):
        model = pipeline / "work" / f"{name}.safetensors"
        info = json.loads(subprocess.run([PAINN, "info", str(model), "--json"], check=True, capture_output=True,
                                         text=True).stdout)
        assert "zbl" in json.dumps(info), name
        out = pipeline / f"{name}.extxyz"
        subprocess.run([PAINN, "eval", str(model), str(test), "-o", str(out)], check=True, capture_output=True)
        pred = ase.io.read(out, ":")
        assert all(np.isfinite(p.get_potential_energy()) and np.isfinite(p.get_forces()).all() for p in pred)


def test_active_round_selects_disagreement_and_adds_contacts(pipeline):
    """training/dataset/active_round.sh on the quick data with two of the quick students: the
    selected frames are those where the students' forces differ most (checked against painn eval
    of both), the contact frames' closest intermolecular pair is the contact, and the round's
    labelled training frames are appended to the data set's."""
    out = pipeline / "al"
    env = {**os.environ, "TEACHER": "ani1x", "PY": sys.executable, "N_OLD": "3", "N_NEW": "0", "PS": "0.05",
           "SELECT": "6", "PER_MOL": "2", "CONTACTS": "8", "THREADS": "1"}
    a, b = pipeline / "work/ultratiny.safetensors", pipeline / "work/tiny.safetensors"
    subprocess.run([str(ROOT / "training/dataset/active_round.sh"), str(pipeline / "data"), str(out), str(a), str(b)],
                   check=True, env=env)
    chosen = ase.io.read(out / "al_frames.extxyz", ":")
    assert 0 < len(chosen) <= 6
    dis = [f.info["al_disagreement"] for f in chosen]
    assert dis == sorted(dis, reverse=True)
    names = [f.info["molecule"] for f in chosen]
    assert max(names.count(n) for n in names) <= 2
    for frame in chosen[:2]:
        frame.info, frame.calc = {}, None
    ase.io.write(out / "check.extxyz", chosen[:2], format="extxyz")
    forces = []
    for model in (a, b):
        subprocess.run([PAINN, "eval", str(model), str(out / "check.extxyz"), "-o", str(out / "check_out.extxyz"),
                        "--precision", "fp64"], check=True, capture_output=True)
        forces.append([f.get_forces() for f in ase.io.read(out / "check_out.extxyz", ":")])
    for k in range(len(chosen[:2])):
        expect = np.linalg.norm(forces[0][k] - forces[1][k], axis=1).max()
        assert abs(expect - dis[k]) <= 1e-6 * max(1.0, expect)

    contacts = ase.io.read(out / "contacts.extxyz", ":")
    assert len(contacts) == 8
    for c in contacts:
        n = c.info["contact_atoms_a"]
        d = np.linalg.norm(c.positions[:n, None, :] - c.positions[None, n:, :], axis=-1)
        assert 0.75 <= c.info["contact_distance"] <= 1.6
        assert abs(d.min() - c.info["contact_distance"]) < 1e-6  # extxyz keeps 8 decimals

    base = ase.io.read(pipeline / "data/train.extxyz", ":")
    added = ase.io.read(out / "train.extxyz", ":")
    merged = ase.io.read(out / "train_plus_al.extxyz", ":")
    assert len(added) > 0 and len(merged) == len(base) + len(added)
    assert all(f.info["teacher"] == "ANI-1x" for f in added)


def test_ring_round_walks_four_membered_rings(pipeline):
    """training/dataset/ring_round.sh on the quick data with the shipped ultratiny as the guide (the
    quick students, one epoch old, relax molecules into frames the teacher's spread filter drops), two new
    MOSES molecules with a four-membered ring: the molecules have one (by RDKit, independently of
    the bond-graph search the script uses), every noise-free frame holds its ring's 1,3 pair at
    the distance it names, the walk reaches 0.45 A below the relaxed distance and 0.15 A above,
    and the labelled training frames are appended to the data set's."""
    from rdkit import Chem
    out = pipeline / "rings"
    env = {**os.environ, "TEACHER": "ani1x", "PY": sys.executable, "N_NEW": "2", "SAMPLE": "20000"}
    guide = ROOT / "potentials/ultratiny-fp32.safetensors"
    subprocess.run([str(ROOT / "training/dataset/ring_round.sh"), str(pipeline / "data"), str(out), str(guide)],
                   check=True, env=env)
    new = [r for r in __import__("csv").DictReader(open(out / "candidates.csv"))]
    mols = ase.io.read(out / "new_ring_molecules.extxyz", ":")
    assert len(mols) == 2
    by_scaffold = {r["scaffold"]: r["smiles"] for r in new}
    for m in mols:
        mol = Chem.MolFromSmiles(by_scaffold[m.info["scaffold"]])  # kept: RingInfo does not own the molecule
        rings = mol.GetRingInfo().AtomRings()
        assert any(len(r) == 4 for r in rings)
    frames = ase.io.read(out / "ring_frames.extxyz", ":")
    pairs = {}
    for k, f in enumerate(frames):
        i, j = (int(x) for x in f.info["ring_pair"].split("-"))
        pairs.setdefault((f.info["molecule"], i, j), []).append(f.info["ring_d"])
        if k % 2 == 0:  # each point is written noise-free, then once displaced (--noisy 1)
            assert abs(f.get_distance(i, j) - f.info["ring_d"]) < 2e-3, f.info
        else:
            assert abs(f.get_distance(i, j) - f.info["ring_d"]) > 1e-4
    assert len(pairs) >= 4  # two molecules, each at least one ring, two 1,3 pairs per ring
    for ds in pairs.values():
        assert len(ds) == 2 * 7 and np.ptp(ds) == pytest.approx(0.6, abs=2e-3)
    base = ase.io.read(pipeline / "data/train.extxyz", ":")
    added = ase.io.read(out / "train.extxyz", ":")
    merged = ase.io.read(out / "train_plus_rings.extxyz", ":")
    assert len(added) > 0 and len(merged) == len(base) + len(added)
    assert all(f.info["teacher"] == "ANI-1x" for f in added)
