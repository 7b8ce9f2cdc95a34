// Orchestrates one evaluation: edge geometry, embedding, L x (interaction, mixing), head,
// then the reverse pass in the opposite order, then forces and virials from edge gradients.
#include "evaluator.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "blocks.h"
#include "tangent.h"
#include "painn/error.h"
#include "pair_repulsion.h"
#include "radial.h"

namespace painn {

namespace {

constexpr int kAtomsPerThread = 32;
// Edge filters of all layers (W and dW/dd) are kept for the reverse pass while they fit in this
// budget (Calculator::set_filter_cache_bytes); beyond it (large systems) the reverse pass
// recomputes them block by block.
constexpr double kFilterCacheBytes = 256.0 * 1024 * 1024;

void check_graph(const Graph& g, int n_species, int layers, bool has_exchange) {
  if (g.n_local < 0 || g.n_nodes < g.n_local) throw Error("graph: need 0 <= n_local <= n_nodes");
  if (static_cast<int>(g.species.size()) != g.n_nodes) throw Error("graph: species has the wrong length");
  if (static_cast<int>(g.offsets.size()) != g.n_local + 1 || g.offsets[0] != 0 || g.offsets.back() != g.n_edges())
    throw Error("graph: offsets must have n_local + 1 entries from 0 to the edge count");
  if (g.vec.size() != g.neighbor.size()) throw Error("graph: vec and neighbor differ in length");
  for (int i = 0; i < g.n_local; ++i)
    if (g.offsets[i + 1] < g.offsets[i]) throw Error("graph: offsets decrease");
  for (int k = 0; k < g.n_nodes; ++k)
    if (g.species[k] < 0 || g.species[k] >= n_species)
      throw Error("graph: node " + std::to_string(k) + " has species index " + std::to_string(g.species[k]) +
                  " outside the model's " + std::to_string(n_species) + " species");
  for (int64_t e = 0; e < g.n_edges(); ++e)
    if (g.neighbor[e] < 0 || g.neighbor[e] >= g.n_nodes) throw Error("graph: edge neighbour index out of range");
  if (layers > 1 && g.n_nodes > g.n_local && !has_exchange)
    throw Error("graph: ghost nodes need a GhostExchange to stay in step between layers");
}

template <typename T>
class EvaluatorT final : public Evaluator {
 public:
  explicit EvaluatorT(const Model& model)
      : net_(model),
        config_(model.config),
        n_species_(static_cast<int>(model.config.species.size())),
        repulsion_(model.config) {
    // The first block's context of each species (FirstLayerInput): fixed by the weights.
    if (net_.layers > 0) {
      Mat<T> h1_pre;
      interaction_context_forward(net_.interaction[0], net_.embedding, h1_pre, first_x_, block_scratch_);
    }
  }

