#include "pair_painn.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "lammps_api.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"
#include "painn/error.h"
#include "update.h"

using namespace LAMMPS_NS;

namespace {
// Adds u * W (row-major 3x3, W = sum r (x) f) to a LAMMPS virial in the order xx yy zz xy xz yz.
void add_virial(double *v, const std::array<double, 9> &w, double u) {
  v[0] += u * w[0];
  v[1] += u * w[4];
  v[2] += u * w[8];
  v[3] += u * 0.5 * (w[1] + w[3]);
  v[4] += u * 0.5 * (w[2] + w[6]);
  v[5] += u * 0.5 * (w[5] + w[7]);
}

// 1 eV in kcal/mol: 96.48533212331002 kJ/mol / 4.184 (exact by the definition of the kcal).
constexpr double kEvInKcalPerMol = 96.48533212331002 / 4.184;

// An error found on one rank only (during compute, the others are busy in their own step or
// waiting in a ghost exchange, so it cannot be collective): error->one aborts every rank, but it
// writes its message only to this rank's screen, and with `-screen none` (or a log that only rank
// 0 writes) a non-zero rank's message was lost. Write it to stderr first, which mpirun forwards.
[[noreturn]] void fail_on_this_rank(Error *error, int rank, const std::string &message) {
  std::fprintf(stderr, "ERROR on proc %d: %s\n", rank, message.c_str());
  std::fflush(stderr);
  error->one(FLERR, message);
  std::abort();  // error->one does not return; this keeps [[noreturn]] honest for every LAMMPS version
}
}  // namespace

PairPaiNN::PairPaiNN(LAMMPS *lmp) : Pair(lmp) {
  single_enable = 0;
  restartinfo = 0;
  one_coeff = 1;
  manybody_flag = 1;
  no_virial_fdotr_compute = 1;  // the core gives the virial from its edge forces
  // comm_forward/comm_reverse are set once the model (and its width) is known.
}

PairPaiNN::~PairPaiNN() {
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairPaiNN::allocate() {
  allocated = 1;
  const int n = atom->ntypes;
  memory->create(setflag, n + 1, n + 1, "pair:setflag");
  memory->create(cutsq, n + 1, n + 1, "pair:cutsq");
  for (int i = 1; i <= n; i++)
    for (int j = i; j <= n; j++) setflag[i][j] = 0;
}

void PairPaiNN::settings(int narg, char **arg) {
  int k = 0;
  while (k < narg) {
    if (strcmp(arg[k], "precision") == 0) {
      if (k + 1 >= narg) error->all(FLERR, "pair_style painn: keyword 'precision' needs a value (fp32 or fp64)");
      try {
        precision_ = painn::precision_from_string(arg[k + 1]);
      } catch (const painn::Error &e) {
        error->all(FLERR, std::string("pair_style painn: ") + e.what());
      }
      k += 2;
    } else {
      error->all(FLERR, std::string("pair_style painn: unknown keyword '") + arg[k] +
                            "' (usage: pair_style painn [precision fp32|fp64])");
    }
  }
}

// Rank 0 reads the file; every rank gets its bytes through MPI_Bcast on world.
void PairPaiNN::read_model(const char *path) {
  std::string bytes;
  long size = -1;
  if (comm->me == 0) {
    try {
      bytes = painn::Model::read_file(path);  // refuses directories, devices and files above its limit
      size = static_cast<long>(bytes.size());
    } catch (const painn::Error &e) {
      bytes = e.what();  // the message travels instead of the bytes
    }
  }
  MPI_Bcast(&size, 1, MPI_LONG, 0, world);
  if (size < 0) {
    long len = static_cast<long>(bytes.size());
    MPI_Bcast(&len, 1, MPI_LONG, 0, world);
    bytes.resize(len);
    MPI_Bcast(bytes.data(), static_cast<int>(len), MPI_CHAR, 0, world);
    error->all(FLERR, "pair_coeff painn: " + bytes);
  }
  bytes.resize(size);
  MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_CHAR, 0, world);
  try {
    model_ = std::make_unique<painn::Model>(painn::Model::from_bytes(bytes, path));
  } catch (const painn::Error &e) {
    error->all(FLERR, std::string("pair_coeff painn: ") + e.what());
  }
}

