# OpenMM 8 from PyPI or conda (`pip install openmm==8.6.1`): the plugin library and the SWIG
# module openmmpainn, both in python-pip/ (PYTHONPATH=build/python-pip). The wheel has no CMake
# config: headers (with swig/) are in OpenMM.libs/include, libraries in OpenMM.libs/lib, found
# through PAINN_OPENMM_PYTHON (`import openmm`). The wheel is built with GCC 14; g++ 12 plugins
# load into it (both use the C++11 string ABI).
set(PAINN_OPENMM_PYTHON "" CACHE FILEPATH
    "A Python that can `import openmm` (OpenMM 8 wheel): builds python-pip/openmmpainn for it")
set(_python ${PAINN_OPENMM_PYTHON})
if(NOT _python AND EXISTS ${CMAKE_SOURCE_DIR}/.venv-hosts/bin/python)
  set(_python ${CMAKE_SOURCE_DIR}/.venv-hosts/bin/python)  # scripts/setup_hosts.sh
endif()
if(NOT _python)
  return()
endif()
execute_process(
  COMMAND ${_python} -c "import os, sysconfig, openmm, openmm.version as v
lib = v.openmm_library_path
print(f'set(PIP_OPENMM_LIB_DIR \"{lib}\")')
print(f'set(PIP_OPENMM_INCLUDE_DIR \"{os.path.join(os.path.dirname(lib), \"include\")}\")')
print(f'set(PIP_OPENMM_VERSION \"{openmm.__version__}\")')
print(f'set(PIP_PYTHON_INCLUDE_DIR \"{sysconfig.get_paths()[\"include\"]}\")')
print(f'set(PIP_PYTHON_EXT_SUFFIX \"{sysconfig.get_config_var(\"EXT_SUFFIX\")}\")')
head = open(os.path.join(os.path.dirname(openmm.__file__), 'openmm.py')).read(300)
print(f'set(PIP_OPENMM_SWIG_VERSION \"{head.split(\"Version \")[1].split()[0]}\")')"
  OUTPUT_VARIABLE _vars RESULT_VARIABLE _rc ERROR_VARIABLE _err)
# The SWIG that generated the wheel's openmm.py: another major runtime (Debian's 4.1 has
# swig_runtime_data4, the wheel's 4.5 swig_runtime_data5) makes PaiNNForce a stranger to
# openmm.Force. scripts/setup_hosts.sh installs the matching `swig` wheel beside the Python.
get_filename_component(_bin ${_python} DIRECTORY)
find_program(PAINN_PIP_SWIG swig HINTS ${_bin} NO_DEFAULT_PATH)
find_program(PAINN_PIP_SWIG swig)
set(SWIG_EXECUTABLE ${PAINN_PIP_SWIG})
if(NOT _rc EQUAL 0)
  message(STATUS "PaiNN: skipping the OpenMM wheel plugin: `import openmm` failed in ${_python}: ${_err}")
  return()
endif()
cmake_language(EVAL CODE "${_vars}")
if(NOT SWIG_EXECUTABLE OR NOT EXISTS ${PIP_OPENMM_INCLUDE_DIR}/swig/OpenMMSwigHeaders.i
   OR NOT EXISTS ${PIP_PYTHON_INCLUDE_DIR}/Python.h)
  message(STATUS "PaiNN: skipping the OpenMM wheel plugin: needs swig (apt-get install swig), Python "
                 "headers (python3-dev) and the wheel's SWIG files in ${PIP_OPENMM_INCLUDE_DIR}/swig")
  return()
endif()

execute_process(COMMAND ${SWIG_EXECUTABLE} -version OUTPUT_VARIABLE _swig_version)
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" _swig_version "${_swig_version}")
string(REGEX MATCH "^[0-9]+\\.[0-9]+" _swig_mm "${_swig_version}")
string(REGEX MATCH "^[0-9]+\\.[0-9]+" _wheel_mm "${PIP_OPENMM_SWIG_VERSION}")
if(NOT _swig_mm STREQUAL _wheel_mm)
  message(STATUS "PaiNN: skipping the OpenMM wheel plugin: ${SWIG_EXECUTABLE} is SWIG ${_swig_version}, the "
                 "wheel's module was made by SWIG ${PIP_OPENMM_SWIG_VERSION} (pip install swig==${PIP_OPENMM_SWIG_VERSION})")
  return()
endif()

