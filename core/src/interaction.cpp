// Interaction block: each atom gathers filtered messages from its neighbours.
//   x = context2(SiLU(context1(q)))                   [xs, xvr, xvv] per node
//   W_e = (A phi(d_e) + a) * fc(d_e)                   edge filter, [Ws, Wvr, Wvv]
// The filter depends on the edge length only, so the reverse pass needs dW/dd per edge; the
// forward pass computes W and dW/dd together, once per pair (both directions share them).
//   q_i  += sum_e Ws_e * xs_j
//   mu_i += sum_e (Wvr_e * xvr_j) u_e + (Wvv_e * xvv_j) mu_j
// The reverse pass walks the same edges in the same order: scatter-adds of the forward become
// gathers (into the centre) and the gathers become scatter-adds (into neighbours, per thread).
// The first block in inference takes a shortcut (FirstLayerInput, blocks.h): its input mu is
// zero and its input gradients are not wanted, so it skips the Wvv channel and every scatter.
#include <omp.h>

#include "blocks.h"
#include "painn/error.h"

namespace painn {

namespace {

template <typename T>
void dense_forward(const Dense<T>& d, const Mat<T>& in, Mat<T>& out) {
  out.noalias() = in * d.weight.transpose();
  out.rowwise() += d.bias;
}

// cache.w, cache.w_d for every pair, for the first C filter channels: the bias terms a fc and
// a fc' written first, then one product each accumulated onto them (EdgeData: the envelope is
// folded into the pairs' basis values, so no pass over the filters remains).
template <typename T>
void fill_filter_cache(const InteractionWeights<T>& w, const EdgeData<T>& edges, int64_t C,
                       InteractionCache<T>& cache) {
  const int64_t P = static_cast<int64_t>(edges.pair_edge.size());
  cache.w.resize(P, C);
  cache.w_d.resize(P, C);
  const T* a = w.filter_bias.data();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < P; ++p) {
    T* wp = &cache.w(p, 0);
    T* wdp = &cache.w_d(p, 0);
    const T fc = edges.pair_fc[p], dfc = edges.pair_dfc[p];
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      wp[c] = fc * a[c];
      wdp[c] = dfc * a[c];
    }
  }
  const auto A = w.filter.topRows(C);
  cache.w.noalias() += edges.pair_phi_fc * A.transpose();
  cache.w_d.noalias() += edges.pair_dphi_fc * A.transpose();
}

// The messages into every local centre. kVectorInput: the block's input mu is not zero (every
// block but the first in inference, FirstLayerInput), so the Wvv * xvv_j mu_j term acts; without
// it only the first 2H filter channels are read.
template <bool kVectorInput, typename T>
void forward_messages(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local, int H, Mat<T>& q,
                      Mat<T>& mu, const InteractionCache<T>& cache) {
  const int64_t channels = kVectorInput ? 3 * H : 2 * H;
#pragma omp parallel
  {
    Mat<T> w_buf, wd_buf;
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n_local; ++i) {
      const int64_t e0 = edges.offsets[i];
      const int k = static_cast<int>(edges.offsets[i + 1] - e0);
      if (k == 0) continue;
      const FilterRows<T> f = edge_filter(w, edges, cache, e0, k, false, w_buf, wd_buf, channels);
      T* qi = &q(i, 0);
      T* mui = &mu(3 * i, 0);
      for (int r = 0; r < k; ++r) {
        const int64_t e = e0 + r;
        const int j = edges.neighbor[e];
        const T* xj = &cache.x(j, 0);
        const T* muj = kVectorInput ? &cache.mu_in(3 * j, 0) : nullptr;
        const T* we = f.w_row(r);
        const T u0 = edges.unit(e, 0), u1 = edges.unit(e, 1), u2 = edges.unit(e, 2);
        // Channels are independent: vectorise across h (the compiler cannot prove the rows apart).
#pragma omp simd
        for (int h = 0; h < H; ++h) {
          qi[h] += we[h] * xj[h];
          const T m_vr = we[H + h] * xj[H + h];
          if constexpr (kVectorInput) {
            const T m_vv = we[2 * H + h] * xj[2 * H + h];
            mui[h] += m_vr * u0 + m_vv * muj[h];
            mui[H + h] += m_vr * u1 + m_vv * muj[H + h];
            mui[2 * H + h] += m_vr * u2 + m_vv * muj[2 * H + h];
          } else {
            mui[h] += m_vr * u0;
            mui[H + h] += m_vr * u1;
            mui[2 * H + h] += m_vr * u2;
          }
        }
      }
    }
  }
}

