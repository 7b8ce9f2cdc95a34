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
};

std::unique_ptr<Evaluator> make_evaluator(const Model& model, Precision precision);

}  // namespace painn
