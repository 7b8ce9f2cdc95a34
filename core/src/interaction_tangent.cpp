// Interaction block, tangents (training). Forward, as in interaction.cpp:
//   x = context2(SiLU(context1(q))),  W_e = (A phi(d_e) + a) fc(d_e)
//   q_i  += sum_e Ws_e xs_j
//   mu_i += sum_e (Wvr_e xvr_j) u_e + (Wvv_e xvv_j) mu_j
// Along t the filter moves with the edge length only: t_W_e = t_d_e dW_e/dd with
//   dW/dd = (A phi'(d)) fc + (A phi + a) fc'  (both from edge_filter, blocks.h).
// The tangent reverse reads the primal adjoints the force pass kept (InteractionAdjoints) and
// computes their tangents beside them (no edge gradients: the forces are already known),
// accumulating the training gradient (tangent.h).
#include <omp.h>

#include "tangent.h"

namespace painn {

namespace {
// What both tangent passes read for edge e0 + r = i -> j: the neighbour's features and their
// tangents, the edge's filter, its length derivative, and the geometry with its tangent.
template <typename T>
struct TangentEdge {
  int j;
  const T *xj, *txj, *muj, *tmuj, *we, *wd;
  T td, u[3], tu[3];
  TangentEdge(const EdgeData<T>& edges, const EdgeTangent<T>& te, const InteractionCache<T>& cache,
              const InteractionTangent<T>& tc, const FilterRows<T>& f, int64_t e0, int r)
      : j(edges.neighbor[e0 + r]),
        xj(&cache.x(j, 0)),
        txj(&tc.t_x(j, 0)),
        muj(&cache.mu_in(3 * j, 0)),
        tmuj(&tc.t_mu_in(3 * j, 0)),
        we(f.w_row(r)),
        wd(f.w_d_row(r)),
        td(te.t_d[e0 + r]) {
    for (int c = 0; c < 3; ++c) {
      u[c] = edges.unit(e0 + r, c);
      tu[c] = te.t_unit(e0 + r, c);
    }
  }
};
}  // namespace

template <typename T>
void interaction_tangent_forward(const InteractionWeights<T>& w, const EdgeData<T>& edges, const EdgeTangent<T>& te,
                                 int n, const InteractionCache<T>& cache, Mat<T>& t_q, Mat<T>& t_mu,
                                 InteractionTangent<T>& tc) {
  const int H = static_cast<int>(t_q.cols());
  tc.t_q_in = t_q;
  tc.t_mu_in = t_mu;
  // x = C2 SiLU(C1 q + b1) + b2  ->  t_x = C2 (SiLU'(h1_pre) t_h1_pre),  t_h1_pre = C1 t_q
  tc.t_h1_pre.noalias() = t_q * w.context1.weight.transpose();
  const Mat<T> t_h1 = tc.t_h1_pre.cwiseProduct(silu_grad_of(cache.h1_pre));
  tc.t_x.noalias() = t_h1 * w.context2.weight.transpose();

#pragma omp parallel
  {
    Mat<T> w_buf, wd_buf;
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n; ++i) {
      const int64_t e0 = edges.offsets[i];
      const int k = static_cast<int>(edges.offsets[i + 1] - e0);
      if (k == 0) continue;
      const FilterRows<T> f = edge_filter(w, edges, cache, e0, k, true, w_buf, wd_buf);
      T* tqi = &t_q(i, 0);
      T* tmui = &t_mu(3 * i, 0);
      for (int r = 0; r < k; ++r) {
        const TangentEdge<T> ed(edges, te, cache, tc, f, e0, r);
        const T *xj = ed.xj, *txj = ed.txj, *muj = ed.muj, *tmuj = ed.tmuj, *we = ed.we, *wd = ed.wd;
        const T td = ed.td, u[3] = {ed.u[0], ed.u[1], ed.u[2]}, tu[3] = {ed.tu[0], ed.tu[1], ed.tu[2]};
#pragma omp simd
        for (int h = 0; h < H; ++h) {
          // q_i += Ws xs_j
          tqi[h] += td * wd[h] * xj[h] + we[h] * txj[h];
          // m_vr = Wvr xvr_j,  m_vv = Wvv xvv_j;  mu_i += m_vr u + m_vv mu_j
          const T m_vr = we[H + h] * xj[H + h];
          const T m_vv = we[2 * H + h] * xj[2 * H + h];
          const T t_mvr = td * wd[H + h] * xj[H + h] + we[H + h] * txj[H + h];
          const T t_mvv = td * wd[2 * H + h] * xj[2 * H + h] + we[2 * H + h] * txj[2 * H + h];
          for (int c = 0; c < 3; ++c)
            tmui[c * H + h] += t_mvr * u[c] + m_vr * tu[c] + t_mvv * muj[c * H + h] + m_vv * tmuj[c * H + h];
        }
      }
    }
  }
}

