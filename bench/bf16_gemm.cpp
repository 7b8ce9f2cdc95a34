// Would bf16 dense layers pay on this CPU (issue 14, item 4)? Times a dense layer's product
// C[m, n] = A[m, k] W[n, k]^T on one core three ways, for PaiNN's shapes on a 3,000-atom box:
//   - Eigen fp32 (what the core uses today);
//   - bf16 inputs, fp32 accumulation, with AVX-512 BF16's dot-product instruction (vdpbf16ps),
//     a register-blocked kernel written here (4 rows x 64 columns per block, W pre-packed once
//     as a layer's weights would be; A converted to bf16 inside the timing, as a layer would);
//   - the same kernel's error against fp64, so the rate is not bought with a wrong result.
// bench/README.md combines the speedup with the profile's share of time in these products.
// painn_bf16_gemm  -> one line per shape: fp32 GFLOP/s, bf16 GFLOP/s, ratio, max relative error
#include <immintrin.h>
#include <omp.h>

#include <Eigen/Dense>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename F>
double best_seconds(F f, double flop) {
  const int reps = static_cast<int>(2e9 / flop) + 2;
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps);
  }
  return best;
}

#if defined(__AVX512BF16__)
// Round-to-nearest-even fp32 -> bf16, two values packed per 32-bit word (the instruction's pairs).
inline uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

// W [n, k] -> packed [k/2][n][2] bf16: for a pair p of k and 16 columns, one 512-bit load.
std::vector<uint16_t> pack_weights(const MatF& w) {
  const int n = static_cast<int>(w.rows()), k = static_cast<int>(w.cols());
  std::vector<uint16_t> p(static_cast<size_t>(k) * n);
  for (int kp = 0; kp < k / 2; ++kp)
    for (int j = 0; j < n; ++j) {
      p[(static_cast<size_t>(kp) * n + j) * 2 + 0] = to_bf16(w(j, 2 * kp));
      p[(static_cast<size_t>(kp) * n + j) * 2 + 1] = to_bf16(w(j, 2 * kp + 1));
    }
  return p;
}

// C = A W^T; A is converted to bf16 (counted in the time). m % 4 == 0, n % 64 == 0, k % 32 == 0.
void gemm_bf16(const MatF& a, const std::vector<uint16_t>& wp, int n, std::vector<uint32_t>& a16, MatF& c) {
  const int m = static_cast<int>(a.rows()), k = static_cast<int>(a.cols());
  // Row-major A already has each pair (k even, k odd) side by side: convert 32 floats at a time.
  for (int i = 0; i < m; ++i)
    for (int kk = 0; kk < k; kk += 32) {
      const float* src = &a(i, kk);
      const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + 16), _mm512_loadu_ps(src));
      _mm512_storeu_si512(a16.data() + (static_cast<size_t>(i) * k + kk) / 2, (__m512i)v);
    }
  for (int i0 = 0; i0 < m; i0 += 4)
    for (int j0 = 0; j0 < n; j0 += 64) {
      __m512 acc[4][4];
      for (auto& row : acc)
        for (auto& v : row) v = _mm512_setzero_ps();
      for (int kp = 0; kp < k / 2; ++kp) {
        const uint16_t* wrow = wp.data() + (static_cast<size_t>(kp) * n + j0) * 2;
        __m512bh wv[4];
        for (int b = 0; b < 4; ++b) wv[b] = (__m512bh)_mm512_loadu_si512(wrow + 32 * b);
        for (int r = 0; r < 4; ++r) {
          const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a16[static_cast<size_t>(i0 + r) * (k / 2) + kp]));
          for (int b = 0; b < 4; ++b) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], av, wv[b]);
        }
      }
      for (int r = 0; r < 4; ++r)
        for (int b = 0; b < 4; ++b) _mm512_storeu_ps(&c(i0 + r, j0 + 16 * b), acc[r][b]);
    }
}
#endif

void shape(int m, int k, int n) {
  MatF a = MatF::Random(m, k), w = MatF::Random(n, k), c32(m, n), c16(m, n);
  const double flop = 2.0 * m * k * n;
  const double t32 = best_seconds([&] { c32.noalias() = a * w.transpose(); }, flop);
#if defined(__AVX512BF16__)
  const std::vector<uint16_t> wp = pack_weights(w);
  std::vector<uint32_t> a16(static_cast<size_t>(m) * k / 2);
  const double t16 = best_seconds([&] { gemm_bf16(a, wp, n, a16, c16); }, flop);
  const Eigen::MatrixXd exact = a.cast<double>() * w.cast<double>().transpose();
  const double err = (c16.cast<double>() - exact).cwiseAbs().maxCoeff() / exact.cwiseAbs().maxCoeff();
  const double err32 = (c32.cast<double>() - exact).cwiseAbs().maxCoeff() / exact.cwiseAbs().maxCoeff();
  std::printf("%5d x %4d x %4d  fp32 %6.1f GFLOP/s  bf16 %6.1f GFLOP/s  ratio %.2f  max rel. error bf16 %.1e (fp32 %.1e)\n",
              m, k, n, flop / t32 / 1e9, flop / t16 / 1e9, t32 / t16, err, err32);
#else
  std::printf("%5d x %4d x %4d  fp32 %6.1f GFLOP/s  bf16: not built (needs -mavx512bf16)\n", m, k, n, flop / t32 / 1e9);
#endif
}

}  // namespace

int main() {
  omp_set_num_threads(1);
  Eigen::setNbThreads(1);
  // Dense layers of a 3,000-atom box: H = 128 (current: H -> H, H -> 3H, 2H -> H) and H = 64
  // (the smaller sizes: H -> H, H -> 3H).
  shape(3000, 128, 128);
  shape(3000, 128, 384);
  shape(3000, 256, 128);
  shape(3000, 64, 64);
  shape(3000, 64, 192);
  return 0;
}
