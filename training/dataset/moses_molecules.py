#!/usr/bin/env python3
"""Drug-like molecules from MOSES (ZINC, as bundled in the molsets 0.3.1 wheel), spread over many
scaffolds, with 3D structures. Run with the teacher venv (rdkit).

Selection, seeded and reproducible:
- Elements H C N O F S Cl only; 8-60 atoms with hydrogens; neutral, one fragment.
- Training molecules from MOSES `train`: a seeded random sample of SMILES is grouped by
  Bemis-Murcko scaffold (generic: atom and bond types kept), the scaffolds are shuffled, and one
  molecule is taken per scaffold until --train molecules are chosen. So every training molecule
  has its own scaffold.
- Unseen molecules from MOSES `test_scaffolds` (scaffolds absent from MOSES train), chosen the
  same way (one per scaffold), and checked to share no scaffold with the training molecules.
3D: RDKit ETKDG (seeded) then MMFF94 minimisation; molecules whose embedding fails are skipped.

Writes OUT.csv (name,split,scaffold,smiles) and OUT.extxyz (info: name, split, scaffold).
Usage: moses_molecules.py OUT_PREFIX [--train 3000] [--unseen 160] [--seed 2026] [--ring-size N]
"""
import argparse
import csv
import gzip
import importlib.util
import os
import random
import sys

import ase
import ase.io
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem
from rdkit.Chem.Scaffolds import MurckoScaffold

RDLogger.DisableLog("rdApp.*")
ALLOWED = {"H", "C", "N", "O", "F", "S", "Cl"}  # ANI-2x's elements; --elements narrows them


def moses_smiles(split):
    spec = importlib.util.find_spec("moses")
    if spec is None:
        sys.exit("moses_molecules: molsets is not installed (training/teacher/setup_teacher.sh)")
    path = os.path.join(spec.submodule_search_locations[0], "dataset", "data", f"{split}.csv.gz")
    with gzip.open(path, "rt") as f:
        rows = csv.reader(f)
        next(rows)
        return [r[0] for r in rows]


RING_SIZES = set()  # --ring-size: keep only molecules with a ring of one of these sizes


def accept(smi, min_atoms, max_atoms):
    mol = Chem.MolFromSmiles(smi)
    if mol is None or len(Chem.GetMolFrags(mol)) != 1 or Chem.GetFormalCharge(mol) != 0:
        return None
    if RING_SIZES and not any(len(r) in RING_SIZES for r in mol.GetRingInfo().AtomRings()):
        return None
    molh = Chem.AddHs(mol)
    if not min_atoms <= molh.GetNumAtoms() <= max_atoms:
        return None
    if any(a.GetSymbol() not in ALLOWED for a in molh.GetAtoms()):
        return None
    return mol


def pick_one_per_scaffold(smiles, n, rng, min_atoms, max_atoms, exclude=frozenset()):
    by_scaffold = {}
    for smi in smiles:
        mol = accept(smi, min_atoms, max_atoms)
        if mol is None:
            continue
        scaf = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
        if scaf in exclude:
            continue
        by_scaffold.setdefault(scaf, []).append(Chem.MolToSmiles(mol))
    scaffolds = sorted(by_scaffold)
    rng.shuffle(scaffolds)
    return [(s, rng.choice(by_scaffold[s])) for s in scaffolds[:n]], len(by_scaffold)


def embed(smi, seed):
    mol = Chem.AddHs(Chem.MolFromSmiles(smi))
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    if AllChem.EmbedMolecule(mol, params) != 0:
        return None
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=2000)
    pos = mol.GetConformer().GetPositions()
    return ase.Atoms([a.GetSymbol() for a in mol.GetAtoms()], positions=pos)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("prefix")
    p.add_argument("--train", type=int, default=3000)
    p.add_argument("--unseen", type=int, default=160)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--sample", type=int, default=40000, help="MOSES train SMILES examined")
    p.add_argument("--unseen-sample", type=int, default=0,
                   help="test_scaffolds SMILES examined (0: all; a sample for quick runs)")
    p.add_argument("--elements", default="", help="comma-separated subset of H,C,N,O,F,S,Cl")
    p.add_argument("--min-atoms", type=int, default=8)
    p.add_argument("--max-atoms", type=int, default=60)
    p.add_argument("--ring-size", type=int, action="append", default=[],
                   help="keep only molecules with a ring of this size (repeatable; e.g. 4 for the ring round)")
    a = p.parse_args()
    RING_SIZES.update(a.ring_size)
    rng = random.Random(a.seed)
    if a.elements:
        ALLOWED.intersection_update(a.elements.split(","))

    train_all = moses_smiles("train")
    sample = rng.sample(train_all, min(a.sample, len(train_all)))
    # Over-pick a little: some embeddings fail.
    train, n_train_scaf = pick_one_per_scaffold(sample, int(a.train * 1.03) + 5, rng, a.min_atoms, a.max_atoms)
    train_scaffolds = {s for s, _ in train}
    unseen_smiles = moses_smiles("test_scaffolds")
    if a.unseen_sample:
        unseen_smiles = random.Random(a.seed + 1).sample(unseen_smiles, min(a.unseen_sample, len(unseen_smiles)))
    unseen, n_unseen_scaf = pick_one_per_scaffold(unseen_smiles, int(a.unseen * 1.1) + 5, rng,
                                                  a.min_atoms, a.max_atoms, exclude=train_scaffolds)
    print(f"moses: {len(sample)} train SMILES examined, {n_train_scaf} scaffolds; "
          f"{n_unseen_scaf} test_scaffolds scaffolds", file=sys.stderr)

    rows, structures = [], []
    for split, chosen, want in (("train", train, a.train), ("unseen", unseen, a.unseen)):
        kept = 0
        for k, (scaf, smi) in enumerate(chosen):
            if kept == want:
                break
            atoms = embed(smi, a.seed + k)
            if atoms is None:
                print(f"skip {smi}: embedding failed", file=sys.stderr)
                continue
            name = f"moses-{split}-{kept:04d}"
            atoms.info = {"name": name, "split": split, "scaffold": scaf}
            rows.append({"name": name, "split": split, "scaffold": scaf, "smiles": smi})
            structures.append(atoms)
            kept += 1
        print(f"moses: {kept} {split} molecules, {len({r['scaffold'] for r in rows if r['split'] == split})} "
              f"scaffolds, mean {sum(len(s) for s in structures if s.info['split'] == split) / max(kept, 1):.1f} atoms",
              file=sys.stderr)
    with open(a.prefix + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["name", "split", "scaffold", "smiles"])
        w.writeheader()
        w.writerows(rows)
    ase.io.write(a.prefix + ".extxyz", structures, format="extxyz")


if __name__ == "__main__":
    main()