  Result compute(const Graph& g, const Request& req, GhostExchange* exchange) override {
    check_graph(g, n_species_, net_.layers, exchange != nullptr);
    const int H = net_.hidden, L = net_.layers, N = g.n_nodes, n = g.n_local;
    const int64_t E = g.n_edges();
    const int n_threads = use_threads(n);
    if (static_cast<int>(scratch_.size()) != n_threads) scratch_.resize(n_threads);

    set_edges(g);
    training_ready_ = false;
    if (req.keep_for_training) keep_graph(g);

    // Forward. Node states, gradients and scratch are members: their storage is reused by the next
    // evaluation of the same size (no fresh pages per MD step).
    Mat<T>& q = q_;
    Mat<T>& mu = mu_;
    q.resize(N, H);
    mu.setZero(3 * N, H);
    for (int k = 0; k < N; ++k) q.row(k) = net_.embedding.row(g.species[k]);
    inter_.resize(L);
    mix_.resize(L);
    const bool keep_inputs = req.parameter_gradient || req.keep_for_training;
    // Inference (an MD step) takes the first block's shortcut; training differentiates the
    // embedding and keeps the general path.
    const FirstLayerInput<T> first{&first_x_, g.species.data()};
    const bool first_shortcut = !keep_inputs;
    for (int l = 0; l < L; ++l) {
      interaction_forward(net_.interaction[l], edges_, n, q, mu, inter_[l], block_scratch_, keep_inputs,
                          l == 0 && first_shortcut ? &first : nullptr);
      mixing_forward(net_.mixing[l], n, q, mu, mix_[l], block_scratch_, keep_inputs);
      if (exchange && l + 1 < L) exchange->forward(q.data(), mu.data(), H);
    }
    const Vec<T> y = head_forward(net_.head, q, n, head_);

    Result res;
    if (req.per_atom_energy) res.atom_energy.resize(n);
    // The fixed repulsion is in eV: added after the scale and shift, in double.
    if (repulsion_.active()) {
      repulsion_energy_.assign(n, 0.0);
      repulsion_.add_energies(g, repulsion_energy_);
    }
    double energy = 0.0;  // double accumulation in every precision
    for (int i = 0; i < n; ++i) {
      double e_i = net_.energy_scale * static_cast<double>(y[i]) + net_.energy_shift +
                   net_.reference_energy[g.species[i]];
      if (repulsion_.active()) e_i += repulsion_energy_[i];
      energy += e_i;
      if (req.per_atom_energy) res.atom_energy[i] = e_i;
    }
    res.energy = energy;
    if (!req.forces) return res;
    const bool keep = req.keep_for_training && exchange == nullptr && g.n_nodes == g.n_local;
    if (keep) {
      inter_adj_.resize(L);
      mix_adj_.resize(L);
    }

    // Reverse.
    Mat<T>& gq = gq_;
    Mat<T>& gmu = gmu_;
    gq.setZero(N, H);
    gmu.setZero(3 * N, H);
    std::vector<std::array<double, 3>>& edge_grad = edge_grad_;
    edge_grad.assign(E, {0.0, 0.0, 0.0});
    Network<T>* grad = nullptr;
    if (req.parameter_gradient) {
      if (!grad_) grad_ = std::make_unique<Network<T>>(net_);
      grad_->set_zero();
      grad = grad_.get();
    }
    head_reverse(net_.head, n, head_, static_cast<T>(net_.energy_scale), gq, grad ? &grad->head : nullptr);
    for (int l = L - 1; l >= 0; --l) {
      if (exchange && l + 1 < L) exchange->reverse(gq.data(), gmu.data(), H);
      mixing_reverse(net_.mixing[l], n, mix_[l], gq, gmu, block_scratch_, grad ? &grad->mixing[l] : nullptr,
                     keep ? &mix_adj_[l] : nullptr);
      interaction_reverse(net_.interaction[l], edges_, n, inter_[l], gq, gmu, edge_grad, scratch_, block_scratch_,
                          grad ? &grad->interaction[l] : nullptr, keep ? &inter_adj_[l] : nullptr,
                          l == 0 && first_shortcut);
    }
    // The repulsion has no parameters: it enters the edge gradients (forces, virials) only.
    if (repulsion_.active()) repulsion_.add_edge_gradients(g, edge_grad);
    if (keep) gq_embedding_ = gq;  // dE/dq0: the embedding rows' adjoint
    training_ready_ = keep;
    if (grad) {
      // q0 = embedding[species]: each node's gradient goes to its species' row.
      for (int k = 0; k < N; ++k) grad->embedding.row(g.species[k]) += gq.row(k);
      grad->add_to_named(config_, res.parameter_gradient);
    }

    // Edge gradients G_e = dE/dr_e with r_e = R_j - R_i:  F_i += G_e, F_j -= G_e.
    res.forces.assign(N, {0.0, 0.0, 0.0});
    if (req.per_atom_virial) res.atom_virial.assign(N, std::array<double, 9>{});
    std::array<double, 9> virial{};
    for (int i = 0; i < n; ++i) {
      for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) {
        const int j = g.neighbor[e];
        const auto& G = edge_grad[e];
        const auto& r = g.vec[e];
        for (int c = 0; c < 3; ++c) {
          res.forces[i][c] += G[c];
          res.forces[j][c] -= G[c];
        }
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) {
            const double w = -r[a] * G[b];
            virial[3 * a + b] += w;
            if (req.per_atom_virial) {
              res.atom_virial[i][3 * a + b] += 0.5 * w;
              res.atom_virial[j][3 * a + b] += 0.5 * w;
            }
          }
      }
    }
    res.virial = virial;
    if (req.edge_gradients) res.edge_gradient = edge_grad;
    return res;
  }

