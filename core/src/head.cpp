// Atomwise head: y_i = MLP(q_i), SiLU between dense layers, none after the last.
#include "blocks.h"

namespace painn {

template <typename T>
Vec<T> head_forward(const std::vector<Dense<T>>& head, const Mat<T>& q, int n, HeadCache<T>& cache) {
  cache.pre.resize(head.size() - 1);
  cache.q_in = q.topRows(n);
  Mat<T> h = cache.q_in;
  for (size_t k = 0; k + 1 < head.size(); ++k) {
    cache.pre[k].noalias() = h * head[k].weight.transpose();
    cache.pre[k].rowwise() += head[k].bias;
    h = silu_of(cache.pre[k]);
  }
  Mat<T> y = h * head.back().weight.transpose();
  y.rowwise() += head.back().bias;
  return y.col(0);
}

template <typename T>
void head_reverse(const std::vector<Dense<T>>& head, int n, const HeadCache<T>& cache, T g_y, Mat<T>& gq,
                  std::vector<Dense<T>>* grad) {
  // dy/dh_last = w_last;  through each hidden layer: dh_in = (dh_out * SiLU'(pre)) W
  Mat<T> g = Mat<T>::Constant(n, 1, g_y);
  for (size_t k = head.size(); k-- > 0;) {
    if (grad) {
      const Mat<T> in = k > 0 ? Mat<T>(silu_of(cache.pre[k - 1])) : cache.q_in;
      accumulate_dense_grad((*grad)[k], g, in);
    }
    Mat<T> g_in = g * head[k].weight;
    if (k > 0) g_in.array() *= silu_grad_of(cache.pre[k - 1]).array();
    g = std::move(g_in);
  }
  gq.topRows(n) += g;
}

template Vec<float> head_forward<float>(const std::vector<Dense<float>>&, const Mat<float>&, int, HeadCache<float>&);
template Vec<double> head_forward<double>(const std::vector<Dense<double>>&, const Mat<double>&, int,
                                          HeadCache<double>&);
template void head_reverse<float>(const std::vector<Dense<float>>&, int, const HeadCache<float>&, float, Mat<float>&,
                                  std::vector<Dense<float>>*);
template void head_reverse<double>(const std::vector<Dense<double>>&, int, const HeadCache<double>&, double,
                                   Mat<double>&, std::vector<Dense<double>>*);

}  // namespace painn
