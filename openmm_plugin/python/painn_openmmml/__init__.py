"""PaiNN-MD potentials for openmm-ml (openmmml >= 1.8, OpenMM 8):

    from openmmml import MLPotential
    potential = MLPotential('painn-compact')                  # a shipped potential (fp32 file)
    potential = MLPotential('painn-compact', precision='int8')  # its fp16 or int8 file
    potential = MLPotential('painn', modelFile='my.safetensors')
    system = potential.createSystem(topology)
    mixed = potential.createMixedSystem(topology, mm_system, ligand_atoms)

Options of MLPotential(...): modelFile (for 'painn'), precision ('fp32', 'fp16' or 'int8': which
shipped file), compute ('fp32' or 'fp64' arithmetic, default fp32), threads (0: the CPU
platform's). The forces are openmmpainn.PaiNNForce (the SWIG module beside this package).

openmm-ml imports every `openmmml.potentials` entry point while it is itself being imported,
without error handling: this module therefore imports nothing heavy (openmmpainn only in
addForces) and cannot raise on import.
"""
import os

try:
    from openmmml.mlpotential import MLPotentialImpl, MLPotentialImplFactory
except Exception:  # never raise on import; a stand-in keeps the class statements valid
    MLPotentialImpl = MLPotentialImplFactory = object

# The shipped potentials: potentials/ beside this file (a link to the repository's in the build),
# or PAINN_POTENTIALS_DIR.
def potentials_dir():
    return os.environ.get("PAINN_POTENTIALS_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "potentials")


FILE_PRECISIONS = ("fp32", "fp16", "int8")
COMPUTE = {"fp32": "single", "fp64": "double"}


class PaiNNPotentialImplFactory(MLPotentialImplFactory):
    """Creates PaiNNPotentialImpl for 'painn' (any model file) and 'painn-SIZE' (shipped)."""

    def createImpl(self, name, modelFile=None, precision="fp32", compute="fp32", threads=0, **args):
        if name == "painn":
            if modelFile is None:
                raise ValueError("MLPotential('painn') needs modelFile='...safetensors' "
                                 "(or use a shipped potential, e.g. MLPotential('painn-compact'))")
            path = os.fspath(modelFile)
        else:
            size = name[len("painn-"):]
            if precision not in FILE_PRECISIONS:
                raise ValueError(f"MLPotential('{name}'): precision must be one of {', '.join(FILE_PRECISIONS)}, "
                                 f"not {precision!r}")
            path = os.path.join(potentials_dir(), f"{size}-{precision}.safetensors")
            if not os.path.exists(path):
                raise ValueError(f"MLPotential('{name}'): no shipped potential file {path}")
        if compute not in COMPUTE:
            raise ValueError(f"MLPotential('{name}'): compute must be 'fp32' or 'fp64', not {compute!r}")
        return PaiNNPotentialImpl(path, COMPUTE[compute], int(threads))


class PaiNNPotentialImpl(MLPotentialImpl):
    """Adds one openmmpainn.PaiNNForce for the selected atoms (elements from the Topology)."""

    def __init__(self, modelFile, precision, threads):
        self.modelFile, self.precision, self.threads = modelFile, precision, threads

    def getMLLongRange(self):
        return False  # local: every interaction is within the model's cutoff (about 5 A)

    def addForces(self, topology, system, atoms, forceGroup, **args):
        import openmmpainn  # the OpenMM 8 SWIG module; loads the plugin into OpenMM

        all_atoms = list(topology.atoms())
        selected = list(range(len(all_atoms))) if atoms is None else [int(a) for a in atoms]
        numbers = []
        for i in selected:
            element = all_atoms[i].element
            if element is None:
                raise ValueError(f"PaiNN: atom {i} ({all_atoms[i].name}) of the topology has no element")
            numbers.append(element.atomic_number)
        force = openmmpainn.PaiNNForce(self.modelFile)
        if atoms is not None:
            force.setParticles(selected)
        force.setAtomicNumbers(numbers)
        force.setUsesPeriodicBoundaryConditions(topology.getPeriodicBoxVectors() is not None
                                                or system.usesPeriodicBoundaryConditions())
        force.setPrecision(self.precision)
        force.setNumThreads(self.threads)
        force.setForceGroup(forceGroup)
        system.addForce(force)
