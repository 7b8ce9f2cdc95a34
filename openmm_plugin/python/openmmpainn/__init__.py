"""PaiNN neural-network potentials in OpenMM.

    import openmm, openmmpainn
    force = openmmpainn.PaiNNForce("potentials/compact-fp32.safetensors")
    force.setParticles(ligand_atoms)   # optional: ML/MM subset (default: every particle)
    system.addForce(force)

Importing the module loads the plugin library (API, XML serialization, and the kernels for the
Reference and CPU platforms) into OpenMM. PaiNNForce is an openmm.Force: it can be added to a
System, serialized with XmlSerializer, deep-copied, and wrapped in a CustomCVForce.
Units are OpenMM's (nm, kJ/mol); the model's Angstrom and eV are converted inside.
"""
import ctypes
import os

import openmm

_HERE = os.path.dirname(os.path.abspath(__file__))
_LIB_PATH = os.path.join(_HERE, "libPaiNNOpenMM.so")
# RTLD_GLOBAL: the serialization proxy registers itself in OpenMM's (global) registry on load.
_lib = ctypes.CDLL(_LIB_PATH, mode=ctypes.RTLD_GLOBAL)
openmm.Platform.loadPluginLibrary(_LIB_PATH)  # registers the kernels on Reference and CPU

_lib.painn_openmm_last_error.restype = ctypes.c_char_p
for _name in ["force_xml", "set_particles", "get_particles", "set_atomic_numbers", "get_atomic_numbers",
              "set_periodic", "set_precision", "get_precision", "set_threads", "set_model_file",
              "update_in_context"]:
    getattr(_lib, "painn_openmm_" + _name).restype = ctypes.c_int


def _check(rc):
    if rc != 0:
        raise openmm.OpenMMException(_lib.painn_openmm_last_error().decode())


def _pointer(swig_object):
    return ctypes.c_void_p(int(swig_object.this))


def _int_array(values):
    values = [int(v) for v in values]
    return (ctypes.c_int * len(values))(*values), len(values)


class PaiNNForce(openmm.Force):
    """A PaiNN potential (model file in PaiNN-MD's safetensors format) as an OpenMM Force."""

    def __init__(self, modelPath=None, *, _swig=None):
        if _swig is None:
            if modelPath is None:
                raise TypeError("PaiNNForce needs the path of a model file")
            xml = ctypes.c_char_p()
            _check(_lib.painn_openmm_force_xml(os.fsencode(modelPath), ctypes.byref(xml)))
            _swig = openmm.XmlSerializer.deserialize(xml.value.decode())
        # Adopt the C++ object created by the deserializer (this class adds the PaiNN methods).
        self.this = _swig.this
        _swig.thisown = False
        self.thisown = True

    def setParticles(self, particles):
        arr, n = _int_array(particles)
        _check(_lib.painn_openmm_set_particles(_pointer(self), arr, n))

    def getParticles(self):
        out, n = ctypes.POINTER(ctypes.c_int)(), ctypes.c_int()
        _check(_lib.painn_openmm_get_particles(_pointer(self), ctypes.byref(out), ctypes.byref(n)))
        return [out[k] for k in range(n.value)]

    def setAtomicNumbers(self, numbers):
        arr, n = _int_array(numbers)
        _check(_lib.painn_openmm_set_atomic_numbers(_pointer(self), arr, n))

    def getAtomicNumbers(self):
        out, n = ctypes.POINTER(ctypes.c_int)(), ctypes.c_int()
        _check(_lib.painn_openmm_get_atomic_numbers(_pointer(self), ctypes.byref(out), ctypes.byref(n)))
        return [out[k] for k in range(n.value)]

    def setUsesPeriodicBoundaryConditions(self, periodic):
        _check(_lib.painn_openmm_set_periodic(_pointer(self), int(bool(periodic))))

    def setPrecision(self, precision):
        """'single' (fp32 compute, default) or 'double'."""
        _check(_lib.painn_openmm_set_precision(_pointer(self), precision.encode()))

    def getPrecision(self):
        out = ctypes.c_char_p()
        _check(_lib.painn_openmm_get_precision(_pointer(self), ctypes.byref(out)))
        return out.value.decode()

    def setNumThreads(self, threads):
        _check(_lib.painn_openmm_set_threads(_pointer(self), int(threads)))

    def setModelFile(self, path):
        _check(_lib.painn_openmm_set_model_file(_pointer(self), os.fsencode(path)))

    def updateParametersInContext(self, context):
        _check(_lib.painn_openmm_update_in_context(_pointer(self), _pointer(context)))

    def __deepcopy__(self, memo):
        return PaiNNForce(_swig=openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(self)))

    def __copy__(self):
        return self.__deepcopy__({})


def setTopologyElements(force, topology):
    """Sets the force's atomic numbers from an openmm.app Topology (for its selected particles)."""
    atoms = list(topology.atoms())
    particles = force.getParticles() or range(len(atoms))
    force.setAtomicNumbers([atoms[p].element.atomic_number for p in particles])