void PairPaiNN::coeff(int narg, char **arg) {
  if (!allocated) allocate();
  const int ntypes = atom->ntypes;
  if (narg != 3 + ntypes)
    error->all(FLERR, "pair_coeff painn: expected 'pair_coeff * * MODEL' and one element (or NULL) for each of the " +
                          std::to_string(ntypes) + " atom types");
  if (strcmp(arg[0], "*") != 0 || strcmp(arg[1], "*") != 0)
    error->all(FLERR, "pair_coeff painn: the type arguments must be '* *'");
  read_model(arg[2]);
  type_species_.assign(ntypes + 1, -1);
  std::string species;
  for (int z : model_->config.species) species += (species.empty() ? "" : " ") + painn::element_symbol(z);
  for (int t = 1; t <= ntypes; ++t) {
    const std::string el = arg[2 + t];
    if (el == "NULL") continue;
    int z = 0;
    try {
      z = painn::atomic_number(el);
    } catch (const painn::Error &) {
      error->all(FLERR, "pair_coeff painn: '" + el + "' for atom type " + std::to_string(t) + " is not an element symbol");
    }
    const int k = model_->species_index(z);
    if (k < 0)
      error->all(FLERR, "pair_coeff painn: element " + el + " (atom type " + std::to_string(t) +
                            ") is not in the model; it has " + species);
    type_species_[t] = k;
  }
  int count = 0;
  for (int i = 1; i <= ntypes; i++)
    for (int j = i; j <= ntypes; j++)
      if (type_species_[i] >= 0 && type_species_[j] >= 0) {
        setflag[i][j] = 1;
        count++;
      }
  if (count == 0) error->all(FLERR, "pair_coeff painn: no atom type is mapped to an element");
  // Alone (not a hybrid sub-style), NULL types would stop LAMMPS with "All pair coeffs are not set".
  if (force->pair == this)
    for (int t = 1; t <= ntypes; ++t)
      if (type_species_[t] < 0)
        error->all(FLERR, "pair_coeff painn: atom type " + std::to_string(t) +
                              " is NULL; atoms outside the model need another pair style for them: "
                              "pair_style hybrid/overlay painn ... and pair_coeff * * painn MODEL El1 ... NULL");
  cutoff_ = model_->config.cutoff;
  hidden_ = model_->config.hidden;
  comm_forward = comm_reverse = 4 * hidden_;  // q (H) and mu (3H) per atom
  // Under pair_style hybrid(/overlay) the top-level style took its comm sizes from the
  // sub-styles in its settings(), before this width was known; Comm::init sizes the buffers
  // from the top-level style, so raise its sizes too (else the exchange overruns them).
  Pair *top = force->pair;
  if (top && top != this) {
    top->comm_forward = std::max(top->comm_forward, comm_forward);
    top->comm_reverse = std::max(top->comm_reverse, comm_reverse);
  }
  make_calculator();
}

// fp32 compute refuses a model with weights beyond float's range: a LAMMPS error, not a crash.
void PairPaiNN::make_calculator() {
  try {
    calc_ = std::make_unique<painn::Calculator>(*model_, precision_, 0);
  } catch (const painn::Error &e) {
    error->all(FLERR, std::string("pair_style painn: ") + e.what());
  }
}

void PairPaiNN::init_style() {
  if (!model_) error->all(FLERR, "pair_style painn: pair_coeff has not been given");
  if (force->newton_pair == 0)
    error->all(FLERR, "pair_style painn requires newton_pair on (ghost-atom forces and features are summed home "
                      "through reverse communication)");
  const std::string units = update->unit_style;
  if (units == "metal") energy_unit_ = 1.0;
  else if (units == "real") energy_unit_ = kEvInKcalPerMol;
  else
    error->all(FLERR, "pair_style painn supports units metal (eV, A) and real (kcal/mol, A), not '" + units + "'");
  const int ntypes = atom->ntypes;
  for (int t = 1; t <= ntypes; ++t)
    if (t >= static_cast<int>(type_species_.size()))
      error->all(FLERR, "pair_style painn: atom type " + std::to_string(t) + " was created after pair_coeff; repeat pair_coeff");
  // A full neighbour list (both i-j and j-i) of owned atoms, with ghosts as neighbours.
  painn_lammps::request_full_list(neighbor, this, instance_me);
  // A repeated `pair_style painn precision ...` keeps this object and only calls settings().
  if (calc_->precision() != precision_) make_calculator();
  // OpenMP threads per MPI rank as LAMMPS counts them (OMP_NUM_THREADS, else 1; `package omp N`).
  try {
    calc_->set_threads(comm->nthreads);
  } catch (const painn::Error &e) {
    error->all(FLERR, std::string("pair_style painn: ") + e.what());
  }
}

