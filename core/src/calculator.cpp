#include <omp.h>

#include "evaluator.h"
#include "painn/error.h"

namespace painn {

Precision precision_from_string(const std::string& s) {
  if (s == "fp64" || s == "double" || s == "float64") return Precision::fp64;
  if (s == "fp32" || s == "single" || s == "float32") return Precision::fp32;
  throw Error("unknown precision '" + s + "' (expected fp32 or fp64)");
}

const char* to_string(Precision p) { return p == Precision::fp64 ? "fp64" : "fp32"; }

Calculator::Calculator(const Model& model, Precision precision, int threads)
    : model_(model), precision_(precision), threads_(threads) {
  model_.validate();
  impl_ = make_evaluator(model_, precision_);
}

Calculator::~Calculator() = default;
Calculator::Calculator(Calculator&&) noexcept = default;
Calculator& Calculator::operator=(Calculator&&) noexcept = default;

void Calculator::set_threads(int threads) { threads_ = threads; }
void Calculator::set_filter_cache_bytes(double bytes) { impl_->set_filter_cache_bytes(bytes); }

namespace {
// Applies the requested thread count for the duration of one evaluation.
struct ThreadScope {
  int saved;
  explicit ThreadScope(int threads) : saved(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ThreadScope() { omp_set_num_threads(saved); }
};
}  // namespace

Result Calculator::compute(const Graph& graph, const Request& request, GhostExchange* exchange) const {
  ThreadScope scope(threads_);
  return impl_->compute(graph, request, exchange);
}

std::map<std::string, std::vector<double>> Calculator::training_gradient(
    const std::vector<double>& energy_weight, const std::vector<std::array<double, 3>>& displacement) const {
  ThreadScope scope(threads_);
  return impl_->training_gradient(energy_weight, displacement);
}

Result Calculator::compute(const System& system, const Request& request) const {
  ThreadScope scope(threads_);
  const Graph graph = build_graph(system, model_, model_.config.cutoff);
  Request req = request;
  req.edge_gradients = false;
  return impl_->compute(graph, req, nullptr);
}

}  // namespace painn