  void set_filter_cache_bytes(double bytes) override { filter_cache_bytes_ = bytes; }

  std::map<std::string, std::vector<double>> training_gradient(
      const std::vector<double>& energy_weight, const std::vector<std::array<double, 3>>& displacement) override {
    if (!training_ready_)
      throw Error("training_gradient needs a preceding compute() with forces and keep_for_training on a graph "
                  "without ghosts");
    const int n = static_cast<int>(species_.size()), H = net_.hidden, L = net_.layers;
    if (static_cast<int>(energy_weight.size()) != n || static_cast<int>(displacement.size()) != n)
      throw Error("training_gradient: energy_weight and displacement need one entry per node (" + std::to_string(n) +
                  ")");
    const int n_threads = use_threads(n);
    if (static_cast<int>(tscratch_.size()) != n_threads) tscratch_.resize(n_threads);

    // Edge geometry along t:  t_r = t_j - t_i,  t_d = u . t_r,  t_u = (t_r - t_d u) / d.
    const int64_t E = static_cast<int64_t>(neighbor_.size());
    etan_.t_d.resize(E);
    etan_.t_unit.resize(E, 3);
    for (int i = 0; i < n; ++i)
      for (int64_t e = offsets_[i]; e < offsets_[i + 1]; ++e) {
        const int j = neighbor_[e];
        double tr[3], u[3], td = 0;
        for (int c = 0; c < 3; ++c) {
          tr[c] = displacement[j][c] - displacement[i][c];
          u[c] = edges_.unit(e, c);
          td += u[c] * tr[c];
        }
        etan_.t_d[e] = static_cast<T>(td);
        for (int c = 0; c < 3; ++c) etan_.t_unit(e, c) = static_cast<T>((tr[c] - td * u[c]) / edges_.dist[e]);
      }
    Vec<T> a(n);
    for (int i = 0; i < n; ++i) a[i] = static_cast<T>(energy_weight[i]);

    // Tangent forward (the primal caches are those of the last compute()).
    Mat<T> t_q = Mat<T>::Zero(n, H), t_mu = Mat<T>::Zero(3 * n, H);  // the embedding does not move
    inter_t_.resize(L);
    mix_t_.resize(L);
    for (int l = 0; l < L; ++l) {
      interaction_tangent_forward(net_.interaction[l], edges_, etan_, n, inter_[l], t_q, t_mu, inter_t_[l]);
      mixing_tangent_forward(net_.mixing[l], n, mix_[l], t_q, t_mu, mix_t_[l]);
    }
    head_tangent_forward(net_.head, n, head_, t_q, head_t_);

    // Reverse: tangents of the adjoints beside the primal ones kept by compute(), training
    // gradient accumulated per block.
    if (!grad_) grad_ = std::make_unique<Network<T>>(net_);
    grad_->set_zero();
    Mat<T> t_gq = Mat<T>::Zero(n, H), t_gmu = Mat<T>::Zero(3 * n, H);
    head_tangent_reverse(net_.head, n, a, head_, head_t_, static_cast<T>(net_.energy_scale), t_gq, grad_->head);
    for (int l = L - 1; l >= 0; --l) {
      mixing_tangent_reverse(net_.mixing[l], n, a, mix_[l], mix_t_[l], mix_adj_[l], t_gq, t_gmu, grad_->mixing[l]);
      interaction_tangent_reverse(net_.interaction[l], edges_, etan_, n, a, inter_[l], inter_t_[l], inter_adj_[l],
                                  t_gq, t_gmu, tscratch_, grad_->interaction[l]);
    }
    // q0 = embedding[species]
    for (int k = 0; k < n; ++k)
      grad_->embedding.row(species_[k]) += a[k] * gq_embedding_.row(k) + t_gq.row(k);
    std::map<std::string, std::vector<double>> out;
    grad_->add_to_named(config_, out);
    return out;
  }

