// What the benchmark programs share: the command line PROGRAM MODEL INPUT.extxyz
// [--precision P] [--threads N] [--repeats K], and timing a step over repeats.
#pragma once
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace painn::bench {

struct Options {
  std::string model, input, precision;
  int threads = 1, repeats = 1;
};

// Fills o (whose fields hold the defaults) from argv; prints the usage line or the unknown option
// and returns false when the command line is not valid.
inline bool parse_options(int argc, char** argv, const char* usage, Options& o) {
  if (argc < 3) {
    std::cerr << "usage: " << usage << "\n";
    return false;
  }
  o.model = argv[1];
  o.input = argv[2];
  for (int k = 3; k + 1 < argc; k += 2) {
    const std::string key = argv[k];
    if (key == "--precision") o.precision = argv[k + 1];
    else if (key == "--threads") o.threads = std::stoi(argv[k + 1]);
    else if (key == "--repeats") o.repeats = std::stoi(argv[k + 1]);
    else {
      std::cerr << "unknown option " << key << "\n";
      return false;
    }
  }
  return true;
}

// Milliseconds of each of `repeats` calls of step(), sorted (median at size / 2).
template <class Step>
std::vector<double> time_repeats(int repeats, Step&& step) {
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace painn::bench
