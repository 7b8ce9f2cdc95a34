"""Imports schnetpack's model code (representations, output modules, transforms, NeuralNetworkPotential).

`import schnetpack` also imports its training stack (data modules, pytorch-lightning, hydra).
Where that stack cannot be imported, the model classes are still usable: with Debian's torch 1.13
under Python 3.11, for one, torch.distributed._shard fails to import (a dataclass default that
Python 3.11 refuses), and pytorch-lightning imports it. Then the package is registered without
running its __init__ and only the model submodules are imported, which need none of that stack;
torch.load of a saved model finds its classes there as usual.
"""
import importlib
import importlib.metadata
import importlib.util
import sys
import types

MODEL_SUBMODULES = ("properties", "nn", "transform", "representation", "atomistic", "model")


def import_schnetpack():
    """The schnetpack module with at least MODEL_SUBMODULES importable; ImportError if not installed."""
    if "schnetpack" in sys.modules:
        return sys.modules["schnetpack"]
    if importlib.util.find_spec("schnetpack") is None:
        raise ImportError("schnetpack is not installed in this Python (" + sys.executable + ")")
    try:
        return importlib.import_module("schnetpack")
    except Exception as full_import_error:  # its training stack; the model code may still import
        for name in [k for k in sys.modules if k == "schnetpack" or k.startswith("schnetpack.")]:
            del sys.modules[name]
        spec = importlib.util.find_spec("schnetpack")
        package = types.ModuleType("schnetpack")
        package.__path__ = list(spec.submodule_search_locations)
        package.__file__, package.__spec__ = spec.origin, spec
        package.__version__ = importlib.metadata.version("schnetpack")
        package.__painn_partial_import__ = repr(full_import_error)
        sys.modules["schnetpack"] = package
        try:
            for sub in MODEL_SUBMODULES:
                importlib.import_module("schnetpack." + sub)
        except Exception as e:
            del sys.modules["schnetpack"]
            raise ImportError(f"schnetpack's model code does not import ({e!r}; "
                              f"`import schnetpack` failed with {full_import_error!r})") from e
        return package