// The layer's filters cached per pair when they fit (EdgeData::cache_filters), else none.
template <typename T>
void prepare_filters(const InteractionWeights<T>& w, const EdgeData<T>& edges, int64_t C, InteractionCache<T>& cache) {
  if (edges.cache_filters) {
    fill_filter_cache(w, edges, C, cache);
  } else {
    cache.w.resize(0, 0);
    cache.w_d.resize(0, 0);
  }
}

}  // namespace

template <typename T>
void interaction_context_forward(const InteractionWeights<T>& w, const Mat<T>& q, Mat<T>& h1_pre, Mat<T>& x,
                                 BlockScratch<T>& scratch) {
  dense_forward(w.context1, q, h1_pre);
  silu_into(h1_pre, scratch.act);
  dense_forward(w.context2, scratch.act, x);
}

template <typename T>
void interaction_forward(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local, Mat<T>& q,
                         Mat<T>& mu, InteractionCache<T>& cache, BlockScratch<T>& scratch, bool keep_inputs,
                         const FirstLayerInput<T>* first) {
  const int H = static_cast<int>(q.cols());
  if (keep_inputs) {
    cache.q_in = q;
  } else {
    cache.q_in.resize(0, 0);
  }
  if (first) {
    if (keep_inputs) throw Error("interaction_forward: the first-layer shortcut is for inference only");
    // x of each node from its species' row, [xs, xvr] only; mu_in, h1_pre are not needed.
    const int N = static_cast<int>(q.rows());
    cache.x.resize(N, 2 * H);
    for (int k = 0; k < N; ++k) cache.x.row(k) = first->x_of_species->row(first->species[k]).head(2 * H);
    cache.mu_in.resize(0, 0);
    cache.h1_pre.resize(0, 0);
    prepare_filters(w, edges, 2 * H, cache);
    forward_messages<false>(w, edges, n_local, H, q, mu, cache);
    return;
  }
  cache.mu_in = mu;  // the messages read mu_j before this block updates it
  interaction_context_forward(w, q, cache.h1_pre, cache.x, scratch);
  prepare_filters(w, edges, 3 * H, cache);
  forward_messages<true>(w, edges, n_local, H, q, mu, cache);
}

namespace {

// dE/dr_e from dE/dd and dE/du:  d = |r|, u = r / d  ->  dr = dd u + (du - (du.u) u) / d.
template <typename T>
inline void add_edge_gradient(const EdgeData<T>& edges, int64_t e, T g_d, T gu0, T gu1, T gu2,
                              std::vector<std::array<double, 3>>& edge_grad) {
  const T u[3] = {edges.unit(e, 0), edges.unit(e, 1), edges.unit(e, 2)}, gu[3] = {gu0, gu1, gu2};
  const T gu_dot_u = gu0 * u[0] + gu1 * u[1] + gu2 * u[2];
  const T inv_d = T(1) / edges.dist[e];
  for (int c = 0; c < 3; ++c) edge_grad[e][c] += static_cast<double>(g_d * u[c] + (gu[c] - gu_dot_u * u[c]) * inv_d);
}

// Reverse of first_layer_messages: dE/dr_e only. The input gradients (into xs_j, xvr_j, and
// through them the embedding) are not wanted in inference (FirstLayerInput).
template <typename T>
void first_layer_edge_gradients(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local, int H,
                                const InteractionCache<T>& cache, const Mat<T>& gq, const Mat<T>& gmu,
                                std::vector<std::array<double, 3>>& edge_grad,
                                std::vector<ThreadScratch<T>>& scratch) {
  const int n_threads = static_cast<int>(scratch.size());
#pragma omp parallel num_threads(n_threads)
  {
    ThreadScratch<T>& t = scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n_local; ++i) {
      const int64_t e0 = edges.offsets[i];
      const int k = static_cast<int>(edges.offsets[i + 1] - e0);
      if (k == 0) continue;
      const FilterRows<T> f = edge_filter(w, edges, cache, e0, k, true, t.w, t.w_d, 2 * H);
      const T* gqi = &gq(i, 0);
      const T* gmui = &gmu(3 * i, 0);
      for (int r = 0; r < k; ++r) {
        const int64_t e = e0 + r;
        const T* xj = &cache.x(edges.neighbor[e], 0);
        const T* we = f.w_row(r);
        const T* wd = f.w_d_row(r);
        const T u0 = edges.unit(e, 0), u1 = edges.unit(e, 1), u2 = edges.unit(e, 2);
        T gu0 = 0, gu1 = 0, gu2 = 0, g_d = 0;
#pragma omp simd reduction(+ : gu0, gu1, gu2, g_d)
        for (int h = 0; h < H; ++h) {
          const T g0 = gmui[h], g1 = gmui[H + h], g2 = gmui[2 * H + h];
          const T g_mvr = g0 * u0 + g1 * u1 + g2 * u2;
          g_d += gqi[h] * xj[h] * wd[h] + g_mvr * xj[H + h] * wd[H + h];
          const T m_vr = we[H + h] * xj[H + h];
          gu0 += m_vr * g0;
          gu1 += m_vr * g1;
          gu2 += m_vr * g2;
        }
        add_edge_gradient(edges, e, g_d, gu0, gu1, gu2, edge_grad);
      }
    }
  }
}

