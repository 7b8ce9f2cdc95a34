// Times one training step of the C++ trainer: loss + exact parameter gradient (energy and
// force-matching terms) over a batch. painn_bench_train MODEL BATCH.extxyz [--precision fp64]
// [--threads N] [--repeats K]. Prints JSON with the median milliseconds per step.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "painn/error.h"
#include "painn/trainer.h"

int main(int argc, char** argv) {
  using namespace painn;
  if (argc < 3) {
    std::cerr << "usage: painn_bench_train MODEL BATCH.extxyz [--precision fp64|fp32] [--threads N] [--repeats K]\n";
    return 2;
  }
  std::string precision = "fp64";
  int threads = 1, repeats = 5;
  for (int k = 3; k + 1 < argc; k += 2) {
    const std::string key = argv[k];
    if (key == "--precision") precision = argv[k + 1];
    else if (key == "--threads") threads = std::stoi(argv[k + 1]);
    else if (key == "--repeats") repeats = std::stoi(argv[k + 1]);
    else { std::cerr << "unknown option " << key << "\n"; return 2; }
  }
  try {
    const Model model = Model::load(argv[1]);
    const std::vector<Sample> samples = read_samples(argv[2], "molecule");
    std::vector<const Sample*> batch;
    long atoms = 0;
    for (const auto& s : samples) { batch.push_back(&s); atoms += static_cast<long>(s.system.positions.size()); }
    std::vector<Calculator> calcs;
    for (int t = 0; t < threads; ++t) calcs.emplace_back(model, precision_from_string(precision), 1);
    const LossWeights w{1.0, 10.0};
    Gradient grad;
    batch_loss(calcs, batch, w, &grad);  // warm-up
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      batch_loss(calcs, batch, w, &grad);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::cout << "{\"structures\": " << batch.size() << ", \"atoms\": " << atoms << ", \"precision\": \"" << precision
              << "\", \"threads\": " << threads << ", \"median_ms\": " << ms[ms.size() / 2] << "}\n";
  } catch (const std::exception& e) {
    std::cerr << "painn_bench_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
