// The openmmpainn Python module for OpenMM 8 from PyPI or conda: a conventional SWIG wrapper of
// PaiNNForce (the shape of openmm-torch and openmmexampleplugin), built against the SWIG files
// the OpenMM wheel ships (OpenMM.libs/include/swig). PaiNNForce is a real openmm.Force subclass:
// System.addForce, XmlSerializer, copy and CustomCVForce work as for OpenMM's own forces.
// (Debian's OpenMM 7.7 ships no SWIG files: there the ctypes module python/openmmpainn/ is used.)
%module openmmpainn

%import(module="openmm") "swig/OpenMMSwigHeaders.i"
%include "swig/typemaps.i"
%include <std_string.i>

%{
#include <climits>

#include "OpenMM.h"
#include "OpenMMAmoeba.h"
#include "OpenMMDrude.h"
#include "openmm/RPMDIntegrator.h"
#include "openmm/RPMDMonteCarloBarostat.h"
#include "openmmpainn/PaiNNForce.h"

// Python sequence of ints -> std::vector<int>; false (with a Python error set) otherwise.
static bool painn_to_ints(PyObject* seq, std::vector<int>& out, const char* what) {
  PyObject* fast = PySequence_Fast(seq, "PaiNNForce: expected a sequence of integers");
  if (!fast) return false;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  out.resize(n);
  for (Py_ssize_t k = 0; k < n; ++k) {
    PyObject* index = PyNumber_Index(PySequence_Fast_GET_ITEM(fast, k));
    long v = index ? PyLong_AsLong(index) : -1;
    Py_XDECREF(index);
    if (PyErr_Occurred() || v < INT_MIN || v > INT_MAX) {
      Py_DECREF(fast);
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "PaiNNForce: %s %zd is not an integer that fits a 32-bit int", what, k);
      return false;
    }
    out[k] = static_cast<int>(v);
  }
  Py_DECREF(fast);
  return true;
}

static PyObject* painn_from_ints(const std::vector<int>& v) {
  PyObject* list = PyList_New(v.size());
  for (size_t k = 0; k < v.size(); ++k) PyList_SET_ITEM(list, k, PyLong_FromLong(v[k]));
  return list;
}
%}

// C++ exceptions become openmm.OpenMMException (as in OpenMM's own module).
%exception {
  try {
    $action
  } catch (std::exception& e) {
    PyObject* mm = PyImport_ImportModule("openmm");
    PyObject* cls = mm ? PyObject_GetAttrString(mm, "OpenMMException") : NULL;
    PyErr_SetString(cls ? cls : PyExc_Exception, e.what());
    Py_XDECREF(cls);
    Py_XDECREF(mm);
    SWIG_fail;
  }
}

namespace PaiNNPlugin {

class PaiNNForce : public OpenMM::Force {
 public:
  PaiNNForce(const std::string& modelPath);
  bool usesPeriodicBoundaryConditions() const;
  void setUsesPeriodicBoundaryConditions(bool periodic);
  void setPrecision(const std::string& precision);
  const std::string& getPrecision() const;
  void setNumThreads(int threads);
  int getNumThreads() const;
  void updateParametersInContext(OpenMM::Context& context);

  %extend {
    // Particles the potential acts on (ML/MM); empty means every particle.
    PyObject* setParticles(PyObject* particles) {
      std::vector<int> v;
      if (!painn_to_ints(particles, v, "particle")) return NULL;
      self->setParticles(v);
      Py_RETURN_NONE;
    }
    PyObject* getParticles() { return painn_from_ints(self->getParticles()); }
    // Atomic number of each selected particle; empty: inferred from masses.
    PyObject* setAtomicNumbers(PyObject* numbers) {
      std::vector<int> v;
      if (!painn_to_ints(numbers, v, "atomic number")) return NULL;
      self->setAtomicNumbers(v);
      Py_RETURN_NONE;
    }
    PyObject* getAtomicNumbers() { return painn_from_ints(self->getAtomicNumbers()); }
    // The model file's bytes (they travel with the force, e.g. in its XML).
    PyObject* getModelBytes() {
      const std::string& b = self->getModelBytes();
      return PyBytes_FromStringAndSize(b.data(), static_cast<Py_ssize_t>(b.size()));
    }
    PyObject* setModelBytes(PyObject* data) {
      char* p = NULL;
      Py_ssize_t n = 0;
      if (PyBytes_AsStringAndSize(data, &p, &n) != 0) return NULL;
      self->setModelBytes(std::string(p, static_cast<size_t>(n)));
      Py_RETURN_NONE;
    }
    // The PaiNNForce inside a generic openmm.Force (System.getForce, CustomCVForce), shared.
    static PaiNNPlugin::PaiNNForce& cast(OpenMM::Force& force) {
      PaiNNPlugin::PaiNNForce* p = dynamic_cast<PaiNNPlugin::PaiNNForce*>(&force);
      if (!p) throw OpenMM::OpenMMException("this openmm.Force is not a PaiNNForce");
      return *p;
    }
    static bool isinstance(OpenMM::Force& force) {
      return dynamic_cast<PaiNNPlugin::PaiNNForce*>(&force) != NULL;
    }
  }
};

}  // namespace PaiNNPlugin

%pythoncode %{
# The kernels (Reference and CPU platforms) register when OpenMM loads the plugin library, which
# sits beside this module. Loaded explicitly: OPENMM_PLUGIN_DIR would replace OpenMM's own
# plugin folder (and with it the CPU platform).
import os as _os
import openmm as _mm
LIBRARY_PATH = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "libPaiNNOpenMM.so")
_mm.Platform.loadPluginLibrary(LIBRARY_PATH)


def setTopologyElements(force, topology):
    """Sets the force's atomic numbers from an openmm.app Topology (for its selected particles)."""
    atoms = list(topology.atoms())
    numbers = []
    for p in force.getParticles() or range(len(atoms)):
        if not 0 <= p < len(atoms) or atoms[p].element is None:
            raise _mm.OpenMMException(f"PaiNNForce: particle {p} has no element in the topology")
        numbers.append(atoms[p].element.atomic_number)
    force.setAtomicNumbers(numbers)
%}