// The edges of centre i in the reverse pass. kFilterGrad: also keep d(A phi + a) per edge in
// t.g_w for the filter's parameter gradient (an MD step skips those stores).
template <bool kFilterGrad, typename T>
void reverse_centre_edges(const EdgeData<T>& edges, int i, int H, const FilterRows<T>& f,
                          const InteractionCache<T>& cache, const Mat<T>& gq, const Mat<T>& gmu,
                          std::vector<std::array<double, 3>>& edge_grad, ThreadScratch<T>& t) {
  const int64_t e0 = edges.offsets[i];
  const int k = static_cast<int>(edges.offsets[i + 1] - e0);
  const T* gqi = &gq(i, 0);
  const T* gmui = &gmu(3 * i, 0);
  for (int r = 0; r < k; ++r) {
    const int64_t e = e0 + r;
    const int j = edges.neighbor[e];
    const T* xj = &cache.x(j, 0);
    const T* muj = &cache.mu_in(3 * j, 0);
    const T* we = f.w_row(r);
    const T* wd = f.w_d_row(r);
    T* gx = &t.g_x(j, 0);
    T* gmuj = &t.g_mu(3 * j, 0);
    T* gw = kFilterGrad ? &t.g_w(r, 0) : nullptr;
    const T u0 = edges.unit(e, 0), u1 = edges.unit(e, 1), u2 = edges.unit(e, 2);
    T gu0 = 0, gu1 = 0, gu2 = 0, g_d = 0;
#pragma omp simd reduction(+ : gu0, gu1, gu2, g_d)
    for (int h = 0; h < H; ++h) {
      const T g0 = gmui[h], g1 = gmui[H + h], g2 = gmui[2 * H + h];
      // gradients of the three message parts m_s, m_vr, m_vv
      const T g_ms = gqi[h];
      const T g_mvr = g0 * u0 + g1 * u1 + g2 * u2;
      const T g_mvv = g0 * muj[h] + g1 * muj[H + h] + g2 * muj[2 * H + h];
      // m = W x  ->  dW = g_m x,  dx_j += g_m W;  W(d)  ->  dd += <dW, dW/dd>
      const T gws = g_ms * xj[h], gwvr = g_mvr * xj[H + h], gwvv = g_mvv * xj[2 * H + h];
      g_d += gws * wd[h] + gwvr * wd[H + h] + gwvv * wd[2 * H + h];
      if constexpr (kFilterGrad) {
        gw[h] = gws;
        gw[H + h] = gwvr;
        gw[2 * H + h] = gwvv;
      }
      gx[h] += g_ms * we[h];
      gx[H + h] += g_mvr * we[H + h];
      gx[2 * H + h] += g_mvv * we[2 * H + h];
      // m_vr u  ->  du += m_vr g;   m_vv mu_j  ->  dmu_j += m_vv g
      const T m_vr = we[H + h] * xj[H + h];
      const T m_vv = we[2 * H + h] * xj[2 * H + h];
      gu0 += m_vr * g0;
      gu1 += m_vr * g1;
      gu2 += m_vr * g2;
      gmuj[h] += m_vv * g0;
      gmuj[H + h] += m_vv * g1;
      gmuj[2 * H + h] += m_vv * g2;
    }
    add_edge_gradient(edges, e, g_d, gu0, gu1, gu2, edge_grad);
    // W = (A phi + a) fc  ->  d(A phi + a) = dW fc
    if constexpr (kFilterGrad) t.g_w.row(r) *= edges.fc[e];
  }
}

}  // namespace

