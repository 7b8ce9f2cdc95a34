"""PaiNN-MD for Python: load a PaiNN model, evaluate structures with the native core.

    import painn_md
    model = painn_md.Model("potentials/compact-fp32.safetensors")
    calc = painn_md.Calculator(model, precision="fp64", threads=1)
    result = calc.compute(positions, numbers)            # energy (eV), forces (eV/A), virial (eV)

ASE: painn_md.ase.PaiNNCalculator. schnetpack models: painn_md.schnetpack_import (the CLI's
`painn import schnetpack`). Errors of the core (bad model file, unknown element, NaN position, ...)
raise painn_md.PaiNNError (a ValueError) with the core's message.
"""
from ._core import Model, PaiNNError
from .calculator import Calculator

__all__ = ["Model", "Calculator", "PaiNNError"]
__version__ = "0.1.0"
