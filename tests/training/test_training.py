"""End-to-end checks of `painn label` and `painn train` through the CLI (Debian python3 + ASE)."""
import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import ase.io
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
ASPIRIN = ROOT / "examples" / "molecules" / "aspirin.xyz"
HARTREE = 27.211386245988
BOHR = 0.529177210903


def run(*args, **kw):
    return subprocess.run([PAINN, *map(str, args)], check=True, capture_output=True, text=True, **kw)


def displaced(n, seed, amp=0.08):
    rng = np.random.default_rng(seed)
    mol = ase.io.read(ASPIRIN)
    frames = []
    for k in range(n):
        a = mol.copy()
        a.positions = a.positions + rng.normal(0, amp, a.positions.shape)
        a.info = {"molecule": "aspirin", "sample": k}
        frames.append(a)
    return frames


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    ase.io.write(d / "in.extxyz", displaced(24, 1), format="extxyz")
    run("label", "--teacher", "gfn2", d / "in.extxyz", "-o", d / "lab.extxyz", "--threads", "2")
    return d / "lab.extxyz"


@pytest.mark.skipif(shutil.which("xtb") is None, reason="Debian package xtb not installed")
def test_gfn2_label_matches_xtb_program(tmp_path):
    frames = displaced(2, 7)
    ase.io.write(tmp_path / "in.extxyz", frames, format="extxyz")
    run("label", "--teacher", "gfn2", tmp_path / "in.extxyz", "-o", tmp_path / "out.extxyz")
    ours = ase.io.read(tmp_path / "out.extxyz", ":")
    for k, a in enumerate(frames):
        work = tmp_path / f"xtb{k}"
        work.mkdir()
        ase.io.write(work / "mol.xyz", a, format="xyz")
        subprocess.run(["xtb", "mol.xyz", "--gfn", "2", "--grad"], cwd=work, check=True, capture_output=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
        lines = (work / "gradient").read_text().split("\n")
        energy = float(lines[1].split()[6]) * HARTREE  # "cycle = 1  SCF energy = E  |dE/xyz| = g"
        n = len(a)
        grad = np.array([[float(x.replace("D", "E")) for x in l.split()] for l in lines[2 + n:2 + 2 * n]])
        forces = -grad * HARTREE / BOHR
        assert abs(ours[k].get_potential_energy() - energy) < 1e-6 * abs(energy)
        np.testing.assert_allclose(ours[k].get_forces(), forces, atol=1e-5)


def test_label_resume_and_model_teacher(tmp_path, labelled):
    run("init", "--preset", "ultratiny", "--species", "H,C,O", "--seed", "3", "-o", tmp_path / "t.safetensors")
    src = tmp_path / "in.extxyz"
    ase.io.write(src, displaced(6, 2), format="extxyz")
    out = tmp_path / "out.extxyz"
    # write the first two frames, then resume
    run("label", "--teacher", tmp_path / "t.safetensors", src, "-o", out)
    full = out.read_text()
    text = full.split("\n")
    n = int(text[0])
    out.write_text("\n".join(text[: 2 * (n + 2)]) + "\n")
    r = run("label", "--teacher", tmp_path / "t.safetensors", src, "-o", out)
    assert "resuming, 2 of 6" in r.stderr
    assert out.read_text() == full
    # the labels are the teacher's own predictions
    run("eval", tmp_path / "t.safetensors", src, "-o", tmp_path / "ev.extxyz")
    for a, b in zip(ase.io.read(out, ":"), ase.io.read(tmp_path / "ev.extxyz", ":")):
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), rel=1e-12)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_overfits_five_structures(tmp_path, labelled):
    five = ase.io.read(labelled, ":5")
    ase.io.write(tmp_path / "five.extxyz", five, format="extxyz")
    run("train", tmp_path / "five.extxyz", "-o", tmp_path / "m.safetensors", "--preset", "ultratiny",
        "--epochs", "150", "--batch", "4", "--lr", "5e-3", "--ema", "0", "--val", "0.2", "--early-stop", "0",
        "--warmup", "0", "--quiet", "--threads", "2")
    rows = read_csv(tmp_path / "m.safetensors.csv")
    first, last = float(rows[0]["train_loss"]), float(rows[-1]["train_loss"])
    assert last < 0.01 * first, (first, last)
    # the written model predicts its training data closely
    run("eval", tmp_path / "m.safetensors", tmp_path / "five.extxyz", "-o", tmp_path / "ev.extxyz")
    ev = ase.io.read(tmp_path / "ev.extxyz", ":")
    train = [a for a in five]
    err = np.mean([np.abs(a.get_forces() - b.get_forces()).mean() for a, b in zip(ev, train)])
    scale = np.mean([np.abs(b.get_forces()).mean() for b in train])
    assert err < 0.2 * scale


