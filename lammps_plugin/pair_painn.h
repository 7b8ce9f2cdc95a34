// LAMMPS pair style `painn`: a thin adapter over the PaiNN-MD core. It maps LAMMPS types to
// model elements, converts units, builds the core's graph from the full neighbour list, and keeps
// ghost atoms exact between message-passing layers with LAMMPS's own forward/reverse
// communication (the pattern of pair_eam's fp exchange, once per layer).
//
//   pair_style painn [precision fp32|fp64]                (default fp32)
//   pair_coeff * * model.safetensors El1 El2 ... ElN     (one element or NULL per atom type)
//
// NULL types are left out of the graph entirely (they neither feel nor exert PaiNN forces); they
// need another style: pair_style hybrid/overlay painn ... (pair_coeff * * painn MODEL ... NULL).
// Units metal or real; newton_pair on. Node order: mapped owned atoms, then mapped ghosts.
#ifdef PAIR_CLASS
// clang-format off
PairStyle(painn,PairPaiNN);
// clang-format on
#else
#ifndef LMP_PAIR_PAINN_H
#define LMP_PAIR_PAINN_H

#include <memory>
#include <vector>

#include "pair.h"
#include "painn/calculator.h"

namespace LAMMPS_NS {

class PairPaiNN : public Pair {
 public:
  explicit PairPaiNN(class LAMMPS *);
  ~PairPaiNN() override;
  void compute(int, int) override;
  void settings(int, char **) override;
  void coeff(int, char **) override;
  void init_style() override;
  double init_one(int, int) override;

  int pack_forward_comm(int, int *, double *, int, int *) override;
  void unpack_forward_comm(int, int, double *) override;
  int pack_reverse_comm(int, int, double *) override;
  void unpack_reverse_comm(int, int *, double *) override;

 private:
  // The core's ghost exchange between layers, a member rather than a second base class: since
  // LAMMPS 2023 Pair's destructor is noexcept(false), and a class cannot derive from both that
  // and GhostExchange (noexcept destructor).
  class Exchange : public painn::GhostExchange {
   public:
    explicit Exchange(PairPaiNN &pair) : pair_(pair) {}
    void forward(double *q, double *mu, int hidden) override { pair_.exchange(q, mu, hidden, false); }
    void forward(float *q, float *mu, int hidden) override { pair_.exchange(q, mu, hidden, false); }
    void reverse(double *gq, double *gmu, int hidden) override { pair_.exchange(gq, gmu, hidden, true); }
    void reverse(float *gq, float *gmu, int hidden) override { pair_.exchange(gq, gmu, hidden, true); }

   private:
    PairPaiNN &pair_;
  };
  Exchange exchange_{*this};
  template <typename T> void exchange(T *q, T *mu, int hidden, bool reverse);
  template <typename T> int pack_rows(int n, const int *atoms, double *buf, bool zero_after);
  template <typename T> void unpack_rows(int n, const int *atoms, const double *buf, bool add);

  void read_model(const char *path);
  void make_calculator();
  void allocate();

  std::unique_ptr<painn::Model> model_;
  std::unique_ptr<painn::Calculator> calc_;
  painn::Precision precision_ = painn::Precision::fp32;
  double cutoff_ = 0.0;
  double energy_unit_ = 1.0;           // eV -> LAMMPS energy unit
  std::vector<int> type_species_;      // per LAMMPS type (1..ntypes): model species index or -1
  painn::Graph graph_;                 // persistent: its vectors keep their capacity
  std::vector<int> atom_node_;         // LAMMPS atom index -> graph node (-1: not in the model)
  std::vector<int> node_atom_;         // graph node -> LAMMPS atom index
  std::vector<int> range_;             // scratch: a run of atom indices first..first+n-1
  // Rows being exchanged right now (set by forward()/reverse() around a LAMMPS comm call)
  void *rows_q_ = nullptr, *rows_mu_ = nullptr;
  bool rows_float_ = false;
  int hidden_ = 0;
};

}  // namespace LAMMPS_NS

#endif
#endif
