// Mixing block: per atom, scalar and vector channels exchange information.
//   [V, U] = mu M^T (per Cartesian component);  n = sqrt(sum_xyz V^2 + eps)
//   [a, b, c] = context2(SiLU(context1([q, n])))
//   q += a + c * sum_xyz V U;   mu += b * U
#include <cmath>

#include "blocks.h"

namespace painn {

template <typename T>
void mixing_forward(const MixingWeights<T>& w, int n, Mat<T>& q, Mat<T>& mu, MixingCache<T>& cache,
                    BlockScratch<T>& scratch, bool keep_inputs) {
  const int H = static_cast<int>(q.cols());
  if (keep_inputs) {
    cache.q_in = q.topRows(n);
    cache.mu_in = mu.topRows(3 * n);
  } else {
    cache.q_in.resize(0, 0);
    cache.mu_in.resize(0, 0);
  }
  cache.vu.noalias() = mu.topRows(3 * n) * w.vector_mix.transpose();
  cache.norm.resize(n, H);
  // eps keeps the norm's gradient V / n finite where V = 0 (every atom at layer 0), and its size
  // decides how round the norm is there (ModelConfig::vector_norm_epsilon). The reverse and
  // tangent passes read n from the cache, so it appears only here.
  const T eps = static_cast<T>(w.norm_epsilon);
  Mat<T>& ctx = scratch.ctx;
  ctx.resize(n, 2 * H);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T v0 = cache.vu(3 * i, h), v1 = cache.vu(3 * i + 1, h), v2 = cache.vu(3 * i + 2, h);
      cache.norm(i, h) = std::sqrt(v0 * v0 + v1 * v1 + v2 * v2 + eps);
    }
  }
  if (n > 0) {  // a block of an empty matrix offsets a null pointer (UBSan; found by fuzz_compute)
    ctx.leftCols(H) = q.topRows(n);
    ctx.rightCols(H) = cache.norm;
  }
  cache.c1_pre.noalias() = ctx * w.context1.weight.transpose();
  cache.c1_pre.rowwise() += w.context1.bias;
  silu_into(cache.c1_pre, scratch.act);
  cache.abc.noalias() = scratch.act * w.context2.weight.transpose();
  cache.abc.rowwise() += w.context2.bias;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T a = cache.abc(i, h), b = cache.abc(i, H + h), c = cache.abc(i, 2 * H + h);
      T vu = 0;
      for (int k = 0; k < 3; ++k) {
        const T U = cache.vu(3 * i + k, H + h);
        vu += cache.vu(3 * i + k, h) * U;
        mu(3 * i + k, h) += b * U;
      }
      q(i, h) += a + c * vu;
    }
  }
}

template <typename T>
void mixing_reverse(const MixingWeights<T>& w, int n, const MixingCache<T>& cache, Mat<T>& gq, Mat<T>& gmu,
                    BlockScratch<T>& scratch, MixingWeights<T>* grad, MixingAdjoints<T>* keep) {
  const int H = static_cast<int>(gq.cols());
  if (keep) {
    keep->gq_out = gq.topRows(n);
    keep->gmu_out = gmu.topRows(3 * n);
  }
  Mat<T>& g_abc = scratch.g_abc;
  Mat<T>& g_vu = scratch.g_vu;
  g_abc.resize(n, 3 * H);  // every entry is written below
  g_vu.resize(3 * n, 2 * H);
  // q += a + c s (s = sum V U), mu += b U
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T b = cache.abc(i, H + h), c = cache.abc(i, 2 * H + h);
      const T g = gq(i, h);
      T s = 0, g_b = 0;
      for (int k = 0; k < 3; ++k) {
        s += cache.vu(3 * i + k, h) * cache.vu(3 * i + k, H + h);
        g_b += gmu(3 * i + k, h) * cache.vu(3 * i + k, H + h);
      }
      g_abc(i, h) = g;          // da
      g_abc(i, H + h) = g_b;    // db
      g_abc(i, 2 * H + h) = g * s;  // dc
      const T g_s = g * c;
      for (int k = 0; k < 3; ++k) {
        const T V = cache.vu(3 * i + k, h), U = cache.vu(3 * i + k, H + h);
        g_vu(3 * i + k, h) = g_s * U;                          // dV from s
        g_vu(3 * i + k, H + h) = g_s * V + gmu(3 * i + k, h) * b;  // dU from s and from b U
      }
    }
  }
  // [a, b, c] = context2(SiLU(context1([q, n])))
  if (grad) {
    silu_into(cache.c1_pre, scratch.act);
    accumulate_dense_grad(grad->context2, g_abc, scratch.act);
  }
  Mat<T>& g_c1 = scratch.g_act;
  g_c1.noalias() = g_abc * w.context2.weight;
  if (keep) {
    keep->g_abc = g_abc;
    keep->g_c1 = g_c1;
  }
  scale_by_silu_grad(g_c1, cache.c1_pre);
  if (grad) {
    Mat<T>& ctx = scratch.ctx;
    ctx.resize(n, 2 * H);
    ctx << cache.q_in, cache.norm;
    accumulate_dense_grad(grad->context1, g_c1, ctx);
  }
  Mat<T>& g_ctx = scratch.g_ctx;  // [n, 2H]
  g_ctx.noalias() = g_c1 * w.context1.weight;
  gq.topRows(n) += g_ctx.leftCols(H);
  // n = sqrt(sum V^2 + eps)  ->  dV += dn V / n
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i)
#pragma omp simd
    for (int h = 0; h < H; ++h) {
      const T g_n = g_ctx(i, H + h) / cache.norm(i, h);
      for (int k = 0; k < 3; ++k) g_vu(3 * i + k, h) += g_n * cache.vu(3 * i + k, h);
    }
  if (keep) {
    keep->g_ctx = g_ctx;
    keep->g_vu = g_vu;
  }
  // [V, U] = mu M^T  ->  dmu += [dV, dU] M,  dM += [dV, dU]^T mu
  if (grad) grad->vector_mix.noalias() += g_vu.transpose() * cache.mu_in;
  gmu.topRows(3 * n).noalias() += g_vu * w.vector_mix;
}

template void mixing_forward<float>(const MixingWeights<float>&, int, Mat<float>&, Mat<float>&, MixingCache<float>&,
                                    BlockScratch<float>&, bool);
template void mixing_forward<double>(const MixingWeights<double>&, int, Mat<double>&, Mat<double>&,
                                     MixingCache<double>&, BlockScratch<double>&, bool);
template void mixing_reverse<float>(const MixingWeights<float>&, int, const MixingCache<float>&, Mat<float>&,
                                    Mat<float>&, BlockScratch<float>&, MixingWeights<float>*, MixingAdjoints<float>*);
template void mixing_reverse<double>(const MixingWeights<double>&, int, const MixingCache<double>&, Mat<double>&,
                                     Mat<double>&, BlockScratch<double>&, MixingWeights<double>*,
                                     MixingAdjoints<double>*);

}  // namespace painn
