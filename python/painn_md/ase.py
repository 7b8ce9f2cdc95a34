"""ASE calculator for PaiNN-MD models: relaxations, vibrations, NEB and MD in ASE use the native
core for energies and forces; no physics is done here.

    from painn_md.ase import PaiNNCalculator
    atoms.calc = PaiNNCalculator("potentials/compact-fp32.safetensors", precision="fp64", threads=1)
"""
import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

from .calculator import Calculator as CoreCalculator


class PaiNNCalculator(Calculator):
    """energy, free_energy (the same: no electronic entropy), forces, energies (per atom) and,
    for cells periodic in all three directions, stress (ASE's sign and Voigt order, eV/A^3).
    Periodicity may differ per direction (atoms.pbc); positions may lie outside the cell.

    model: a model file path or a painn_md.Model. precision: "fp64" (default) or "fp32" compute.
    threads: OpenMP threads (0: OMP_NUM_THREADS or all cores)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]

    def __init__(self, model, precision="fp64", threads=0, **kwargs):
        super().__init__(**kwargs)
        self.core = CoreCalculator(model, precision=precision, threads=threads)
        self.model = self.core.model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        r = self.core.compute(a.positions, a.numbers, np.asarray(a.cell), a.pbc, forces=True, per_atom_energy=True)
        self.results = {"energy": r["energy"], "free_energy": r["energy"], "forces": r["forces"],
                        "energies": r["energies"]}
        if a.pbc.all():  # stress needs a volume: fully periodic cells only (spec section 6)
            # W is symmetric up to rounding (fp32 compute: ~1e-7 relative); Voigt from its symmetric part
            w = 0.5 * (r["virial"] + r["virial"].T)
            self.results["stress"] = full_3x3_to_voigt_6_stress(-w / a.get_volume())