double PairPaiNN::init_one(int, int) {
  return cutoff_;  // the ghost shell is cutoff + skin: no enlargement for the L layers
}

void PairPaiNN::compute(int eflag, int vflag) {
  ev_init(eflag, vflag);
  double **x = atom->x;
  double **f = atom->f;
  const int *type = atom->type;
  const int nlocal = atom->nlocal;
  const int nall = nlocal + atom->nghost;

  // Nodes: mapped owned atoms, then mapped ghosts (the core's order); unmapped types (NULL) are
  // left out entirely.
  atom_node_.assign(nall, -1);
  node_atom_.clear();
  graph_.species.clear();
  int n_local = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = pass ? nlocal : 0; i < (pass ? nall : nlocal); ++i) {
      const int k = type_species_[type[i]];
      if (k < 0) continue;
      atom_node_[i] = static_cast<int>(node_atom_.size());
      node_atom_.push_back(i);
      graph_.species.push_back(k);
    }
    if (pass == 0) n_local = static_cast<int>(node_atom_.size());
  }
  graph_.n_local = n_local;
  graph_.n_nodes = static_cast<int>(node_atom_.size());

  // Edges from the full list, within the model cutoff (the list includes the skin).
  const double rc2 = cutoff_ * cutoff_;
  const double min_d = painn::min_pair_distance(model_->config), min_r2 = min_d * min_d;
  graph_.offsets.assign(1, 0);
  graph_.neighbor.clear();
  graph_.vec.clear();
  for (int node = 0; node < n_local; ++node) {
    const int i = node_atom_[node];
    const int *jlist = list->firstneigh[i];
    const int jnum = list->numneigh[i];
    for (int jj = 0; jj < jnum; ++jj) {
      const int j = jlist[jj] & NEIGHMASK;
      const int nj = atom_node_[j];
      if (nj < 0) continue;
      const double d0 = x[j][0] - x[i][0], d1 = x[j][1] - x[i][1], d2 = x[j][2] - x[i][2];
      const double r2 = d0 * d0 + d1 * d1 + d2 * d2;
      if (r2 >= rc2) continue;
      if (!(r2 >= min_r2))  // as the core (graph.h); named here by atom ID (the core only knows nodes)
        fail_on_this_rank(error, comm->me,
                          "pair_style painn: atoms " + std::to_string(atom->tag[i]) + " and " +
                              std::to_string(atom->tag[j]) + " are " + std::to_string(std::sqrt(r2)) +
                              " A apart, closer than " + painn::min_pair_distance_text(model_->config) +
                              " A (overlapping atoms), or their distance is not finite");
      graph_.neighbor.push_back(nj);
      graph_.vec.push_back({d0, d1, d2});
    }
    graph_.offsets.push_back(static_cast<int64_t>(graph_.neighbor.size()));
  }

  painn::Request req;
  req.per_atom_energy = eflag_atom != 0;
  req.per_atom_virial = vflag_atom != 0;
  painn::Result r;
  try {
    r = calc_->compute(graph_, req, &exchange_);
  } catch (const painn::Error &e) {
    fail_on_this_rank(error, comm->me, std::string("pair_style painn: ") + e.what());
  }

  const double u = energy_unit_;
  for (int node = 0; node < graph_.n_nodes; ++node) {
    const int i = node_atom_[node];
    f[i][0] += u * r.forces[node][0];
    f[i][1] += u * r.forces[node][1];
    f[i][2] += u * r.forces[node][2];
  }
  if (eflag_global) eng_vdwl += u * r.energy;
  if (eflag_atom)
    for (int node = 0; node < n_local; ++node) eatom[node_atom_[node]] += u * r.atom_energy[node];
  if (vflag_global) add_virial(virial, r.virial, u);
  if (vflag_atom)
    for (int node = 0; node < graph_.n_nodes; ++node) add_virial(vatom[node_atom_[node]], r.atom_virial[node], u);
}