 private:
  // Threads for a graph of n local atoms (OpenMP and Eigen): small systems run faster on one
  // thread than paying OpenMP's fork/join per block.
  static int use_threads(int n) {
    const int n_threads = std::max(1, std::min(omp_get_max_threads(), n / kAtomsPerThread));
    omp_set_num_threads(n_threads);
    Eigen::setNbThreads(n_threads);
    return n_threads;
  }

  // The graph's topology, owned here so that training_gradient() can follow a compute() whose
  // graph no longer exists (Calculator::compute(System) builds a temporary one).
  void keep_graph(const Graph& g) {
    offsets_ = g.offsets;
    neighbor_ = g.neighbor;
    species_ = g.species;
    edges_.offsets = offsets_.data();
    edges_.neighbor = neighbor_.data();
  }

  // Pairs for the filter cache: the twin of e = i -> j is the edge j -> i with the opposite vector
  // (the same pair of periodic images). Each edge looks for its own twin (in parallel, no shared
  // writes); then each pair gets one row, shared by its two edges.
  void find_pairs(const Graph& g) {
    const int64_t E = g.n_edges();
    std::vector<int64_t> twin(E, -1);
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < g.n_local; ++i)
      for (int64_t e = g.offsets[i]; e < g.offsets[i + 1]; ++e) {
        const int j = g.neighbor[e];
        if (j >= g.n_local) continue;
        const auto& r = g.vec[e];
        for (int64_t f = g.offsets[j]; f < g.offsets[j + 1]; ++f) {
          if (g.neighbor[f] != i || f == e) continue;
          const auto& s = g.vec[f];
          if (std::fabs(r[0] + s[0]) + std::fabs(r[1] + s[1]) + std::fabs(r[2] + s[2]) < 1e-9) {
            twin[e] = f;
            break;
          }
        }
      }
    edges_.pair_row.resize(E);
    edges_.pair_edge.clear();
    for (int64_t e = 0; e < E; ++e) {
      if (twin[e] >= 0 && twin[e] < e) {
        edges_.pair_row[e] = edges_.pair_row[twin[e]];
      } else {
        edges_.pair_row[e] = static_cast<int64_t>(edges_.pair_edge.size());
        edges_.pair_edge.push_back(e);
      }
    }
    const int64_t P = static_cast<int64_t>(edges_.pair_edge.size());
    edges_.pair_phi_fc.resize(P, net_.rbf);
    edges_.pair_dphi_fc.resize(P, net_.rbf);
    edges_.pair_fc.resize(P);
    edges_.pair_dfc.resize(P);
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; ++p) {
      const int64_t e = edges_.pair_edge[p];
      const T fc = edges_.fc[e], dfc = edges_.dfc[e];
      edges_.pair_fc[p] = fc;
      edges_.pair_dfc[p] = dfc;
      edges_.pair_phi_fc.row(p) = fc * edges_.phi.row(e);
      edges_.pair_dphi_fc.row(p) = fc * edges_.dphi.row(e) + dfc * edges_.phi.row(e);
    }
  }

  void set_edges(const Graph& g) {
    const int64_t E = g.n_edges();
    const int R = net_.rbf;
    const double rc = net_.cutoff;
    edges_.R = R;
    edges_.cache_filters =
        2.0 * static_cast<double>(E) * 3 * net_.hidden * net_.layers * sizeof(T) <= filter_cache_bytes_;
    edges_.offsets = g.offsets.data();
    edges_.neighbor = g.neighbor.data();
    edges_.dist.resize(E);
    edges_.unit.resize(E, 3);
    edges_.phi.resize(E, R);
    edges_.dphi.resize(E, R);
    edges_.fc.resize(E);
    edges_.dfc.resize(E);
    int bad = -1;
    const double min_distance = min_pair_distance(config_);  // graph.h
#pragma omp parallel
    {
      std::vector<double> phi(R), dphi(R);
#pragma omp for schedule(static)
      for (int64_t e = 0; e < E; ++e) {
        const auto& r = g.vec[e];
        const double d = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
        if (!(d >= min_distance) || !std::isfinite(d)) {
#pragma omp critical
          bad = static_cast<int>(e);
          continue;
        }
        edges_.dist[e] = static_cast<T>(d);
        for (int c = 0; c < 3; ++c) edges_.unit(e, c) = static_cast<T>(r[c] / d);
        radial_basis(net_.basis, R, rc, d, phi.data(), dphi.data());
        for (int k = 0; k < R; ++k) {
          edges_.phi(e, k) = static_cast<T>(phi[k]);
          edges_.dphi(e, k) = static_cast<T>(dphi[k]);
        }
        double f, df;
        edge_envelope(config_, d, &f, &df);
        edges_.fc[e] = static_cast<T>(f);
        edges_.dfc[e] = static_cast<T>(df);
      }
    }
    if (bad >= 0) {
      int i = 0;
      while (g.offsets[i + 1] <= bad) ++i;
      const auto& r = g.vec[bad];
      const double d = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
      throw Error("atoms " + std::to_string(i) + " and " + std::to_string(g.neighbor[bad]) + " of the graph are " +
                  (std::isfinite(d) ? std::to_string(d) + " A apart, closer than " + min_pair_distance_text(config_) +
                                          " A (overlapping atoms)"
                                    : std::string("at a non-finite distance")));
    }
    if (edges_.cache_filters) find_pairs(g);
  }

  Network<T> net_;
  ModelConfig config_;
  int n_species_;
  PairRepulsion repulsion_;
  std::vector<double> repulsion_energy_;  // per local centre, eV
  std::unique_ptr<Network<T>> grad_;
  EdgeData<T> edges_;
  std::vector<InteractionCache<T>> inter_;
  std::vector<MixingCache<T>> mix_;
  HeadCache<T> head_;
  std::vector<ThreadScratch<T>> scratch_;
  BlockScratch<T> block_scratch_;
  Mat<T> q_, mu_, gq_, gmu_;                        // node states and their gradients
  Mat<T> first_x_;                                  // [species, 3H] the first block's context per species
  std::vector<std::array<double, 3>> edge_grad_;    // dE/dr_e
  double filter_cache_bytes_ = kFilterCacheBytes;
  // training (tangent) state
  bool training_ready_ = false;
  std::vector<int64_t> offsets_;
  std::vector<int> neighbor_, species_;
  EdgeTangent<T> etan_;
  std::vector<InteractionTangent<T>> inter_t_;
  std::vector<MixingTangent<T>> mix_t_;
  HeadTangent<T> head_t_;
  std::vector<TangentScratch<T>> tscratch_;
  std::vector<InteractionAdjoints<T>> inter_adj_;  // primal adjoints kept by compute()
  std::vector<MixingAdjoints<T>> mix_adj_;
  Mat<T> gq_embedding_;
};

}  // namespace

std::unique_ptr<Evaluator> make_evaluator(const Model& model, Precision precision) {
  if (precision == Precision::fp64) return std::make_unique<EvaluatorT<double>>(model);
  return std::make_unique<EvaluatorT<float>>(model);
}

}  // namespace painn