def test_resume_gives_identical_weights(tmp_path, labelled):
    common = ["--preset", "ultratiny", "--epochs", "4", "--batch", "8", "--threads", "2", "--quiet", "--seed", "5"]
    run("train", labelled, "-o", tmp_path / "a.safetensors", *common)
    run("train", labelled, "-o", tmp_path / "b.safetensors", *common, "--stop-after", "2")
    assert len(read_csv(tmp_path / "b.safetensors.csv")) == 2
    run("train", labelled, "-o", tmp_path / "b.safetensors", *common, "--resume")
    a = (tmp_path / "a.safetensors.ckpt" / "model.safetensors").read_bytes()
    b = (tmp_path / "b.safetensors.ckpt" / "model.safetensors").read_bytes()
    assert a == b
    assert len(read_csv(tmp_path / "b.safetensors.csv")) == 4


def provenance(path):
    """The model file's provenance (safetensors header metadata), as a dict of strings."""
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(json.loads(raw[8:8 + n])["__metadata__"]["provenance"])


def test_resume_on_other_data_records_every_leg(tmp_path, labelled):
    """A run resumed on other data (as after an active-learning round) names the data it used last,
    and lists the earlier leg's data and settings; a plain resume lists nothing."""
    more = tmp_path / "more.extxyz"
    ase.io.write(more, ase.io.read(labelled, ":") + ase.io.read(labelled, ":6"), format="extxyz")
    common = ["--preset", "ultratiny", "--batch", "8", "--threads", "2", "--quiet", "--seed", "5"]
    out = tmp_path / "m.safetensors"
    run("train", labelled, "-o", out, *common, "--epochs", "4", "--stop-after", "1")
    run("train", labelled, "-o", out, *common, "--epochs", "4", "--stop-after", "1", "--resume")
    plain = provenance(out)
    assert json.loads(plain["data_files"]) == [str(labelled)] and "earlier_legs" not in plain
    run("train", more, "-o", out, *common, "--epochs", "3", "--resume")
    p = provenance(out)
    assert json.loads(p["data_files"]) == [str(more)]
    assert p["data_fnv1a64"] != plain["data_fnv1a64"]
    assert json.loads(p["hyperparameters"])["epochs"] == 3
    assert p["train_structures"] != plain["train_structures"]
    legs = json.loads(p["earlier_legs"])
    assert len(legs) == 1 and legs[0]["until_epoch"] == 2
    assert json.loads(legs[0]["data_files"]) == [str(labelled)]
    assert legs[0]["data_fnv1a64"] == plain["data_fnv1a64"]
    assert json.loads(legs[0]["hyperparameters"])["epochs"] == 4
    assert p["epochs"] == "3"


def test_training_data_errors(tmp_path):
    frames = displaced(3, 3)
    ase.io.write(tmp_path / "nolabels.extxyz", frames, format="extxyz")
    r = subprocess.run([PAINN, "train", tmp_path / "nolabels.extxyz", "-o", tmp_path / "m.safetensors",
                        "--preset", "ultratiny"], capture_output=True, text=True)
    assert r.returncode == 1 and "no energy" in r.stderr


def test_label_mix_alpha_blends_teacher_and_student(tmp_path, labelled):
    run("init", "--preset", "ultratiny", "--species", "H,C,O", "--seed", "4", "-o", tmp_path / "s.safetensors")
    run("label", "--teacher", tmp_path / "s.safetensors", labelled, "-o", tmp_path / "mixed.extxyz",
        "--mix-alpha", "0.25")
    run("eval", tmp_path / "s.safetensors", labelled, "-o", tmp_path / "student.extxyz")
    for t, s, m in zip(ase.io.read(labelled, ":"), ase.io.read(tmp_path / "student.extxyz", ":"),
                       ase.io.read(tmp_path / "mixed.extxyz", ":")):
        e = 0.25 * t.get_potential_energy() + 0.75 * s.get_potential_energy()
        assert m.get_potential_energy() == pytest.approx(e, rel=1e-12)
        np.testing.assert_allclose(m.get_forces(), 0.25 * t.get_forces() + 0.75 * s.get_forces(), atol=1e-10)