// ---- ghost exchange between layers ---------------------------------------------------------

// Points the pack/unpack callbacks at the core's rows, then runs LAMMPS's communication.
template <typename T> void PairPaiNN::exchange(T *q, T *mu, int hidden, bool reverse) {
  rows_q_ = q;
  rows_mu_ = mu;
  rows_float_ = std::is_same<T, float>::value;
  hidden_ = hidden;
  if (reverse) painn_lammps::reverse_comm(comm, this);
  else painn_lammps::forward_comm(comm, this);
}

// Copies the 4H feature values (q, then mu) of the given atoms into buf; atoms outside the
// model send zeros so that every rank packs the same sizes.
template <typename T> int PairPaiNN::pack_rows(int n, const int *atoms, double *buf, bool zero_after) {
  const int H = hidden_;
  T *q = static_cast<T *>(rows_q_), *mu = static_cast<T *>(rows_mu_);
  int m = 0;
  for (int k = 0; k < n; ++k) {
    const int node = atom_node_[atoms[k]];
    if (node < 0) {
      for (int h = 0; h < 4 * H; ++h) buf[m++] = 0.0;
      continue;
    }
    T *rq = q + static_cast<size_t>(node) * H, *rmu = mu + static_cast<size_t>(node) * 3 * H;
    for (int h = 0; h < H; ++h) buf[m++] = rq[h];
    for (int h = 0; h < 3 * H; ++h) buf[m++] = rmu[h];
    if (zero_after) {
      std::fill(rq, rq + H, T(0));
      std::fill(rmu, rmu + 3 * H, T(0));
    }
  }
  return m;
}

template <typename T> void PairPaiNN::unpack_rows(int n, const int *atoms, const double *buf, bool add) {
  const int H = hidden_;
  T *q = static_cast<T *>(rows_q_), *mu = static_cast<T *>(rows_mu_);
  int m = 0;
  for (int k = 0; k < n; ++k) {
    const int node = atom_node_[atoms[k]];
    if (node < 0) {
      m += 4 * H;
      continue;
    }
    T *rq = q + static_cast<size_t>(node) * H, *rmu = mu + static_cast<size_t>(node) * 3 * H;
    for (int h = 0; h < H; ++h) rq[h] = add ? rq[h] + static_cast<T>(buf[m++]) : static_cast<T>(buf[m++]);
    for (int h = 0; h < 3 * H; ++h) rmu[h] = add ? rmu[h] + static_cast<T>(buf[m++]) : static_cast<T>(buf[m++]);
  }
}

int PairPaiNN::pack_forward_comm(int n, int *list, double *buf, int /*pbc_flag*/, int * /*pbc*/) {
  // Features are invariant (q) or translation-free vectors (mu): no periodic shift to apply.
  return rows_float_ ? pack_rows<float>(n, list, buf, false) : pack_rows<double>(n, list, buf, false);
}

void PairPaiNN::unpack_forward_comm(int n, int first, double *buf) {
  std::vector<int> &atoms = range_;
  atoms.resize(n);
  for (int k = 0; k < n; ++k) atoms[k] = first + k;
  rows_float_ ? unpack_rows<float>(n, atoms.data(), buf, false) : unpack_rows<double>(n, atoms.data(), buf, false);
}

int PairPaiNN::pack_reverse_comm(int n, int first, double *buf) {
  std::vector<int> &atoms = range_;
  atoms.resize(n);
  for (int k = 0; k < n; ++k) atoms[k] = first + k;
  // Ghost rows are zeroed once sent: the core keeps accumulating into them for the next layer.
  return rows_float_ ? pack_rows<float>(n, atoms.data(), buf, true) : pack_rows<double>(n, atoms.data(), buf, true);
}

void PairPaiNN::unpack_reverse_comm(int n, int *list, double *buf) {
  rows_float_ ? unpack_rows<float>(n, list, buf, true) : unpack_rows<double>(n, list, buf, true);
}
