"""GFN2-xTB (libxtb through `painn label --teacher gfn2`) as an ASE calculator with a batched
path: the frames go to the CLI as one extended-XYZ file, which labels them in parallel."""
import os
import subprocess
import tempfile

import ase.io
from ase.calculators.calculator import Calculator, all_changes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Gfn2CliCalculator(Calculator):
    implemented_properties = ["energy", "forces"]
    teacher_name = "GFN2-xTB"

    def __init__(self, threads=0, painn=None, **kw):
        super().__init__(**kw)
        self.threads = threads
        self.painn = painn or os.environ.get("PAINN", os.path.join(ROOT, "build", "bin", "painn"))
        if not os.access(self.painn, os.X_OK):
            raise RuntimeError(f"gfn2 teacher: {self.painn} not found (build PaiNN-MD first)")

    def calculate_batch(self, frames):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "in.extxyz"), os.path.join(d, "out.extxyz")
            ase.io.write(src, [a.copy() for a in frames], format="extxyz")
            cmd = [self.painn, "label", "--teacher", "gfn2", src, "-o", dst]
            if self.threads > 0:
                cmd += ["--threads", str(self.threads)]
            subprocess.run(cmd, check=True, capture_output=True)
            done = {int(a.info["label_index"]): a for a in ase.io.read(dst, ":")} if os.path.getsize(dst) else {}
        out = []
        for k in range(len(frames)):
            if k in done:
                out.append((done[k].get_potential_energy(), done[k].get_forces(), None, None))
            else:
                out.append(RuntimeError("GFN2-xTB calculation failed"))
        return out

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        r = self.calculate_batch([self.atoms])[0]
        if isinstance(r, Exception):
            raise r
        self.results = {"energy": r[0], "forces": r[1]}