def test_repulsion_models_train_on_the_residual(tmp_path):
    """`train --repulsion zbl`: the model file keeps the ZBL repulsion, and the trainer's predictions
    include it. With lr 0 the checkpointed model is the starting model, so the epoch's logged train
    MAEs must equal those of `painn eval` (which adds the repulsion) on the same data."""
    teacher = tmp_path / "teacher.safetensors"
    run("init", "--preset", "ultratiny", "--species", "H,C,O", "--seed", "8", "--repulsion", "zbl", "-o", teacher)
    frames = displaced(10, 4)
    for a in frames:
        a.positions *= 0.85  # bonds inside their ZBL pair cutoffs (C-H ~0.93 A < 1.07 A)
    ase.io.write(tmp_path / "in.extxyz", frames, format="extxyz")
    run("label", "--teacher", teacher, tmp_path / "in.extxyz", "-o", tmp_path / "lab.extxyz")
    lab = ase.io.read(tmp_path / "lab.extxyz", ":")
    ase.io.write(tmp_path / "train.extxyz", lab[:8], format="extxyz")
    ase.io.write(tmp_path / "val.extxyz", lab[8:], format="extxyz")
    out = tmp_path / "s.safetensors"
    run("train", tmp_path / "train.extxyz", "--val-file", tmp_path / "val.extxyz", "-o", out, "--preset", "ultratiny",
        "--repulsion", "zbl", "--repulsion-scale", "1.1", "--epochs", "1", "--lr", "0", "--min-lr", "0",
        "--warmup", "0", "--ema", "0", "--batch", "4", "--threads", "2", "--quiet")
    info = json_info(out)
    assert info["repulsion"] == "zbl" and info["repulsion_cutoff_scale"] == 1.1
    start = out.with_name(out.name + ".ckpt") / "model.safetensors"
    run("eval", start, tmp_path / "train.extxyz", "-o", tmp_path / "ev.extxyz", "--precision", "fp64")
    ev = ase.io.read(tmp_path / "ev.extxyz", ":")
    e_mae = np.mean([abs(p.get_potential_energy() - t.get_potential_energy()) / len(t) for p, t in zip(ev, lab[:8])])
    f_mae = np.mean(np.concatenate([np.abs(p.get_forces() - t.get_forces()).ravel() for p, t in zip(ev, lab[:8])]))
    row = read_csv(out.with_name(out.name + ".csv"))[0]
    assert float(row["train_energy_mae_eV_per_atom"]) == pytest.approx(e_mae, rel=1e-4)  # the CSV has 6 digits
    assert float(row["train_force_mae_eV_per_A"]) == pytest.approx(f_mae, rel=1e-4)
    # --init keeps the file's repulsion; --repulsion with --init is refused
    run("train", tmp_path / "train.extxyz", "--val-file", tmp_path / "val.extxyz", "-o", tmp_path / "f.safetensors",
        "--init", teacher, "--epochs", "1", "--batch", "4", "--threads", "2", "--quiet")
    assert json_info(tmp_path / "f.safetensors")["repulsion_cutoff_scale"] == 1.0
    r = subprocess.run([PAINN, "train", tmp_path / "train.extxyz", "-o", tmp_path / "g.safetensors", "--init", teacher,
                        "--repulsion", "none"], capture_output=True, text=True)
    assert r.returncode == 1 and "--init keeps the repulsion" in r.stderr


def test_repulsion_is_taken_out_before_fitting_the_scale(tmp_path):
    """Labels from a teacher whose network is exactly zero: energies and forces are its per-element
    reference energies plus the ZBL repulsion alone. A student with the same repulsion then has
    nothing left to learn in the forces, so its energy scale (the RMS of the residual forces) is
    the floor of 1e-3, not the RMS of the repulsion forces."""
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "oracle"))
    import painn_torch as pt
    cfg, p = pt.random_model(8, 1, 4, 5.0, [1, 6, 8], seed=0, scale=1.0, shift=0.0, repulsion="zbl")
    p = {k: np.zeros_like(v) for k, v in p.items()}
    p["energy.reference"] = np.array([-13.6, -1029.5, -2042.6])
    pt.write_model(tmp_path / "zero.safetensors", cfg, p, "fp64")
    frames = displaced(6, 5)
    for a in frames:
        a.positions *= 0.85
    ase.io.write(tmp_path / "in.extxyz", frames, format="extxyz")
    run("label", "--teacher", tmp_path / "zero.safetensors", tmp_path / "in.extxyz", "-o", tmp_path / "lab.extxyz")
    assert np.abs(ase.io.read(tmp_path / "lab.extxyz").get_forces()).max() > 1.0  # the repulsion is there
    common = ["--preset", "ultratiny", "--epochs", "1", "--lr", "0", "--min-lr", "0", "--warmup", "0", "--batch", "3",
              "--threads", "2", "--quiet"]
    run("train", tmp_path / "lab.extxyz", "-o", tmp_path / "z.safetensors", "--repulsion", "zbl", *common)
    assert json_info(tmp_path / "z.safetensors")["energy_scale"] == pytest.approx(1e-3)
    run("train", tmp_path / "lab.extxyz", "-o", tmp_path / "n.safetensors", *common)
    assert json_info(tmp_path / "n.safetensors")["energy_scale"] > 0.5


def json_info(path):
    import json
    return json.loads(run("info", path, "--json").stdout)
