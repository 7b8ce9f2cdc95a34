"""painn_md.Calculator: the core's Calculator with NumPy-friendly arguments (any array-likes)."""
import os

import numpy as np

from . import _core


def as_model(model):
    """A painn_md.Model, or a path to a model file."""
    return model if isinstance(model, _core.Model) else _core.Model(os.fspath(model))


class Calculator:
    """Energies, forces and virials of one structure at a time for a model.

    precision: "fp64" or "fp32" compute (energies and virials are accumulated in double in both).
    threads: OpenMP threads (0: OMP_NUM_THREADS or all cores). The GIL is released while computing.
    """

    def __init__(self, model, precision="fp64", threads=0):
        self.model = as_model(model)
        self._core = _core.Calculator(self.model, precision, int(threads))

    @property
    def precision(self):
        return self._core.precision

    @property
    def cutoff(self):
        return self._core.cutoff

    def compute(self, positions, numbers, cell=None, pbc=False, forces=True, per_atom_energy=False):
        """positions [n, 3] in A, atomic numbers [n]; cell rows a, b, c (A; ignored along
        non-periodic directions); pbc one bool or three. Returns a dict: energy (eV), and with
        forces: forces [n, 3] (eV/A) and virial [3, 3] (W = -sum_edges r (x) dE/dr, eV; stress is
        -W / volume); with per_atom_energy: energies [n] (eV)."""
        positions = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 3)
        numbers = np.ascontiguousarray(numbers, dtype=np.int64).reshape(-1)
        cell = np.zeros((3, 3)) if cell is None else np.ascontiguousarray(cell, dtype=np.float64).reshape(3, 3)
        pbc = [bool(p) for p in np.broadcast_to(np.asarray(pbc, dtype=bool), (3,))]
        return self._core.compute(positions, numbers, cell, pbc, bool(forces), bool(per_atom_energy))