template <typename T>
void interaction_tangent_reverse(const InteractionWeights<T>& w, const EdgeData<T>& edges, const EdgeTangent<T>& te,
                                 int n, const Vec<T>& a, const InteractionCache<T>& cache,
                                 const InteractionTangent<T>& tc, const InteractionAdjoints<T>& adj, Mat<T>& t_gq,
                                 Mat<T>& t_gmu, std::vector<TangentScratch<T>>& scratch, InteractionWeights<T>& grad) {
  const int H = static_cast<int>(t_gq.cols());
  const int R = edges.R;
  const int n_threads = static_cast<int>(scratch.size());

#pragma omp parallel num_threads(n_threads)
  {
    TangentScratch<T>& s = scratch[omp_get_thread_num()];
    s.t_g_x.setZero(n, 3 * H);
    s.t_g_mu.setZero(3 * n, H);
    s.g_filter.setZero(3 * H, R);
    s.g_filter_bias.setZero(3 * H);
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n; ++i) {
      const int64_t e0 = edges.offsets[i];
      const int k = static_cast<int>(edges.offsets[i + 1] - e0);
      if (k == 0) continue;
      const FilterRows<T> f = edge_filter(w, edges, cache, e0, k, true, s.w, s.w_d);
      s.g_w.resize(k, 3 * H);
      s.t_g_w.resize(k, 3 * H);
      const T* gqi = &adj.gq_out(i, 0);
      const T* gmui = &adj.gmu_out(3 * i, 0);
      const T* tgqi = &t_gq(i, 0);
      const T* tgmui = &t_gmu(3 * i, 0);
      for (int r = 0; r < k; ++r) {
        const int64_t e = e0 + r;
        const TangentEdge<T> ed(edges, te, cache, tc, f, e0, r);
        const int j = ed.j;
        const T *xj = ed.xj, *txj = ed.txj, *muj = ed.muj, *tmuj = ed.tmuj, *we = ed.we, *wd = ed.wd;
        T* tgx = &s.t_g_x(j, 0);
        T* tgmuj = &s.t_g_mu(3 * j, 0);
        T* gw = &s.g_w(r, 0);
        T* tgw = &s.t_g_w(r, 0);
        const T td = ed.td, u[3] = {ed.u[0], ed.u[1], ed.u[2]}, tu[3] = {ed.tu[0], ed.tu[1], ed.tu[2]};
#pragma omp simd
        for (int h = 0; h < H; ++h) {
          const T g[3] = {gmui[h], gmui[H + h], gmui[2 * H + h]};
          const T tg[3] = {tgmui[h], tgmui[H + h], tgmui[2 * H + h]};
          // adjoints of the message parts m_s, m_vr, m_vv, and their tangents
          const T g_ms = gqi[h], t_g_ms = tgqi[h];
          T g_mvr = 0, t_g_mvr = 0, g_mvv = 0, t_g_mvv = 0;
          for (int c = 0; c < 3; ++c) {
            g_mvr += g[c] * u[c];
            t_g_mvr += tg[c] * u[c] + g[c] * tu[c];
            g_mvv += g[c] * muj[c * H + h];
            t_g_mvv += tg[c] * muj[c * H + h] + g[c] * tmuj[c * H + h];
          }
          const T ws = we[h], wvr = we[H + h], wvv = we[2 * H + h];
          const T tws = td * wd[h], twvr = td * wd[H + h], twvv = td * wd[2 * H + h];
          const T xs = xj[h], xvr = xj[H + h], xvv = xj[2 * H + h];
          const T txs = txj[h], txvr = txj[H + h], txvv = txj[2 * H + h];
          // m = W x  ->  dW = g_m x,  dx_j += g_m W (the primal dx_j is in adj.g_x)
          gw[h] = g_ms * xs;
          gw[H + h] = g_mvr * xvr;
          gw[2 * H + h] = g_mvv * xvv;
          tgw[h] = t_g_ms * xs + g_ms * txs;
          tgw[H + h] = t_g_mvr * xvr + g_mvr * txvr;
          tgw[2 * H + h] = t_g_mvv * xvv + g_mvv * txvv;
          tgx[h] += t_g_ms * ws + g_ms * tws;
          tgx[H + h] += t_g_mvr * wvr + g_mvr * twvr;
          tgx[2 * H + h] += t_g_mvv * wvv + g_mvv * twvv;
          // m_vv mu_j  ->  dmu_j += m_vv g
          const T m_vv = wvv * xvv, t_mvv = twvv * xvv + wvv * txvv;
          for (int c = 0; c < 3; ++c) tgmuj[c * H + h] += t_mvv * g[c] + m_vv * tg[c];
        }
        // W = w_pre fc  ->  d w_pre = dW fc;  its tangent adds dW t_fc, t_fc = fc' t_d
        const T fc = edges.fc[e], t_fc = edges.dfc[e] * td;
        s.t_g_w.row(r) = s.t_g_w.row(r) * fc + s.g_w.row(r) * t_fc;
        s.g_w.row(r) *= fc;
      }
      // w_pre = A phi + a  ->  dA += (a_i g + t_g)^T phi + g^T t_phi,  t_phi = phi' t_d
      s.lhs = s.t_g_w;
      s.lhs += a[i] * s.g_w;
      s.t_phi.resize(k, R);
      for (int r = 0; r < k; ++r) s.t_phi.row(r) = edges.dphi.row(e0 + r) * te.t_d[e0 + r];
      s.g_filter.noalias() += s.lhs.transpose() * edges.phi.middleRows(e0, k);
      s.g_filter.noalias() += s.g_w.transpose() * s.t_phi;
      s.g_filter_bias += s.lhs.colwise().sum();
    }
  }
  Mat<T>& t_g_x = scratch[0].t_g_x;
  for (int k = 1; k < n_threads; ++k) {
    t_g_x += scratch[k].t_g_x;
    scratch[0].t_g_mu += scratch[k].t_g_mu;
  }
  t_gmu += scratch[0].t_g_mu;
  for (int k = 0; k < n_threads; ++k) {
    grad.filter += scratch[k].g_filter;
    grad.filter_bias += scratch[k].g_filter_bias;
  }
  // x = C2 h1 + b2, h1 = SiLU(h1_pre), h1_pre = C1 q + b1
  const Mat<T> h1 = silu_of(cache.h1_pre);
  const Mat<T> d1 = silu_grad_of(cache.h1_pre);
  const Mat<T> d2 = silu_grad2_of(cache.h1_pre);
  const Mat<T> t_h1 = tc.t_h1_pre.cwiseProduct(d1);
  accumulate_dense_grad_tangent(grad.context2, a, adj.g_x, t_g_x, h1, t_h1);
  const Mat<T> g_h1_pre = adj.g_h1.cwiseProduct(d1);
  Mat<T> t_g_h1_pre = (t_g_x * w.context2.weight).cwiseProduct(d1);
  t_g_h1_pre += adj.g_h1.cwiseProduct(d2).cwiseProduct(tc.t_h1_pre);
  accumulate_dense_grad_tangent(grad.context1, a, g_h1_pre, t_g_h1_pre, cache.q_in, tc.t_q_in);
  t_gq.noalias() += t_g_h1_pre * w.context1.weight;
}

