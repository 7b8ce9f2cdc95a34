# pair_style painn built into LAMMPS itself, for people who compile LAMMPS from source (the way
# pair_allegro, pair_nequip and ML-PACE are installed). add_to_lammps.sh copies the pair style
# into LAMMPS's src/ (LAMMPS's CMake compiles every src/*.cpp and registers the PairStyle in
# pair_painn.h) and includes this file at the end of LAMMPS's cmake/CMakeLists.txt, where the
# `lammps` target exists. It adds the PaiNN-MD core (built from this repository) and the API
# switch of lammps_api.h, read from the tree's own neighbor.h.
get_filename_component(PAINN_MD_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(nlohmann_json 3 REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
add_subdirectory(${PAINN_MD_ROOT}/core ${CMAKE_BINARY_DIR}/painn_core)
# C++17 (the core's) for liblammps too; PIC because liblammps may be a shared library.
target_compile_features(painn_core PUBLIC cxx_std_17)
set_target_properties(painn_core PROPERTIES POSITION_INDEPENDENT_CODE ON)
option(PAINN_NATIVE "Compile the PaiNN-MD core with -march=native" ON)
if(PAINN_NATIVE)
  target_compile_options(painn_core PRIVATE -march=native)
endif()
file(STRINGS ${LAMMPS_SOURCE_DIR}/neighbor.h _painn_add_request REGEX "add_request\\(class Pair")
if(_painn_add_request)
  target_compile_definitions(lammps PRIVATE PAINN_LAMMPS_NEW_API=1)
else()
  target_compile_definitions(lammps PRIVATE PAINN_LAMMPS_NEW_API=0)
endif()
target_link_libraries(lammps PRIVATE painn_core)
message(STATUS "PaiNN-MD: pair_style painn built into LAMMPS (core from ${PAINN_MD_ROOT})")
