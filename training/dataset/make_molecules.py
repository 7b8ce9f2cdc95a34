#!/usr/bin/env python3
"""Enumerates the PaiNN-MD molecule set: drug-like fragments (H C N O F S Cl) built from ring
scaffolds and substituents, seeded and reproducible. Training scaffolds and test scaffolds are
disjoint, so the test molecules are unseen chemistry, not only unseen configurations.

Writes molecules.csv: name,split,scaffold,smiles. Usage: make_molecules.py OUT.csv [--seed 2026]
Atom counts (with hydrogens) are checked later, when openbabel builds the 3D structures."""
import argparse
import csv
import random

# Scaffold SMILES with attachment points {0}, {1}, {2} (each becomes "" or "(substituent)").
TRAIN_SCAFFOLDS = {
    "benzene": "c1{0}cc{1}cc{2}c1",
    "pyridine": "n1c{0}cc{1}cc{2}1",
    "pyrimidine": "n1c{0}nc{1}cc{2}1",
    "thiophene": "s1c{0}cc{1}c{2}1",
    "furan": "o1c{0}cc{1}c{2}1",
    "pyrrole": "[nH]1c{0}cc{1}c{2}1",
    "imidazole": "n1c{0}[nH]c{1}c{2}1",
    "thiazole": "s1c{0}nc{1}c{2}1",
    "oxazole": "o1c{0}nc{1}c{2}1",
    "pyrazole": "n1[nH]c{0}c{1}c{2}1",
    "cyclohexane": "C1C{0}CC{1}CC{2}1",
    "piperidine": "N1C{0}CC{1}CC{2}1",
    "morpholine": "O1C{0}CN{1}CC{2}1",
    "acyclic_amide": "C{0}C(=O)NC{1}C{2}",
    "biphenyl": "c1ccc(cc1{0})-c1cc{1}cc{2}c1",
}
TEST_SCAFFOLDS = {
    "naphthalene": "c1cc2cc{0}cc{1}c2cc1{2}",
    "indole": "c1cc2[nH]cc{0}c2cc1{1}{2}",
    "quinoline": "c1cc2ncc{0}cc2cc1{1}{2}",
    "benzimidazole": "c1cc2[nH]c{0}nc2cc1{1}{2}",
    "piperazine": "N1C{0}CN{1}CC1{2}",
    "tetrahydrofuran": "O1C{0}CC{1}C1{2}",
    "pyrazine": "n1c{0}cnc{1}c1{2}",
    "isoxazole": "o1nc{0}cc1{1}{2}",
    "benzothiophene": "c1cc2sc{0}cc2cc1{1}{2}",
    "cyclopentane": "C1C{0}CC{1}C1{2}",
}
SUBSTITUENTS = ["F", "Cl", "C", "CC", "OC", "O", "N", "C(=O)N", "C(=O)O", "C#N", "SC", "C(F)(F)F",
                "NC(C)=O", "C(=O)C", "CN(C)C", "CO", "S(=O)(=O)N", "OCC", "C(C)C", "N(C)C", "C=O",
                "CCl", "OC(F)F", "C(=O)OC", "NC(=O)N", "CS", "c1ccccc1", "C1CC1"]

# Ring-closure digits inside substituents clash with the scaffold's; renumber them to 8/9.
def sub_smiles(s):
    return s.replace("1", "9")


def enumerate_set(scaffolds, n_target, rng, seen):
    out = []
    names = sorted(scaffolds)
    tries = 0
    while len(out) < n_target and tries < 200000:
        tries += 1
        scaf = names[len(out) % len(names)]
        template = scaffolds[scaf]
        n_sub = rng.choice([1, 1, 2, 2, 2, 3])
        slots = rng.sample([0, 1, 2], n_sub)
        fill = ["", "", ""]
        for s in slots:
            fill[s] = "(" + sub_smiles(rng.choice(SUBSTITUENTS)) + ")"
        smi = template.format(*fill)
        if smi in seen:
            continue
        seen.add(smi)
        out.append((scaf, smi))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("output")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--train", type=int, default=340)
    p.add_argument("--test", type=int, default=60)
    a = p.parse_args()
    rng = random.Random(a.seed)
    seen = set()
    train = enumerate_set(TRAIN_SCAFFOLDS, a.train, rng, seen)
    test = enumerate_set(TEST_SCAFFOLDS, a.test, rng, seen)
    with open(a.output, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "split", "scaffold", "smiles"])
        for k, (scaf, smi) in enumerate(train):
            w.writerow([f"train{k:04d}", "train", scaf, smi])
        for k, (scaf, smi) in enumerate(test):
            w.writerow([f"test{k:04d}", "unseen", scaf, smi])


if __name__ == "__main__":
    main()
