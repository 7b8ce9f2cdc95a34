// Forward-over-reverse for training: the exact parameter gradient of the force-matching loss.
//
// The loss needs d/dtheta (sum_i v_i . F_i) = -D_t (dE/dtheta) with t = v, the derivative of the
// parameter gradient as the positions move along t. We carry, next to every quantity X of the
// forward and reverse pass, its tangent t_X = dX/d(eps) at positions R + eps t (prefix "t_").
// Tangents are linear in t, so a product rule gives each: t(A B) = t_A B + A t_B.
//
// A parameter gradient accumulates g^T in (g: adjoint of a layer's output, in: its input). The
// training gradient asked for is  sum_s a_s dE_s/dtheta + D_t (dE/dtheta),  which accumulates
//   (a g + t_g)^T in + g^T t_in
// per layer, with a the weight of the structure a row belongs to (in a batch of disjoint
// structures, the adjoint rows of one structure are those of its own energy).
//
// Each block's tangent-forward and tangent-reverse are declared here side by side; they read the
// primal caches of the preceding forward pass (blocks.h). Local nodes only (no ghosts).
#pragma once
#include "blocks.h"

namespace painn {

// Edge geometry along t: t_r = t_j - t_i, t_d = u . t_r, t_u = (t_r - t_d u) / d.
template <typename T>
struct EdgeTangent {
  std::vector<T> t_d;  // [E]
  Mat<T> t_unit;       // [E, 3]
};

// SiLU''(x) = s (1 - s) (2 + x (1 - 2 s)), s = sigmoid(x), element-wise
template <typename T>
inline Mat<T> silu_grad2_of(const Mat<T>& x) {
  const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> s = (T(1) + (-x.array()).exp()).inverse();
  return (s * (T(1) - s) * (T(2) + x.array() * (T(1) - T(2) * s))).matrix();
}

// dW += (a g + t_g)^T in + g^T t_in;  db += column sums of (a g + t_g).  a: one weight per row.
template <typename T>
inline void accumulate_dense_grad_tangent(Dense<T>& grad, const Vec<T>& a, const Mat<T>& g, const Mat<T>& t_g,
                                          const Mat<T>& in, const Mat<T>& t_in) {
  Mat<T> lhs = t_g;
  lhs.noalias() += a.asDiagonal() * g;
  grad.weight.noalias() += lhs.transpose() * in;
  grad.weight.noalias() += g.transpose() * t_in;
  if (grad.bias.size()) grad.bias += lhs.colwise().sum();
}

// ---- interaction ----------------------------------------------------------------------------
template <typename T>
struct InteractionTangent {
  Mat<T> t_q_in, t_mu_in;  // tangents of the block's inputs
  Mat<T> t_h1_pre;         // [n, H]
  Mat<T> t_x;              // [n, 3H]
};

// Per-thread scatter targets and edge blocks of the tangent reverse pass.
template <typename T>
struct TangentScratch {
  Mat<T> w, w_d;                 // edge filter blocks [deg, 3H]: W, dW/dd
  Mat<T> g_w, t_g_w, lhs, t_phi; // [deg, 3H], [deg, 3H], [deg, 3H], [deg, R]
  Mat<T> t_g_x, t_g_mu;
  Mat<T> g_filter;
  RowVec<T> g_filter_bias;
};

template <typename T>
void interaction_tangent_forward(const InteractionWeights<T>& w, const EdgeData<T>& edges, const EdgeTangent<T>& te,
                                 int n, const InteractionCache<T>& cache, Mat<T>& t_q, Mat<T>& t_mu,
                                 InteractionTangent<T>& tc);

// adj: the primal adjoints the force pass kept for this block. t_gq, t_gmu: tangents of the
// adjoints of the block's outputs on entry, of its inputs on exit. grad receives the block's share
// of the training gradient.
template <typename T>
void interaction_tangent_reverse(const InteractionWeights<T>& w, const EdgeData<T>& edges, const EdgeTangent<T>& te,
                                 int n, const Vec<T>& a, const InteractionCache<T>& cache,
                                 const InteractionTangent<T>& tc, const InteractionAdjoints<T>& adj, Mat<T>& t_gq,
                                 Mat<T>& t_gmu, std::vector<TangentScratch<T>>& scratch, InteractionWeights<T>& grad);

// ---- mixing ---------------------------------------------------------------------------------
template <typename T>
struct MixingTangent {
  Mat<T> t_q_in, t_mu_in, t_vu, t_norm, t_c1_pre, t_abc;
};

template <typename T>
void mixing_tangent_forward(const MixingWeights<T>& w, int n, const MixingCache<T>& cache, Mat<T>& t_q, Mat<T>& t_mu,
                            MixingTangent<T>& tc);

template <typename T>
void mixing_tangent_reverse(const MixingWeights<T>& w, int n, const Vec<T>& a, const MixingCache<T>& cache,
                            const MixingTangent<T>& tc, const MixingAdjoints<T>& adj, Mat<T>& t_gq, Mat<T>& t_gmu,
                            MixingWeights<T>& grad);

// ---- head -----------------------------------------------------------------------------------
template <typename T>
struct HeadTangent {
  std::vector<Mat<T>> t_pre;
  Mat<T> t_q_in;
};

template <typename T>
void head_tangent_forward(const std::vector<Dense<T>>& head, int n, const HeadCache<T>& cache, const Mat<T>& t_q,
                          HeadTangent<T>& tc);

// g_y = dE/dy (the energy scale), the same for every atom. t_gq receives the tangent of dE/dq.
template <typename T>
void head_tangent_reverse(const std::vector<Dense<T>>& head, int n, const Vec<T>& a, const HeadCache<T>& cache,
                          const HeadTangent<T>& tc, T g_y, Mat<T>& t_gq, std::vector<Dense<T>>& grad);

}  // namespace painn