template <typename T>
void interaction_reverse(const InteractionWeights<T>& w, const EdgeData<T>& edges, int n_local,
                         const InteractionCache<T>& cache, Mat<T>& gq, Mat<T>& gmu,
                         std::vector<std::array<double, 3>>& edge_grad, std::vector<ThreadScratch<T>>& scratch,
                         BlockScratch<T>& block_scratch, InteractionWeights<T>* grad, InteractionAdjoints<T>* keep,
                         bool first_layer) {
  const int H = static_cast<int>(gq.cols());
  if (first_layer) {
    if (grad || keep) throw Error("interaction_reverse: the first-layer shortcut is for inference only");
    first_layer_edge_gradients(w, edges, n_local, H, cache, gq, gmu, edge_grad, scratch);
    return;
  }
  if (keep) {
    keep->gq_out = gq;
    keep->gmu_out = gmu;
  }
  const int n_nodes = static_cast<int>(gq.rows());
  const int R = edges.R;
  const int n_threads = static_cast<int>(scratch.size());

#pragma omp parallel num_threads(n_threads)
  {
    ThreadScratch<T>& t = scratch[omp_get_thread_num()];
    t.g_x.setZero(n_nodes, 3 * H);   // dE/dx_j collected from this thread's edges
    t.g_mu.setZero(3 * n_nodes, H);  // dE/dmu_j likewise
    if (grad) {
      t.g_filter.setZero(3 * H, R);
      t.g_filter_bias.setZero(3 * H);
    }
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n_local; ++i) {
      const int64_t e0 = edges.offsets[i];
      const int k = static_cast<int>(edges.offsets[i + 1] - e0);
      if (k == 0) continue;
      const FilterRows<T> f = edge_filter(w, edges, cache, e0, k, true, t.w, t.w_d);
      if (grad) {
        t.g_w.resize(k, 3 * H);
        reverse_centre_edges<true>(edges, i, H, f, cache, gq, gmu, edge_grad, t);
        // dA += d(A phi + a)^T phi,  da += sum d(A phi + a)
        t.g_filter.noalias() += t.g_w.transpose() * edges.phi.middleRows(e0, k);
        t.g_filter_bias += t.g_w.colwise().sum();
      } else {
        reverse_centre_edges<false>(edges, i, H, f, cache, gq, gmu, edge_grad, t);
      }
    }
  }
  // Sum the per-thread scatter targets.
  Mat<T>& g_x = scratch[0].g_x;
  Mat<T>& g_mu = scratch[0].g_mu;
  for (int k = 1; k < n_threads; ++k) {
    g_x += scratch[k].g_x;
    g_mu += scratch[k].g_mu;
  }
  gmu += g_mu;
  // x = context2(SiLU(context1(q)))  ->  dq += ((dx C2) * SiLU'(h1_pre)) C1
  if (grad) {
    for (int k = 0; k < n_threads; ++k) {
      grad->filter += scratch[k].g_filter;
      grad->filter_bias += scratch[k].g_filter_bias;
    }
    silu_into(cache.h1_pre, block_scratch.act);
    accumulate_dense_grad(grad->context2, g_x, block_scratch.act);
  }
  Mat<T>& g_h1 = block_scratch.g_act;
  g_h1.noalias() = g_x * w.context2.weight;
  if (keep) {
    keep->g_x = g_x;
    keep->g_h1 = g_h1;
  }
  scale_by_silu_grad(g_h1, cache.h1_pre);
  if (grad) accumulate_dense_grad(grad->context1, g_h1, cache.q_in);
  gq.noalias() += g_h1 * w.context1.weight;
}

template void interaction_context_forward<float>(const InteractionWeights<float>&, const Mat<float>&, Mat<float>&,
                                                 Mat<float>&, BlockScratch<float>&);
template void interaction_context_forward<double>(const InteractionWeights<double>&, const Mat<double>&,
                                                  Mat<double>&, Mat<double>&, BlockScratch<double>&);
template void interaction_forward<float>(const InteractionWeights<float>&, const EdgeData<float>&, int,
                                         Mat<float>&, Mat<float>&, InteractionCache<float>&, BlockScratch<float>&,
                                         bool, const FirstLayerInput<float>*);
template void interaction_forward<double>(const InteractionWeights<double>&, const EdgeData<double>&, int,
                                          Mat<double>&, Mat<double>&, InteractionCache<double>&,
                                          BlockScratch<double>&, bool, const FirstLayerInput<double>*);
template void interaction_reverse<float>(const InteractionWeights<float>&, const EdgeData<float>&, int,
                                         const InteractionCache<float>&, Mat<float>&, Mat<float>&,
                                         std::vector<std::array<double, 3>>&, std::vector<ThreadScratch<float>>&,
                                         BlockScratch<float>&, InteractionWeights<float>*,
                                         InteractionAdjoints<float>*, bool);
template void interaction_reverse<double>(const InteractionWeights<double>&, const EdgeData<double>&, int,
                                          const InteractionCache<double>&, Mat<double>&, Mat<double>&,
                                          std::vector<std::array<double, 3>>&, std::vector<ThreadScratch<double>>&,
                                          BlockScratch<double>&, InteractionWeights<double>*,
                                          InteractionAdjoints<double>*, bool);

}  // namespace painn
