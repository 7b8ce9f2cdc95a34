# Debian's liblammps (29 Sep 2021): lmp_painn (liblammps + pair_style painn) and a plugin for
# 2021-API LAMMPS builds with the PLUGIN package (Debian's has none). Needs the full LAMMPS header
# set matching the installed liblammps: scripts/get_lammps_headers.sh.
set(LAMMPS_HEADERS ${CMAKE_SOURCE_DIR}/third_party/lammps-headers CACHE PATH "LAMMPS src/ headers (with fmt/)")
find_library(LAMMPS_LIBRARY NAMES lammps)
find_package(MPI COMPONENTS CXX)

set(_painn_lmp_missing "")
if(NOT LAMMPS_LIBRARY)
  list(APPEND _painn_lmp_missing "liblammps (apt-get install lammps liblammps-dev)")
endif()
if(NOT MPI_CXX_FOUND)
  list(APPEND _painn_lmp_missing "MPI (apt-get install libopenmpi-dev openmpi-bin)")
endif()
if(NOT EXISTS ${LAMMPS_HEADERS}/pair.h OR NOT EXISTS ${LAMMPS_HEADERS}/neigh_request.h
   OR NOT EXISTS ${LAMMPS_HEADERS}/fmt/format.h)
  list(APPEND _painn_lmp_missing "the full LAMMPS headers in ${LAMMPS_HEADERS} (run scripts/get_lammps_headers.sh)")
elseif(EXISTS ${LAMMPS_HEADERS}/.version)
  # Headers from a different liblammps-dev than the installed one: class layouts may differ.
  find_program(DPKG_QUERY dpkg-query)
  if(DPKG_QUERY)
    execute_process(COMMAND ${DPKG_QUERY} -W -f=\${Version} liblammps-dev
                    OUTPUT_VARIABLE _lmp_installed ERROR_QUIET RESULT_VARIABLE _rc)
    file(STRINGS ${LAMMPS_HEADERS}/.version _lmp_headers LIMIT_COUNT 1)
    if(_rc EQUAL 0 AND NOT _lmp_installed STREQUAL _lmp_headers)
      list(APPEND _painn_lmp_missing
           "headers for the installed liblammps-dev ${_lmp_installed} (have ${_lmp_headers}: run scripts/get_lammps_headers.sh)")
    endif()
  endif()
endif()
if(_painn_lmp_missing)
  string(REPLACE ";" ", " _m "${_painn_lmp_missing}")
  message(STATUS "PaiNN: skipping lmp_painn and the Debian LAMMPS plugin; missing: ${_m}")
  return()
endif()

painn_lammps_style(painn_lammps_style ${LAMMPS_HEADERS} MPI::MPI_CXX)
message(STATUS "PaiNN: LAMMPS pair style with ${LAMMPS_LIBRARY} and headers in ${LAMMPS_HEADERS} "
               "(2022+ API: ${PAINN_LAMMPS_NEW_API})")

add_executable(lmp_painn lmp_painn.cpp)
target_link_libraries(lmp_painn PRIVATE painn_lammps_style ${LAMMPS_LIBRARY})

painn_lammps_plugin(painn_lammps_plugin painn_lammps_style ${CMAKE_LIBRARY_OUTPUT_DIRECTORY})
