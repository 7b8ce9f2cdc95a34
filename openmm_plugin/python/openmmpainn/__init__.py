"""PaiNN neural-network potentials in OpenMM.

    import openmm, openmmpainn
    force = openmmpainn.PaiNNForce("potentials/compact-fp32.safetensors", topology=topology)
    force.setParticles(ligand_atoms)   # optional: ML/MM subset (default: every particle)
    system.addForce(force)

Importing the module loads the plugin library (API, XML serialization, and the kernels for the
Reference and CPU platforms) into OpenMM. PaiNNForce is an openmm.Force: it can be added to a
System, serialized with XmlSerializer, pickled, deep-copied, and wrapped in a CustomCVForce.
Units are OpenMM's (nm, kJ/mol); the model's Angstrom and eV are converted inside.

Elements: give them with topology=... (or setTopologyElements / setAtomicNumbers). Without them
the plugin infers each particle's element from its mass among the model's elements when a
Context is created, and stops with an error when a mass matches none (e.g. repartitioned
hydrogen masses).

How it works: Debian's OpenMM 7.7 ships no SWIG interface files, so this module is pure Python.
The C++ PaiNNForce is created in the plugin library and handed to OpenMM's own Python layer as
XML (XmlSerializer.deserialize gives a SWIG openmm.Force holding the C++ object); this class
adopts that object and reaches the PaiNN-specific methods through a small C interface (ctypes).
"""
import ctypes
import operator
import os

import openmm

__all__ = ["PaiNNForce", "asPaiNNForce", "setTopologyElements", "LIBRARY_PATH"]

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY_PATH = os.path.join(_HERE, "libPaiNNOpenMM.so")
if not os.path.exists(LIBRARY_PATH):
    raise ImportError(f"openmmpainn: the plugin library {LIBRARY_PATH} is missing (build the project first)")
# RTLD_GLOBAL: the serialization proxy registers itself in OpenMM's (global) registry on load.
# The library is loaded explicitly: setting OPENMM_PLUGIN_DIR would replace OpenMM's own plugin
# folder (and with it the CPU platform).
_lib = ctypes.CDLL(LIBRARY_PATH, mode=ctypes.RTLD_GLOBAL)
openmm.Platform.loadPluginLibrary(LIBRARY_PATH)  # registers the kernels on Reference and CPU

_lib.painn_openmm_last_error.restype = ctypes.c_char_p
for _name in ["force_xml", "force_xml_from_bytes", "is_painn_force", "set_particles", "get_particles",
              "set_atomic_numbers", "get_atomic_numbers", "set_periodic", "set_precision", "get_precision",
              "set_threads", "get_threads", "set_model_file", "set_model_bytes", "get_model_bytes",
              "update_in_context"]:
    getattr(_lib, "painn_openmm_" + _name).restype = ctypes.c_int
_lib.painn_openmm_force_xml_from_bytes.argtypes = [ctypes.c_char_p, ctypes.c_longlong,
                                                   ctypes.POINTER(ctypes.c_char_p)]
_lib.painn_openmm_set_model_bytes.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_longlong]
_lib.painn_openmm_get_model_bytes.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                              ctypes.POINTER(ctypes.c_longlong)]
_lib.painn_openmm_is_painn_force.argtypes = [ctypes.c_void_p]


def _check(rc):
    if rc != 0:
        raise openmm.OpenMMException(_lib.painn_openmm_last_error().decode())


def _pointer(swig_object):
    return ctypes.c_void_p(int(swig_object.this))


_INT_MIN, _INT_MAX = -2**31, 2**31 - 1


