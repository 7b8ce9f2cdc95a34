"""MD stability of the shipped potentials on molecules they never saw: 1 ps of 300 K Langevin MD
(0.5 fs) in LAMMPS, fp32 compute, of the 30 unseen-scaffold molecules in unseen_molecules.extxyz
(MOSES test_scaffolds, none in the training data), spread apart in one box. Physical invariants,
not recorded outputs: the run finishes with finite energies, no covalent bond forms or breaks
(1.25 x the sum of covalent radii), and no two atoms come closer than 0.6 A.
One size per ctest entry (md_stability_<size>), so that ctest -j runs them side by side."""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import ase.io
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training" / "potentials"))
import md_stability  # noqa: E402

SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]
MOLECULES = Path(__file__).resolve().parent / "unseen_molecules.extxyz"


@pytest.mark.parametrize("size", SIZES)
def test_one_ps_at_300K_keeps_every_bond(size):
    mols = ase.io.read(MOLECULES, ":")
    assert len(mols) >= 30
    box, owner = md_stability.spread_apart(mols)
    a = argparse.Namespace(ps=1.0, nve_ps=0.0, check=100, threads=int(os.environ.get("PAINN_MD_THREADS", "1")),
                           seed=4928459, lmp=str(ROOT / "build" / "bin" / "lmp_painn"))
    with tempfile.TemporaryDirectory() as d:
        r = md_stability.run_model(str(ROOT / "potentials" / f"{size}-fp32.safetensors"), box, owner, a, d)
    assert r["finished"] and r["finite"], r.get("error", r)
    assert r["frames_checked"] == 21  # steps 0, 100, ..., 2000: every frame was checked
    assert r["molecules_with_changed_bonds"] == [], r
    assert r["min_distance_A"] >= md_stability.MIN_DISTANCE, r
    assert r["stable"]
