"""schnetpack 2.x PaiNN models built with schnetpack itself, and their energies and forces from
schnetpack itself, in float64: the reference side of the import tests."""
import math

import numpy as np
import torch

from painn_md.schnetpack_modules import import_schnetpack

spk = import_schnetpack()
from schnetpack import properties  # noqa: E402

CUTOFF = 5.0
# Atomrefs (eV) for the model's elements; the others stay 0, as in a data set's atomref table.
ATOMREFS = {1: -13.6, 6: -1029.8, 7: -1485.3, 8: -2042.6}


def build(basis="bessel", shared_filters=False, shared_interactions=False, hidden=32, layers=3, rbf=16, n_hidden=None, n_layers=2,
          mean=-4.25, atomrefs=True, scale=None, activation=None, seed=0):
    """A NeuralNetworkPotential: PaiNN + Atomwise energy head + Forces, postprocessors CastTo64,
    AddOffsets (mean per atom, atomrefs) and optionally ScaleProperty on energy and forces. Every
    parameter is randomised (biases too), so that a misplaced tensor cannot go unnoticed."""
    torch.manual_seed(seed)
    radial = (spk.nn.BesselRBF(n_rbf=rbf, cutoff=CUTOFF) if basis == "bessel"
              else spk.nn.GaussianRBF(n_rbf=rbf, cutoff=CUTOFF))
    kwargs = {} if activation is None else {"activation": activation}
    painn = spk.representation.PaiNN(n_atom_basis=hidden, n_interactions=layers, radial_basis=radial,
                                     cutoff_fn=spk.nn.CosineCutoff(CUTOFF), shared_filters=shared_filters,
                                     shared_interactions=shared_interactions, **kwargs)
    head = spk.atomistic.Atomwise(n_in=hidden, output_key="energy", n_hidden=n_hidden, n_layers=n_layers, **kwargs)
    post = [spk.transform.CastTo64()]
    if scale is not None:
        post += [spk.transform.ScaleProperty("energy", scale=torch.tensor([scale])),
                 spk.transform.ScaleProperty("forces", scale=torch.tensor([scale]))]
    offsets = spk.transform.AddOffsets("energy", add_mean=True, add_atomrefs=atomrefs)
    # set after construction: AddOffsets' `atomrefs or zeros` cannot take a tensor of many values
    offsets.mean = torch.tensor([mean], dtype=torch.float64)
    ref = torch.zeros(100, dtype=torch.float64)
    for z, e in ATOMREFS.items():
        ref[z] = e
    offsets.atomref = ref
    post.append(offsets)
    model = spk.model.NeuralNetworkPotential(
        representation=painn, input_modules=[spk.atomistic.PairwiseDistances()],
        output_modules=[head, spk.atomistic.Forces(energy_key="energy", force_key="forces")], postprocessors=post)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


def in_float64(model):
    """model.double() with the basis constants rebuilt in float64: schnetpack makes them in
    float32 (pi / cutoff, the Gaussian centres and widths), which .double() only widens."""
    model = model.double()
    rep = model.representation
    R = rep.radial_basis.n_rbf
    cutoff = float(rep.cutoff_fn.cutoff.reshape(-1)[0])
    if hasattr(rep.radial_basis, "freqs"):
        rep.radial_basis.freqs = torch.arange(1, R + 1, dtype=torch.float64) * math.pi / cutoff
    else:
        rep.radial_basis.offsets = torch.linspace(0.0, cutoff, R, dtype=torch.float64)
        rep.radial_basis.widths = torch.full((R,), cutoff / (R - 1), dtype=torch.float64)
    rep.cutoff_fn.cutoff = torch.tensor([cutoff], dtype=torch.float64)
    return model


def evaluate(model, atoms):
    """(energy, forces) of one ase.Atoms from the schnetpack model (float64 inputs), with
    schnetpack's own ASE neighbour list."""
    n = len(atoms)
    inputs = {properties.Z: torch.tensor(atoms.numbers, dtype=torch.long),
              properties.R: torch.tensor(atoms.positions, dtype=torch.float64),
              properties.cell: torch.tensor(np.asarray(atoms.cell)[None], dtype=torch.float64),
              properties.pbc: torch.tensor(atoms.pbc[None]),
              properties.n_atoms: torch.tensor([n]), properties.idx_m: torch.zeros(n, dtype=torch.long),
              properties.idx: torch.tensor([0])}
    inputs = spk.transform.ASENeighborList(cutoff=CUTOFF)(inputs)
    out = model(inputs)
    return float(out["energy"].reshape(-1)[0]), out["forces"].detach().numpy()


def random_molecule(seed, n=10, box=4.0, min_sep=0.9, symbols=(1, 6, 7, 8)):
    """n atoms of the model's elements at random in a box, no pair closer than min_sep."""
    import ase
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < n:
        p = rng.uniform(0, box, 3)
        if all(np.linalg.norm(p - q) >= min_sep for q in positions):
            positions.append(p)
    return ase.Atoms(numbers=[symbols[k % len(symbols)] for k in range(n)], positions=positions)
