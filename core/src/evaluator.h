// Internal: runs the network over a Graph in compute type T (forward, then reverse if asked).
#pragma once
#include <memory>

#include "painn/calculator.h"

namespace painn {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Not re-entrant: keeps scratch buffers between calls (one Calculator per thread of a host).
  virtual Result compute(const Graph& graph, const Request& request, GhostExchange* exchange) = 0;
  virtual void set_filter_cache_bytes(double bytes) = 0;
  // See Calculator::training_gradient; uses the state kept by the last compute().
  virtual std::map<std::string, std::vector<double>> training_gradient(
      const std::vector<double>& energy_weight, const std::vector<std::array<double, 3>>& displacement) = 0;
};

std::unique_ptr<Evaluator> make_evaluator(const Model& model, Precision precision);

}  // namespace painn