template void interaction_tangent_forward<float>(const InteractionWeights<float>&, const EdgeData<float>&,
                                                 const EdgeTangent<float>&, int, const InteractionCache<float>&,
                                                 Mat<float>&, Mat<float>&, InteractionTangent<float>&);
template void interaction_tangent_forward<double>(const InteractionWeights<double>&, const EdgeData<double>&,
                                                  const EdgeTangent<double>&, int, const InteractionCache<double>&,
                                                  Mat<double>&, Mat<double>&, InteractionTangent<double>&);
template void interaction_tangent_reverse<float>(const InteractionWeights<float>&, const EdgeData<float>&,
                                                 const EdgeTangent<float>&, int, const Vec<float>&,
                                                 const InteractionCache<float>&, const InteractionTangent<float>&,
                                                 const InteractionAdjoints<float>&, Mat<float>&, Mat<float>&,
                                                 std::vector<TangentScratch<float>>&, InteractionWeights<float>&);
template void interaction_tangent_reverse<double>(const InteractionWeights<double>&, const EdgeData<double>&,
                                                  const EdgeTangent<double>&, int, const Vec<double>&,
                                                  const InteractionCache<double>&, const InteractionTangent<double>&,
                                                  const InteractionAdjoints<double>&, Mat<double>&, Mat<double>&,
                                                  std::vector<TangentScratch<double>>&, InteractionWeights<double>&);

}  // namespace painn
