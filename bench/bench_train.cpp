// Times one training step of the C++ trainer: loss + exact parameter gradient (energy and
// force-matching terms) over a batch. painn_bench_train MODEL BATCH.extxyz [--precision fp64]
// [--threads N] [--repeats K]. Prints JSON with the median milliseconds per step.
#include <iostream>

#include "bench_options.h"
#include "painn/error.h"
#include "painn/trainer.h"

int main(int argc, char** argv) {
  using namespace painn;
  bench::Options o;
  o.precision = "fp64";
  o.repeats = 5;
  if (!bench::parse_options(
          argc, argv, "painn_bench_train MODEL BATCH.extxyz [--precision fp64|fp32] [--threads N] [--repeats K]", o))
    return 2;
  try {
    const Model model = Model::load(o.model);
    const std::vector<Sample> samples = read_samples(o.input, "molecule");
    std::vector<const Sample*> batch;
    long atoms = 0;
    for (const auto& s : samples) { batch.push_back(&s); atoms += static_cast<long>(s.system.positions.size()); }
    std::vector<Calculator> calcs;
    for (int t = 0; t < o.threads; ++t) calcs.emplace_back(model, precision_from_string(o.precision), 1);
    const LossWeights w{1.0, 10.0};
    Gradient grad;
    batch_loss(calcs, batch, w, &grad);  // warm-up
    const std::vector<double> ms = bench::time_repeats(o.repeats, [&] { batch_loss(calcs, batch, w, &grad); });
    std::cout << "{\"structures\": " << batch.size() << ", \"atoms\": " << atoms << ", \"precision\": \"" << o.precision
              << "\", \"threads\": " << o.threads << ", \"median_ms\": " << ms[ms.size() / 2] << "}\n";
  } catch (const std::exception& e) {
    std::cerr << "painn_bench_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
