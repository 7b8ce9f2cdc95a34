"""training/potentials/quantize_int8.py (learned int8 rounding), checked through the C++ core:
the file it writes keeps the format's per-row scales, and on frames it was not calibrated on the
core's forces and energies from it are closer to the fp32 file's than those of `painn convert`'s
round-to-nearest int8 file."""
import os
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
from painn_torch import read_safetensors  # noqa: E402
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
MODEL = ROOT / "potentials" / "ultratiny-fp32.safetensors"
FRAMES = ROOT / "potentials" / "test_subset.extxyz"  # 40 labelled drug-like configurations


def tensors(path):
    """{name: numpy array} of a safetensors file, read by the oracle's reader."""
    return read_safetensors(path)[1]


def evaluate(model, frames, tmp):
    out = Path(tmp) / "pred.extxyz"
    subprocess.run([PAINN, "eval", str(model), str(frames), "-o", str(out), "--precision", "fp32"],
                   check=True, capture_output=True)
    pred = ase.io.read(out, ":")
    return (np.array([a.get_potential_energy() / len(a) for a in pred]),
            np.concatenate([a.get_forces() for a in pred]))


def test_learned_rounding_beats_nearest_on_frames_it_never_saw(tmp_path):
    frames = ase.io.read(FRAMES, ":")
    ase.io.write(tmp_path / "calibration.extxyz", frames[:24])
    ase.io.write(tmp_path / "check.extxyz", frames[24:])
    learned, nearest = tmp_path / "learned.safetensors", tmp_path / "nearest.safetensors"
    subprocess.run([sys.executable, str(ROOT / "training" / "potentials" / "quantize_int8.py"), str(MODEL),
                    str(tmp_path / "calibration.extxyz"), "-o", str(learned), "--frames", "24", "--batch", "8",
                    "--steps", "150", "--energy-weight", "1"], check=True, capture_output=True, text=True)
    subprocess.run([PAINN, "convert", str(MODEL), "--to", "int8", "-o", str(nearest)], check=True, capture_output=True)

    # The format's rule holds: scale[r] = max |w[r, :]| / 127, so every non-zero row reaches +-127,
    # and every q is within [-127, 127]. Most weights keep their nearest level; some do not.
    t_learned, t_nearest = tensors(learned), tensors(nearest)
    changed = 0
    for name, q in t_learned.items():
        if q.dtype != np.int8:
            continue
        np.testing.assert_array_equal(t_learned[name + ".scale"], t_nearest[name + ".scale"], err_msg=name)
        assert np.abs(q.astype(int)).max() <= 127
        rows = np.abs(t_nearest[name]).max(axis=1) > 0
        assert (np.abs(q.astype(int)).max(axis=1)[rows] == 127).all(), name
        changed += int((q != t_nearest[name]).sum())
    assert changed > 0

    e32, f32 = evaluate(MODEL, tmp_path / "check.extxyz", tmp_path)
    e_learned, f_learned = evaluate(learned, tmp_path / "check.extxyz", tmp_path)
    e_nearest, f_nearest = evaluate(nearest, tmp_path / "check.extxyz", tmp_path)
    force = {k: np.sqrt(((f - f32) ** 2).mean()) for k, f in [("learned", f_learned), ("nearest", f_nearest)]}
    energy = {k: np.abs(e - e32).mean() for k, e in [("learned", e_learned), ("nearest", e_nearest)]}
    assert force["learned"] < 0.9 * force["nearest"], force
    assert energy["learned"] < energy["nearest"], energy


def test_falls_back_to_nearest_when_learning_does_worse(tmp_path):
    """A run that cannot fit (3 steps at a huge step size) must not ship its rounding: the file then
    holds exactly painn convert's round-to-nearest integers, scales and biases."""
    out, nearest = tmp_path / "fallback.safetensors", tmp_path / "nearest.safetensors"
    run = subprocess.run([sys.executable, str(ROOT / "training" / "potentials" / "quantize_int8.py"), str(MODEL),
                          str(FRAMES), "-o", str(out), "--frames", "16", "--batch", "8", "--steps", "3", "--lr", "5"],
                         check=True, capture_output=True, text=True)
    assert "worse than round-to-nearest" in run.stdout
    subprocess.run([PAINN, "convert", str(MODEL), "--to", "int8", "-o", str(nearest)], check=True, capture_output=True)
    ours, theirs = tensors(out), tensors(nearest)
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