set(_out ${CMAKE_BINARY_DIR}/python-pip)
add_library(PaiNNOpenMM_pip SHARED ${PAINN_OPENMM_SOURCES})
# The wheel's headers as system headers: searched after ours but before /usr/include (where
# Debian's OpenMM 7.7 headers may be), and without their warnings.
target_include_directories(PaiNNOpenMM_pip PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_include_directories(PaiNNOpenMM_pip SYSTEM PUBLIC ${PIP_OPENMM_INCLUDE_DIR} ${PIP_OPENMM_INCLUDE_DIR}/openmm/reference)
target_link_libraries(PaiNNOpenMM_pip PRIVATE painn_core ${PIP_OPENMM_LIB_DIR}/libOpenMM.so)
target_link_options(PaiNNOpenMM_pip PRIVATE "LINKER:--exclude-libs,ALL")
set_target_properties(PaiNNOpenMM_pip PROPERTIES OUTPUT_NAME PaiNNOpenMM LIBRARY_OUTPUT_DIRECTORY ${_out})

# SWIG: openmmpainn.py and its extension _openmmpainn<EXT_SUFFIX> (finds the library via $ORIGIN).
set(_i ${CMAKE_CURRENT_SOURCE_DIR}/python/swig/openmmpainn.i)
set(_wrap ${CMAKE_CURRENT_BINARY_DIR}/openmmpainn_wrap.cxx)
add_custom_command(OUTPUT ${_wrap} ${_out}/openmmpainn.py
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}
  COMMAND ${SWIG_EXECUTABLE} -python -c++ -I${PIP_OPENMM_INCLUDE_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}/include
          -outdir ${_out} -o ${_wrap} ${_i}
  DEPENDS ${_i} VERBATIM)
add_library(openmmpainn_swig MODULE ${_wrap})
target_include_directories(openmmpainn_swig PRIVATE ${PIP_PYTHON_INCLUDE_DIR})
target_link_libraries(openmmpainn_swig PRIVATE PaiNNOpenMM_pip ${PIP_OPENMM_LIB_DIR}/libOpenMM.so
                      ${PIP_OPENMM_LIB_DIR}/libOpenMMAmoeba.so ${PIP_OPENMM_LIB_DIR}/libOpenMMDrude.so
                      ${PIP_OPENMM_LIB_DIR}/libOpenMMRPMD.so)
target_compile_options(openmmpainn_swig PRIVATE -w)  # generated code
set_target_properties(openmmpainn_swig PROPERTIES PREFIX "" OUTPUT_NAME _openmmpainn
                      SUFFIX ${PIP_PYTHON_EXT_SUFFIX} LIBRARY_OUTPUT_DIRECTORY ${_out}
                      BUILD_RPATH "$ORIGIN;${PIP_OPENMM_LIB_DIR}")
message(STATUS "PaiNN: OpenMM ${PIP_OPENMM_VERSION} wheel plugin + SWIG module in ${_out} (${PIP_OPENMM_LIB_DIR})")
get_filename_component(PAINN_PIP_OPENMM_VENV ${_bin} DIRECTORY)
set(PAINN_PIP_OPENMM_VENV ${PAINN_PIP_OPENMM_VENV} CACHE INTERNAL "the virtualenv of PAINN_OPENMM_PYTHON (tests)")

# openmm-ml: the package painn_openmmml beside openmmpainn, and its metadata (a .dist-info with
# the `openmmml.potentials` entry points: 'painn' and 'painn-SIZE' for each size of shipped
# potential, potentials/SIZE-{fp32,fp16,int8}.safetensors), so that a Python with python-pip/
# on its path finds MLPotential('painn-compact'). The sizes are those training/potentials/ship_v2.sh
# ships; a missing file is reported when the potential is created.
set(_eps "[openmmml.potentials]\npainn = painn_openmmml:PaiNNPotentialImplFactory\n")
foreach(_size current compact efficient tiny ultratiny)
  string(APPEND _eps "painn-${_size} = painn_openmmml:PaiNNPotentialImplFactory\n")
endforeach()
set(_dist ${_out}/painn_openmmml-${PROJECT_VERSION}.dist-info)
file(WRITE ${_dist}/entry_points.txt "${_eps}")
file(WRITE ${_dist}/METADATA "Metadata-Version: 2.1\nName: painn-openmmml\nVersion: ${PROJECT_VERSION}\n"
                             "Summary: PaiNN-MD potentials for openmm-ml (built in PaiNN-MD's build tree)\n")
file(MAKE_DIRECTORY ${_out}/painn_openmmml)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/potentials ${_out}/painn_openmmml/potentials SYMBOLIC)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/python/painn_openmmml/__init__.py ${_out}/painn_openmmml/__init__.py COPYONLY)
