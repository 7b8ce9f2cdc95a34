#include <omp.h>

#include <cfloat>
#include <cmath>

#include "atom_order.h"
#include "evaluator.h"
#include "painn/error.h"

namespace painn {

Precision precision_from_string(const std::string& s) {
  if (s == "fp64" || s == "double" || s == "float64") return Precision::fp64;
  if (s == "fp32" || s == "single" || s == "float32") return Precision::fp32;
  throw Error("unknown precision '" + s + "' (expected fp32 or fp64)");
}

const char* to_string(Precision p) { return p == Precision::fp64 ? "fp64" : "fp32"; }

namespace {

std::string model_name(const Model& m) { return m.origin.empty() ? std::string("model") : "model " + m.origin; }

void check_threads(int threads) {
  if (threads > Calculator::kMaxThreads)
    throw Error("thread count " + std::to_string(threads) + " is above the limit of " +
                std::to_string(Calculator::kMaxThreads) + " (0 or less: OpenMP's default)");
}

// A non-finite energy, force or virial is never a result: the model overflowed on this input.
void check_finite(const Result& r, const Model& m, Precision p) {
  auto fail = [&](const std::string& what) {
    throw Error(model_name(m) + ": the " + what + " is not finite (NaN or Inf) in " + to_string(p) +
                " compute; the model's weights or activations overflow on this structure");
  };
  if (!std::isfinite(r.energy)) fail("energy");
  for (size_t i = 0; i < r.forces.size(); ++i)
    if (!std::isfinite(r.forces[i][0]) || !std::isfinite(r.forces[i][1]) || !std::isfinite(r.forces[i][2]))
      fail("force on atom " + std::to_string(i));
  for (double w : r.virial)
    if (!std::isfinite(w)) fail("virial");
  for (size_t i = 0; i < r.atom_energy.size(); ++i)
    if (!std::isfinite(r.atom_energy[i])) fail("energy of atom " + std::to_string(i));
}

}  // namespace

Calculator::Calculator(const Model& model, Precision precision, int threads)
    : model_(model), precision_(precision), threads_(threads) {
  check_threads(threads);
  model_.validate();
  if (precision_ == Precision::fp32)  // a weight beyond float's range would become Inf
    for (const auto& [name, t] : model_.params)
      for (double v : t.data)
        if (std::fabs(v) > FLT_MAX)
          throw Error(model_name(model_) + ": tensor '" + name + "' holds " + std::to_string(v) +
                      ", beyond the fp32 range (3.4e38); evaluate it in fp64");
  impl_ = make_evaluator(model_, precision_);
}

Calculator::~Calculator() = default;
Calculator::Calculator(Calculator&&) noexcept = default;
Calculator& Calculator::operator=(Calculator&&) noexcept = default;

void Calculator::set_threads(int threads) {
  check_threads(threads);
  threads_ = threads;
}
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
  Result r = impl_->compute(graph, request, exchange);
  check_finite(r, model_, precision_);
  return r;
}

std::map<std::string, std::vector<double>> Calculator::training_gradient(
    const std::vector<double>& energy_weight, const std::vector<std::array<double, 3>>& displacement) const {
  ThreadScope scope(threads_);
  return impl_->training_gradient(energy_weight, displacement);
}

Result Calculator::compute(const System& system, const Request& request) const {
  ThreadScope scope(threads_);
  // Large structures are evaluated in a spatial atom order (atom_order.h). Not for training: its
  // per-node weights and displacements are given in the caller's order of the kept state.
  std::vector<int> order;
  if (!request.keep_for_training && !request.parameter_gradient)
    order = spatial_order(system, 0.5 * model_.config.cutoff);
  Graph graph;
  if (order.empty()) {
    graph = build_graph(system, model_, model_.config.cutoff);
  } else {
    try {
      graph = build_graph(permuted(system, order), model_, model_.config.cutoff);
    } catch (const Error&) {
      build_graph(system, model_, model_.config.cutoff);  // the same error, naming the caller's atoms
      throw;
    }
  }
  if (graph.n_nodes == 0) {  // no atoms: nothing to evaluate (energy 0)
    Result empty;
    return empty;
  }
  Request req = request;
  req.edge_gradients = false;
  Result r = impl_->compute(graph, req, nullptr);
  if (!order.empty()) restore_order(r, order);
  check_finite(r, model_, precision_);
  return r;
}

}  // namespace painn
