// Mixing block, tangents (training). Forward, as in mixing.cpp:
//   [V, U] = mu M^T;  n = sqrt(sum_xyz V^2 + eps);  [a, b, c] = C2 SiLU(C1 [q, n] + b1) + b2
//   q += a + c s,  s = sum_xyz V U;   mu += b U
// The tangent reverse reads the primal adjoints the force pass kept (MixingAdjoints) and computes
// their tangents (tangent.h).
#include <cmath>

#include "tangent.h"

namespace painn {

template <typename T>
void mixing_tangent_forward(const MixingWeights<T>& w, int n, const MixingCache<T>& cache, Mat<T>& t_q, Mat<T>& t_mu,
                            MixingTangent<T>& tc) {
  const int H = static_cast<int>(t_q.cols());
  tc.t_q_in = t_q.topRows(n);
  tc.t_mu_in = t_mu.topRows(3 * n);
  tc.t_vu.noalias() = tc.t_mu_in * w.vector_mix.transpose();
  // t_n = sum_xyz V t_V / n
  tc.t_norm.resize(n, H);
  for (int i = 0; i < n; ++i)
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      T dot = 0;
      for (int k = 0; k < 3; ++k) dot += cache.vu(3 * i + k, h) * tc.t_vu(3 * i + k, h);
      tc.t_norm(i, h) = dot / cache.norm(i, h);
    }
  Mat<T> t_ctx(n, 2 * H);
  t_ctx << tc.t_q_in, tc.t_norm;
  tc.t_c1_pre.noalias() = t_ctx * w.context1.weight.transpose();
  const Mat<T> t_c1 = tc.t_c1_pre.cwiseProduct(silu_grad_of(cache.c1_pre));
  tc.t_abc.noalias() = t_c1 * w.context2.weight.transpose();
  for (int i = 0; i < n; ++i)
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T b = cache.abc(i, H + h), c = cache.abc(i, 2 * H + h);
      const T t_a = tc.t_abc(i, h), t_b = tc.t_abc(i, H + h), t_c = tc.t_abc(i, 2 * H + h);
      T s = 0, t_s = 0;
      for (int k = 0; k < 3; ++k) {
        const T V = cache.vu(3 * i + k, h), U = cache.vu(3 * i + k, H + h);
        const T t_V = tc.t_vu(3 * i + k, h), t_U = tc.t_vu(3 * i + k, H + h);
        s += V * U;
        t_s += t_V * U + V * t_U;
        t_mu(3 * i + k, h) += t_b * U + b * t_U;  // mu += b U
      }
      t_q(i, h) += t_a + t_c * s + c * t_s;  // q += a + c s
    }
}

