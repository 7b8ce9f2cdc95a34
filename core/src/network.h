// The network's weights in the compute type T (float or double), cast once from the model's
// double parameters. Matrices are row-major [out, in] like the file.
#pragma once
#include <Eigen/Dense>
#include <map>
#include <string>
#include <vector>

#include "painn/model.h"

namespace painn {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;

template <typename T>
struct Dense {
  Mat<T> weight;   // [out, in]
  RowVec<T> bias;  // [out] (empty when the layer has none)
};

template <typename T>
struct InteractionWeights {
  Dense<T> context1;  // H -> H, SiLU after
  Dense<T> context2;  // H -> 3H: [xs, xvr, xvv]
  Mat<T> filter;      // [3H, R] rows of this layer's radial filter A_l
  RowVec<T> filter_bias;  // [3H]
};

template <typename T>
struct MixingWeights {
  Mat<T> vector_mix;  // [2H, H]: mu -> [V, U]
  Dense<T> context1;  // 2H -> H, SiLU after
  Dense<T> context2;  // H -> 3H: [a, b, c]
  double norm_epsilon = ModelConfig::kDefaultVectorNormEpsilon;  // n = sqrt(|V|^2 + norm_epsilon)
};

template <typename T>
struct Network {
  int hidden = 0, layers = 0, rbf = 0;
  double cutoff = 0.0;
  RadialBasis basis = RadialBasis::bessel;
  Mat<T> embedding;  // [S, H]
  std::vector<InteractionWeights<T>> interaction;
  std::vector<MixingWeights<T>> mixing;
  std::vector<Dense<T>> head;  // SiLU between layers, none after the last
  double energy_scale = 1.0, energy_shift = 0.0;
  std::vector<double> reference_energy;

  explicit Network(const Model& model);
  void set_zero();  // every weight to 0 (a Network used as a gradient accumulator)
  // Adds this network's weights, read as gradients, to named tensors (the model file's names);
  // shared filters receive the sum over layers.
  void add_to_named(const ModelConfig& config, std::map<std::string, std::vector<double>>& out) const;
};

}  // namespace painn
