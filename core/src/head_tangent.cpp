// Atomwise head, tangents (training). Forward, as in head.cpp: h_0 = q,
// pre_k = W_k h_k + b_k, h_{k+1} = SiLU(pre_k), y = W_last h_last + b_last.
#include "tangent.h"

namespace painn {

template <typename T>
void head_tangent_forward(const std::vector<Dense<T>>& head, int n, const HeadCache<T>& cache, const Mat<T>& t_q,
                          HeadTangent<T>& tc) {
  tc.t_q_in = t_q.topRows(n);
  tc.t_pre.resize(head.size() - 1);
  Mat<T> t_h = tc.t_q_in;
  for (size_t k = 0; k + 1 < head.size(); ++k) {
    tc.t_pre[k].noalias() = t_h * head[k].weight.transpose();
    t_h = tc.t_pre[k].cwiseProduct(silu_grad_of(cache.pre[k]));
  }
}

template <typename T>
void head_tangent_reverse(const std::vector<Dense<T>>& head, int n, const Vec<T>& a, const HeadCache<T>& cache,
                          const HeadTangent<T>& tc, T g_y, Mat<T>& t_gq, std::vector<Dense<T>>& grad) {
  // The primal adjoints are recomputed here (a few small products); the one the head passes on
  // to the last block is kept by the force pass (MixingAdjoints::gq_out).
  // dE/dy is the energy scale for every atom, whatever the positions: its tangent is zero.
  Mat<T> g = Mat<T>::Constant(n, 1, g_y), t_g = Mat<T>::Zero(n, 1);
  for (size_t k = head.size(); k-- > 0;) {
    if (k > 0) {
      const Mat<T>& pre = cache.pre[k - 1];
      const Mat<T> d1 = silu_grad_of(pre);
      const Mat<T> in = silu_of(pre);
      accumulate_dense_grad_tangent(grad[k], a, g, t_g, in, Mat<T>(tc.t_pre[k - 1].cwiseProduct(d1)));
      // h = SiLU(pre)  ->  d pre = (g W) SiLU'(pre);  tangent adds (g W) SiLU''(pre) t_pre
      const Mat<T> g_h = g * head[k].weight;
      Mat<T> t_g_pre = (t_g * head[k].weight).cwiseProduct(d1);
      t_g_pre += g_h.cwiseProduct(silu_grad2_of(pre)).cwiseProduct(tc.t_pre[k - 1]);
      g = g_h.cwiseProduct(d1);
      t_g = std::move(t_g_pre);
    } else {
      accumulate_dense_grad_tangent(grad[0], a, g, t_g, cache.q_in, tc.t_q_in);
      t_gq.topRows(n) += t_g * head[0].weight;
    }
  }
}

template void head_tangent_forward<float>(const std::vector<Dense<float>>&, int, const HeadCache<float>&,
                                          const Mat<float>&, HeadTangent<float>&);
template void head_tangent_forward<double>(const std::vector<Dense<double>>&, int, const HeadCache<double>&,
                                           const Mat<double>&, HeadTangent<double>&);
template void head_tangent_reverse<float>(const std::vector<Dense<float>>&, int, const Vec<float>&,
                                          const HeadCache<float>&, const HeadTangent<float>&, float, Mat<float>&,
                                          std::vector<Dense<float>>&);
template void head_tangent_reverse<double>(const std::vector<Dense<double>>&, int, const Vec<double>&,
                                           const HeadCache<double>&, const HeadTangent<double>&, double, Mat<double>&,
                                           std::vector<Dense<double>>&);

}  // namespace painn
