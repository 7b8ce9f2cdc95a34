// Times energy + forces of the C++ core: painn_bench MODEL STRUCTURE.extxyz [--precision fp32]
// [--threads N] [--repeats K]. Prints one JSON line with the median and minimum milliseconds
// of Calculator::compute (neighbour list included), after one warm-up evaluation.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>

#include "extxyz.h"
#include "painn/calculator.h"
#include "painn/error.h"

int main(int argc, char** argv) {
  using namespace painn;
  if (argc < 3) {
    std::cerr << "usage: painn_bench MODEL STRUCTURE.extxyz [--precision fp32|fp64] [--threads N] [--repeats K]\n";
    return 2;
  }
  std::string precision = "fp32";
  int threads = 1, repeats = 10;
  for (int k = 3; k + 1 < argc; k += 2) {
    const std::string key = argv[k];
    if (key == "--precision") precision = argv[k + 1];
    else if (key == "--threads") threads = std::stoi(argv[k + 1]);
    else if (key == "--repeats") repeats = std::stoi(argv[k + 1]);
    else { std::cerr << "unknown option " << key << "\n"; return 2; }
  }
  try {
    const Model model = Model::load(argv[1]);
    const Frame f = read_extxyz_file(argv[2]).at(0);
    System s;
    s.positions = f.positions;
    s.atomic_numbers = f.atomic_numbers;
    s.cell = f.cell;
    s.pbc = f.pbc;
    Calculator calc(model, precision_from_string(precision), threads);
    calc.compute(s);  // warm-up: allocates the persistent buffers
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const Result res = calc.compute(s);
      const auto t1 = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      if (!std::isfinite(res.energy)) throw Error("non-finite energy");
    }
    std::sort(ms.begin(), ms.end());
    std::cout << "{\"atoms\": " << s.positions.size() << ", \"precision\": \"" << precision
              << "\", \"threads\": " << threads << ", \"repeats\": " << repeats << ", \"median_ms\": " << ms[ms.size() / 2]
              << ", \"min_ms\": " << ms.front() << "}\n";
  } catch (const std::exception& e) {
    std::cerr << "painn_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
