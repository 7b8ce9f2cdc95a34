// Times energy + forces of the C++ core: painn_bench MODEL STRUCTURE.extxyz [--precision fp32]
// [--threads N] [--repeats K]. Prints one JSON line with the median and minimum milliseconds
// of Calculator::compute (neighbour list included), after one warm-up evaluation.
#include <cmath>
#include <iostream>

#include "bench_options.h"
#include "extxyz.h"
#include "painn/calculator.h"
#include "painn/error.h"

int main(int argc, char** argv) {
  using namespace painn;
  bench::Options o;
  o.precision = "fp32";
  o.repeats = 10;
  if (!bench::parse_options(argc, argv,
                            "painn_bench MODEL STRUCTURE.extxyz [--precision fp32|fp64] [--threads N] [--repeats K]", o))
    return 2;
  try {
    const Model model = Model::load(o.model);
    const Frame f = read_extxyz_file(o.input).at(0);
    System s;
    s.positions = f.positions;
    s.atomic_numbers = f.atomic_numbers;
    s.cell = f.cell;
    s.pbc = f.pbc;
    Calculator calc(model, precision_from_string(o.precision), o.threads);
    calc.compute(s);  // warm-up: allocates the persistent buffers
    const std::vector<double> ms = bench::time_repeats(o.repeats, [&] {
      if (!std::isfinite(calc.compute(s).energy)) throw Error("non-finite energy");
    });
    std::cout << "{\"atoms\": " << s.positions.size() << ", \"precision\": \"" << o.precision
              << "\", \"threads\": " << o.threads << ", \"repeats\": " << o.repeats << ", \"median_ms\": " << ms[ms.size() / 2]
              << ", \"min_ms\": " << ms.front() << "}\n";
  } catch (const std::exception& e) {
    std::cerr << "painn_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
