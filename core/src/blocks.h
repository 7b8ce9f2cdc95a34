// The PaiNN blocks, each with its forward and reverse computation declared side by side.
// Conventions: q is [nodes, H]; mu is [3 * nodes, H] with row 3i + c = Cartesian component c of
// node i; "g" prefixes a gradient dE/d(.). Only rows of local nodes (0..n_local-1) are updated;
// ghost rows are read (neighbours) and receive gradients (reverse).
#pragma once
#include <algorithm>
#include <array>
#include <vector>

#include "network.h"

namespace painn {

// Geometry of every edge, computed once per evaluation (in double, stored in T).
template <typename T>
struct EdgeData {
  int R = 0;
  const int64_t* offsets = nullptr;  // CSR by centre, n_local + 1
  const int* neighbor = nullptr;
  std::vector<T> dist;     // [E]
  Mat<T> unit;             // [E, 3]  u = r / d
  Mat<T> phi, dphi;        // [E, R]  radial basis and its derivative
  std::vector<T> fc, dfc;  // [E]     edge envelope (cosine cutoff x inner switch, radial.h) and its derivative
  bool cache_filters = false;  // keep each layer's edge filters for the reverse pass
  // When filters are cached, they are stored once per pair: edge i -> j and its twin j -> i (same
  // length, opposite vector) share row pair_row[e]; an edge to a ghost has a row of its own.
  std::vector<int64_t> pair_row;  // [E]
  std::vector<int64_t> pair_edge;  // [P] one edge of each pair
  // The envelope folded into the basis, so that one product gives each cached filter:
  //   W = A (fc phi) + a fc,   dW/dd = A (fc phi)' + a fc'   with (fc phi)' = fc phi' + fc' phi.
  Mat<T> pair_phi_fc, pair_dphi_fc;  // [P, R]
  Vec<T> pair_fc, pair_dfc;          // [P]
};

// Per-thread scratch, kept between evaluations so that steady-state runs do not allocate.
template <typename T>
struct ThreadScratch {
  Mat<T> w, w_d, g_w;                // edge blocks [deg, 3H]
  Mat<T> g_x, g_mu;                  // scatter targets for neighbours: [nodes, 3H], [3 nodes, H]
  Mat<T> g_filter;                   // [3H, R] this thread's share of dE/dA (parameter gradients)
  RowVec<T> g_filter_bias;           // [3H]
};

// Temporaries of one block call (activations, gradients of inner layers), shared by all blocks
// and kept between evaluations: at MD sizes, matrices allocated per call come as fresh pages
// from the kernel, and zeroing them took about a fifth of a step (bench/README.md, profile).
template <typename T>
struct BlockScratch {
  Mat<T> act;    // SiLU(context1 pre-activation)            [rows, H]
  Mat<T> g_act;  // dE/d act, then dE/d pre-activation         [rows, H]
  Mat<T> ctx;    // mixing: context input [q, norm]           [n, 2H]
  Mat<T> g_ctx;  // mixing: dE/d ctx                          [n, 2H]
  Mat<T> g_abc;  // mixing: dE/d context2 output [a, b, c]    [n, 3H]
  Mat<T> g_vu;   // mixing: dE/d [V, U]                       [3n, 2H]
};

// ---- interaction: messages from neighbours -------------------------------------------------
template <typename T>
struct InteractionCache {
  Mat<T> q_in;    // [nodes, H]   scalars entering the block (parameter gradients only; else empty)
  Mat<T> mu_in;   // [3 nodes, H] vectors entering the block (read as mu_j)
  Mat<T> h1_pre;  // [nodes, H]   context1 pre-activation
  Mat<T> x;       // [nodes, 3H]  context2 output [xs, xvr, xvv]
  Mat<T> w, w_d;  // [P, 3H] filters W and dW/dd per pair (empty unless edges.cache_filters)
};

// x = context2(SiLU(context1(q))) for every row of q; h1_pre keeps the pre-activation.
template <typename T>
void interaction_context_forward(const InteractionWeights<T>& w, const Mat<T>& q, Mat<T>& h1_pre, Mat<T>& x,
                                 BlockScratch<T>& scratch);

// The first block in inference (no parameter gradient, no training tangent). Its input is
// q = embedding[species] and mu = 0 on every node, so:
//  - x depends on the species only: x_of_species is interaction_context_forward of the embedding,
//    computed once per model, and each node's row is looked up;
//  - the mu_j term of the messages vanishes, and with it the Wvv third of the filter (forward and
//    reverse): the block works on [xs, xvr] and [Ws, Wvr] only (2H channels);
//  - nothing is differentiated through its input (the embedding is a constant of the model), so
//    the reverse pass only collects dE/dr per edge: no scatter into neighbours, no context.
template <typename T>
struct FirstLayerInput {
  const Mat<T>* x_of_species = nullptr;  // [species, 3H]
  const int* species = nullptr;          // [nodes]
};

// keep_inputs: store q_in (and mixing's q_in, mu_in), which only parameter gradients and the
// training tangent read; an MD step does without them. first: see FirstLayerInput (then
// keep_inputs must be false).
template <typename T>
void interaction_forward(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local,
                         Mat<T>& q, Mat<T>& mu, InteractionCache<T>& cache, BlockScratch<T>& scratch,
                         bool keep_inputs, const FirstLayerInput<T>* first = nullptr);

// Adjoints the reverse pass leaves behind for the training tangent pass (tangent.h), which would
// otherwise recompute them: those of the block's outputs and of its inner layers.
template <typename T>
struct InteractionAdjoints {
  Mat<T> gq_out, gmu_out;  // dE/d(outputs)
  Mat<T> g_x;              // [nodes, 3H] dE/dx
  Mat<T> g_h1;             // [nodes, H]  dE/d SiLU(h1_pre) = g_x context2
};

// gq, gmu: gradients w.r.t. the block's outputs on entry, w.r.t. its inputs on exit (all nodes).
// edge_grad[e] += dE/d(r_e) from this block's filters and unit vectors.
// grad (optional): dE/d(weights) is added to it (same layout as the weights).
// first_layer: the forward pass ran with a FirstLayerInput; only edge_grad is updated (gq and gmu
// are left as they are), and grad and keep must be null.
template <typename T>
void interaction_reverse(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local,
                         const InteractionCache<T>& cache, Mat<T>& gq, Mat<T>& gmu,
                         std::vector<std::array<double, 3>>& edge_grad,
                         std::vector<ThreadScratch<T>>& scratch, BlockScratch<T>& block_scratch,
                         InteractionWeights<T>* grad, InteractionAdjoints<T>* keep = nullptr,
                         bool first_layer = false);

// Edge filters of the k edges of one centre starting at e0:
//   W = (A phi + a) fc  and (with_derivative)  dW/dd = (A phi') fc + (A phi + a) fc'.
// Rows of the layer's per-pair cache when the forward pass stored them (small systems);
// otherwise computed into the caller's scratch matrices. channels: the first C of the 3H filter
// channels (the first block in inference needs 2H, FirstLayerInput).
template <typename T>
struct FilterRows {
  const T* w = nullptr;
  const T* w_d = nullptr;
  const int64_t* rows = nullptr;  // row of edge e0 + r, or nullptr: row r
  int64_t stride = 0;
  const T* w_row(int r) const { return w + (rows ? rows[r] : r) * stride; }
  const T* w_d_row(int r) const { return w_d + (rows ? rows[r] : r) * stride; }
};

template <typename T>
inline FilterRows<T> edge_filter(const InteractionWeights<T>& w, const EdgeData<T>& edges,
                                 const InteractionCache<T>& cache, int64_t e0, int k, bool with_derivative,
                                 Mat<T>& w_buf, Mat<T>& wd_buf, int64_t channels = -1) {
  const int64_t C = channels < 0 ? w.filter.rows() : channels;
  if (cache.w.rows() > 0) return {cache.w.data(), cache.w_d.data(), edges.pair_row.data() + e0, cache.w.cols()};
  w_buf.resize(k, C);
  w_buf.rowwise() = w.filter_bias.head(C);  // a, then A phi accumulated onto it (fill_filter_cache)
  w_buf.noalias() += edges.phi.middleRows(e0, k) * w.filter.topRows(C).transpose();
  if (with_derivative) {
    wd_buf.resize(k, C);
    wd_buf.noalias() = edges.dphi.middleRows(e0, k) * w.filter.topRows(C).transpose();
    for (int r = 0; r < k; ++r) wd_buf.row(r) = wd_buf.row(r) * edges.fc[e0 + r] + w_buf.row(r) * edges.dfc[e0 + r];
  }
  for (int r = 0; r < k; ++r) w_buf.row(r) *= edges.fc[e0 + r];
  return {w_buf.data(), with_derivative ? wd_buf.data() : nullptr, nullptr, C};
}

// ---- mixing: per-atom exchange between scalar and vector channels ---------------------------
template <typename T>
struct MixingCache {
  Mat<T> q_in, mu_in;  // [n_local, H], [3 n_local, H] entering the block (parameter gradients only)
  Mat<T> vu;      // [3 n_local, 2H]  [V, U] per Cartesian component
  Mat<T> norm;    // [n_local, H]     sqrt(sum_xyz V^2 + eps)
  Mat<T> c1_pre;  // [n_local, H]     context1 pre-activation
  Mat<T> abc;     // [n_local, 3H]    context2 output
};

template <typename T>
void mixing_forward(const MixingWeights<T>& w, int n_local, Mat<T>& q, Mat<T>& mu, MixingCache<T>& cache,
                    BlockScratch<T>& scratch, bool keep_inputs);

template <typename T>
struct MixingAdjoints {
  Mat<T> gq_out, gmu_out;  // [n, H], [3n, H] dE/d(outputs)
  Mat<T> g_abc;            // [n, 3H]
  Mat<T> g_c1;             // [n, H]  dE/d SiLU(c1_pre) = g_abc context2
  Mat<T> g_ctx;            // [n, 2H] dE/d[q, norm]
  Mat<T> g_vu;             // [3n, 2H] dE/d[V, U]
};

template <typename T>
void mixing_reverse(const MixingWeights<T>& w, int n_local, const MixingCache<T>& cache, Mat<T>& gq,
                    Mat<T>& gmu, BlockScratch<T>& scratch, MixingWeights<T>* grad, MixingAdjoints<T>* keep = nullptr);

// ---- head: per-atom energy ---------------------------------------------------------------
template <typename T>
struct HeadCache {
  std::vector<Mat<T>> pre;  // pre-activation of each layer but the last
  Mat<T> q_in;              // [n_local, H] (parameter gradients)
};

// Returns y [n_local] (before scale/shift/reference).
template <typename T>
Vec<T> head_forward(const std::vector<Dense<T>>& head, const Mat<T>& q, int n_local, HeadCache<T>& cache);

// gq[0:n_local] = dE/dq given dE/dy = g_y (one value for every atom).
template <typename T>
void head_reverse(const std::vector<Dense<T>>& head, int n_local, const HeadCache<T>& cache, T g_y, Mat<T>& gq,
                  std::vector<Dense<T>>* grad);

// Adds dE/dW = g_out^T in and dE/db = column sums of g_out to a dense layer's gradient.
template <typename T>
inline void accumulate_dense_grad(Dense<T>& grad, const Mat<T>& g_out, const Mat<T>& in) {
  grad.weight.noalias() += g_out.transpose() * in;
  if (grad.bias.size()) grad.bias += g_out.colwise().sum();
}

// ---- shared helpers ----------------------------------------------------------------------
// SiLU(x) = x s and SiLU'(x) = s (1 + x (1 - s)), s = sigmoid(x), element-wise (vectorised exp).
template <typename T>
inline Mat<T> silu_of(const Mat<T>& x) {
  return (x.array() / (T(1) + (-x.array()).exp())).matrix();
}
template <typename T>
inline Mat<T> silu_grad_of(const Mat<T>& x) {
  const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> s = (T(1) + (-x.array()).exp()).inverse();
  return (s * (T(1) + x.array() * (T(1) - s))).matrix();
}
// The same into caller-owned storage (no temporaries): out = SiLU(x);  g *= SiLU'(x).
template <typename T>
inline void silu_into(const Mat<T>& x, Mat<T>& out) {
  out.resize(x.rows(), x.cols());
  out.array() = x.array() / (T(1) + (-x.array()).exp());
}
// In blocks of rows, so that sigmoid(x) is evaluated once per element without a full-size temporary.
template <typename T>
inline void scale_by_silu_grad(Mat<T>& g, const Mat<T>& x) {
  constexpr Eigen::Index kRows = 64;
  Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> s;
  for (Eigen::Index r = 0; r < x.rows(); r += kRows) {
    const Eigen::Index m = std::min(kRows, x.rows() - r);
    s = (T(1) + (-x.middleRows(r, m).array()).exp()).inverse();
    g.middleRows(r, m).array() *= s * (T(1) + x.middleRows(r, m).array() * (T(1) - s));
  }
}

}  // namespace painn