template <typename T>
void mixing_tangent_reverse(const MixingWeights<T>& w, int n, const Vec<T>& a, const MixingCache<T>& cache,
                            const MixingTangent<T>& tc, const MixingAdjoints<T>& adj, Mat<T>& t_gq, Mat<T>& t_gmu,
                            MixingWeights<T>& grad) {
  const int H = static_cast<int>(t_gq.cols());
  Mat<T> t_g_abc(n, 3 * H), t_g_vu(3 * n, 2 * H);
  // q += a + c s, mu += b U: tangents of the adjoints of a, b, c, V, U (the primal ones are in adj)
  for (int i = 0; i < n; ++i)
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T b = cache.abc(i, H + h), c = cache.abc(i, 2 * H + h);
      const T t_b = tc.t_abc(i, H + h), t_c = tc.t_abc(i, 2 * H + h);
      const T g = adj.gq_out(i, h), t_g = t_gq(i, h);
      T s = 0, t_s = 0, t_g_b = 0;
      for (int k = 0; k < 3; ++k) {
        const T V = cache.vu(3 * i + k, h), U = cache.vu(3 * i + k, H + h);
        const T t_V = tc.t_vu(3 * i + k, h), t_U = tc.t_vu(3 * i + k, H + h);
        s += V * U;
        t_s += t_V * U + V * t_U;
        t_g_b += t_gmu(3 * i + k, h) * U + adj.gmu_out(3 * i + k, h) * t_U;
      }
      t_g_abc(i, h) = t_g;
      t_g_abc(i, H + h) = t_g_b;
      t_g_abc(i, 2 * H + h) = t_g * s + g * t_s;
      const T g_s = g * c, t_g_s = t_g * c + g * t_c;
      for (int k = 0; k < 3; ++k) {
        const T V = cache.vu(3 * i + k, h), U = cache.vu(3 * i + k, H + h);
        const T t_V = tc.t_vu(3 * i + k, h), t_U = tc.t_vu(3 * i + k, H + h);
        const T gm = adj.gmu_out(3 * i + k, h), t_gm = t_gmu(3 * i + k, h);
        t_g_vu(3 * i + k, h) = t_g_s * U + g_s * t_U;
        t_g_vu(3 * i + k, H + h) = t_g_s * V + g_s * t_V + t_gm * b + gm * t_b;
      }
    }
  // [a, b, c] = C2 c1 + b2, c1 = SiLU(c1_pre), c1_pre = C1 [q, n] + b1
  const Mat<T> c1 = silu_of(cache.c1_pre);
  const Mat<T> d1 = silu_grad_of(cache.c1_pre);
  const Mat<T> d2 = silu_grad2_of(cache.c1_pre);
  accumulate_dense_grad_tangent(grad.context2, a, adj.g_abc, t_g_abc, c1, Mat<T>(tc.t_c1_pre.cwiseProduct(d1)));
  const Mat<T> g_c1_pre = adj.g_c1.cwiseProduct(d1);
  Mat<T> t_g_c1_pre = (t_g_abc * w.context2.weight).cwiseProduct(d1);
  t_g_c1_pre += adj.g_c1.cwiseProduct(d2).cwiseProduct(tc.t_c1_pre);
  Mat<T> ctx(n, 2 * H), t_ctx(n, 2 * H);
  ctx << cache.q_in, cache.norm;
  t_ctx << tc.t_q_in, tc.t_norm;
  accumulate_dense_grad_tangent(grad.context1, a, g_c1_pre, t_g_c1_pre, ctx, t_ctx);
  const Mat<T> t_g_ctx = t_g_c1_pre * w.context1.weight;
  t_gq.topRows(n) += t_g_ctx.leftCols(H);
  // n = sqrt(sum V^2 + eps)  ->  dV += g_n V / n;  tangent: (t_g_n V + g_n t_V) / n - g_n V t_n / n^2
  for (int i = 0; i < n; ++i)
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T nrm = cache.norm(i, h), t_nrm = tc.t_norm(i, h);
      const T g_n = adj.g_ctx(i, H + h), t_g_n = t_g_ctx(i, H + h);
      for (int k = 0; k < 3; ++k) {
        const T V = cache.vu(3 * i + k, h), t_V = tc.t_vu(3 * i + k, h);
        t_g_vu(3 * i + k, h) += (t_g_n * V + g_n * t_V) / nrm - g_n * V * t_nrm / (nrm * nrm);
      }
    }
  // [V, U] = mu M^T  ->  dM += [dV, dU]^T mu,  dmu += [dV, dU] M
  Vec<T> a3(3 * n);
  for (int i = 0; i < n; ++i) a3.segment(3 * i, 3).setConstant(a[i]);
  Mat<T> lhs = t_g_vu;
  lhs.noalias() += a3.asDiagonal() * adj.g_vu;
  grad.vector_mix.noalias() += lhs.transpose() * cache.mu_in;
  grad.vector_mix.noalias() += adj.g_vu.transpose() * tc.t_mu_in;
  t_gmu.topRows(3 * n).noalias() += t_g_vu * w.vector_mix;
}

template void mixing_tangent_forward<float>(const MixingWeights<float>&, int, const MixingCache<float>&, Mat<float>&,
                                            Mat<float>&, MixingTangent<float>&);
template void mixing_tangent_forward<double>(const MixingWeights<double>&, int, const MixingCache<double>&,
                                             Mat<double>&, Mat<double>&, MixingTangent<double>&);
template void mixing_tangent_reverse<float>(const MixingWeights<float>&, int, const Vec<float>&,
                                            const MixingCache<float>&, const MixingTangent<float>&,
                                            const MixingAdjoints<float>&, Mat<float>&, Mat<float>&,
                                            MixingWeights<float>&);
template void mixing_tangent_reverse<double>(const MixingWeights<double>&, int, const Vec<double>&,
                                             const MixingCache<double>&, const MixingTangent<double>&,
                                             const MixingAdjoints<double>&, Mat<double>&, Mat<double>&,
                                             MixingWeights<double>&);

}  // namespace painn
