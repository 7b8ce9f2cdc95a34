// The arithmetic ceiling of this machine for PaiNN's dense algebra: the best rate Eigen's matrix
// product reaches on one core (the library the core uses), for square products and for the shapes
// of the current preset on a 21-atom molecule. bench/README.md divides the multiply-add count of
// an evaluation by this rate to bound how fast any implementation of the same arithmetic can be.
// painn_gemm_peak  -> JSON {"fp32": {shape: GFLOP/s, ...}, "fp64": {...}}
#include <omp.h>

#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <string>

namespace {

template <typename T>
double gflops(int m, int k, int n) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Mat a = Mat::Random(m, k), b = Mat::Random(n, k), c(m, n);
  const double flop = 2.0 * m * k * n;
  const int reps = static_cast<int>(3e9 / flop) + 3;
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      c.noalias() = a * b.transpose();  // the layout of a dense layer: in [m, k] x W^T, W [n, k]
      a(0, 0) += c(0, 0) * T(1e-9);     // keep the products dependent
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return flop * reps / best / 1e9;
}

template <typename T>
void report(const char* name, bool last) {
  std::printf("\"%s\": {\"128x128x128\": %.1f, \"256x256x256\": %.1f, \"21x128x384\": %.1f, \"63x128x256\": %.1f}%s\n",
              name, gflops<T>(128, 128, 128), gflops<T>(256, 256, 256), gflops<T>(21, 128, 384),
              gflops<T>(63, 128, 256), last ? "" : ",");
}

}  // namespace

int main() {
  omp_set_num_threads(1);
  Eigen::setNbThreads(1);
  std::printf("{\n");
  report<float>("fp32", false);
  report<double>("fp64", true);
  std::printf("}\n");
  return 0;
}