def _checked_int(value, what):
    """value as a Python int that fits a C int; OpenMMException otherwise (ctypes would wrap it)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise openmm.OpenMMException(f"PaiNNForce: {what} {value!r} is not an integer") from None
    if not _INT_MIN <= v <= _INT_MAX:
        raise openmm.OpenMMException(f"PaiNNForce: {what} {v} is out of range (it must fit a 32-bit int)")
    return v


def _int_array(values, what):
    values = [_checked_int(v, what) for v in values]
    return (ctypes.c_int * len(values))(*values), len(values)


def _get_ints(fn, force):
    out, n = ctypes.POINTER(ctypes.c_int)(), ctypes.c_int()
    _check(fn(_pointer(force), ctypes.byref(out), ctypes.byref(n)))
    return [out[k] for k in range(n.value)]


def _new_force_xml(model):
    xml = ctypes.c_char_p()
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
        _check(_lib.painn_openmm_force_xml_from_bytes(data, len(data), ctypes.byref(xml)))
    else:
        _check(_lib.painn_openmm_force_xml(os.fsencode(os.fspath(model)), ctypes.byref(xml)))
    return xml.value.decode()


class PaiNNForce(openmm.Force):
    """A PaiNN potential (model in PaiNN-MD's safetensors format) as an OpenMM Force.

    model: path of the model file, or its bytes. The model travels with the force (in its XML).
    Optional keywords set the corresponding properties: topology (elements from an
    openmm.app.Topology, for the selected particles), particles, atomicNumbers, periodic,
    precision ('single' or 'double'), threads (0: the CPU platform's count / OpenMP's default).
    """

    def __init__(self, model=None, *, topology=None, particles=None, atomicNumbers=None, periodic=None,
                 precision=None, threads=None, _swig=None):
        if _swig is None:
            if model is None:
                raise TypeError("PaiNNForce needs a model: the path of a model file or its bytes")
            _swig = openmm.XmlSerializer.deserialize(_new_force_xml(model))
        # Adopt the C++ object created by the deserializer (this class adds the PaiNN methods).
        # The SWIG pointer object carries the ownership flag; this proxy owns it until the force
        # is added to a System or a CustomCVForce.
        self.this = _swig.this
        self.thisown = True
        if particles is not None:
            self.setParticles(particles)
        if topology is not None:
            if atomicNumbers is not None:
                raise TypeError("PaiNNForce: give topology or atomicNumbers, not both")
            setTopologyElements(self, topology)
        if atomicNumbers is not None:
            self.setAtomicNumbers(atomicNumbers)
        if periodic is not None:
            self.setUsesPeriodicBoundaryConditions(periodic)
        if precision is not None:
            self.setPrecision(precision)
        if threads is not None:
            self.setNumThreads(threads)

    @classmethod
    def _view(cls, force):
        """A PaiNNForce sharing the C++ object of a generic openmm.Force (no copy, no ownership change)."""
        if not isinstance(force, openmm.Force) or not hasattr(force, "this"):
            raise TypeError(f"expected an openmm.Force, not {type(force).__name__}")
        if not _lib.painn_openmm_is_painn_force(_pointer(force)):
            raise TypeError("this openmm.Force is not a PaiNNForce")
        view = cls.__new__(cls)
        view.this = force.this
        return view

    def setParticles(self, particles):
        """Particles the potential acts on (ML/MM); empty means every particle."""
        arr, n = _int_array(particles, "particle index")
        _check(_lib.painn_openmm_set_particles(_pointer(self), arr, n))

    def getParticles(self):
        return _get_ints(_lib.painn_openmm_get_particles, self)

    def setAtomicNumbers(self, numbers):
        """Atomic number of each selected particle (in the order of getParticles, or all particles)."""
        arr, n = _int_array(numbers, "atomic number")
        _check(_lib.painn_openmm_set_atomic_numbers(_pointer(self), arr, n))

    def getAtomicNumbers(self):
        return _get_ints(_lib.painn_openmm_get_atomic_numbers, self)

    def setUsesPeriodicBoundaryConditions(self, periodic):
        _check(_lib.painn_openmm_set_periodic(_pointer(self), int(bool(periodic))))

    def setPrecision(self, precision):
        """'single' (fp32 compute, default) or 'double'."""
        _check(_lib.painn_openmm_set_precision(_pointer(self), str(precision).encode()))

    def getPrecision(self):
        out = ctypes.c_char_p()
        _check(_lib.painn_openmm_get_precision(_pointer(self), ctypes.byref(out)))
        return out.value.decode()

    def setNumThreads(self, threads):
        """CPU threads for the evaluation; 0: the CPU platform's thread count (OpenMP's default on Reference)."""
        _check(_lib.painn_openmm_set_threads(_pointer(self), _checked_int(threads, "thread count")))

    def getNumThreads(self):
        out = ctypes.c_int()
        _check(_lib.painn_openmm_get_threads(_pointer(self), ctypes.byref(out)))
        return out.value

    def setModelFile(self, path):
        """Replaces the model (call updateParametersInContext for existing Contexts)."""
        _check(_lib.painn_openmm_set_model_file(_pointer(self), os.fsencode(os.fspath(path))))

    def setModelBytes(self, data):
        data = bytes(data)
        _check(_lib.painn_openmm_set_model_bytes(_pointer(self), data, len(data)))

    def getModelBytes(self):
        ptr, size = ctypes.c_void_p(), ctypes.c_longlong()
        _check(_lib.painn_openmm_get_model_bytes(_pointer(self), ctypes.byref(ptr), ctypes.byref(size)))
        return ctypes.string_at(ptr, size.value)

    def updateParametersInContext(self, context):
        """Pushes a changed model, precision or thread count into an existing Context."""
        if not isinstance(context, openmm.Context):
            raise TypeError(f"expected an openmm.Context, not {type(context).__name__}")
        _check(_lib.painn_openmm_update_in_context(_pointer(self), _pointer(context)))

    def __deepcopy__(self, memo):
        return PaiNNForce(_swig=openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(self)))

    def __copy__(self):
        return self.__deepcopy__({})

    def __repr__(self):
        n = len(self.getParticles())
        return (f"<openmmpainn.PaiNNForce particles={'all' if n == 0 else n} precision={self.getPrecision()} "
                f"periodic={self.usesPeriodicBoundaryConditions()} group={self.getForceGroup()}>")


def asPaiNNForce(force):
    """The PaiNNForce inside a generic openmm.Force, e.g. from System.getForce(i) or
    CustomCVForce.getCollectiveVariable(i), to reach the PaiNN methods. Shares the object (no copy);
    valid as long as its owner (the System, ...) is. Raises TypeError for any other Force."""
    if isinstance(force, PaiNNForce):
        return force
    return PaiNNForce._view(force)


def setTopologyElements(force, topology):
    """Sets the force's atomic numbers from an openmm.app Topology (for its selected particles)."""
    atoms = list(topology.atoms())
    particles = force.getParticles() or range(len(atoms))
    numbers = []
    for p in particles:
        if p < 0 or p >= len(atoms):
            raise openmm.OpenMMException(f"PaiNNForce: particle {p} is not in the topology ({len(atoms)} atoms)")
        element = atoms[p].element
        if element is None:
            raise openmm.OpenMMException(f"PaiNNForce: atom {p} ({atoms[p].name}) of the topology has no element")
        numbers.append(element.atomic_number)
    force.setAtomicNumbers(numbers)
