#include "network.h"

namespace painn {

namespace {
template <typename T>
Mat<T> matrix(const Tensor& t) {
  Mat<T> m(t.shape[0], t.shape[1]);
  for (int64_t r = 0; r < t.shape[0]; ++r)
    for (int64_t c = 0; c < t.shape[1]; ++c) m(r, c) = static_cast<T>(t.data[r * t.shape[1] + c]);
  return m;
}
template <typename T>
RowVec<T> row(const Tensor& t) {
  RowVec<T> v(t.size());
  for (int64_t k = 0; k < t.size(); ++k) v[k] = static_cast<T>(t.data[k]);
  return v;
}
template <typename T>
Dense<T> dense(const Model& m, const std::string& prefix) {
  return Dense<T>{matrix<T>(m.params.at(prefix + ".weight")), row<T>(m.params.at(prefix + ".bias"))};
}
}  // namespace

template <typename T>
Network<T>::Network(const Model& model) {
  const ModelConfig& c = model.config;
  hidden = c.hidden;
  layers = c.layers;
  rbf = c.rbf;
  cutoff = c.cutoff;
  basis = c.basis;
  energy_scale = c.energy_scale;
  energy_shift = c.energy_shift;
  reference_energy = c.reference_energy;
  embedding = matrix<T>(model.params.at("embedding.weight"));
  const Mat<T> filter = matrix<T>(model.params.at("filter.weight"));
  const RowVec<T> filter_bias = row<T>(model.params.at("filter.bias"));
  const int H3 = 3 * hidden;
  for (int l = 0; l < layers; ++l) {
    const std::string in = "interaction." + std::to_string(l);
    const int f = c.shared_filters ? 0 : l;
    interaction.push_back({dense<T>(model, in + ".context1"), dense<T>(model, in + ".context2"),
                           filter.middleRows(f * H3, H3), filter_bias.segment(f * H3, H3)});
    const std::string mx = "mixing." + std::to_string(l);
    mixing.push_back({matrix<T>(model.params.at(mx + ".vector_mix.weight")), dense<T>(model, mx + ".context1"),
                      dense<T>(model, mx + ".context2"), c.vector_norm_epsilon});
  }
  for (size_t k = 0; k <= c.head_hidden.size(); ++k) head.push_back(dense<T>(model, "head." + std::to_string(k)));
}

template <typename T>
void Network<T>::set_zero() {
  embedding.setZero();
  for (auto& in : interaction) {
    in.context1.weight.setZero(); in.context1.bias.setZero();
    in.context2.weight.setZero(); in.context2.bias.setZero();
    in.filter.setZero(); in.filter_bias.setZero();
  }
  for (auto& mx : mixing) {
    mx.vector_mix.setZero();
    mx.context1.weight.setZero(); mx.context1.bias.setZero();
    mx.context2.weight.setZero(); mx.context2.bias.setZero();
  }
  for (auto& d : head) { d.weight.setZero(); d.bias.setZero(); }
}

namespace {
template <typename Derived>
void add_flat(const Eigen::MatrixBase<Derived>& m, std::vector<double>& out, size_t offset = 0) {
  const int64_t need = offset + m.rows() * m.cols();
  if (static_cast<int64_t>(out.size()) < need) out.resize(need, 0.0);
  for (int64_t r = 0; r < m.rows(); ++r)
    for (int64_t c = 0; c < m.cols(); ++c) out[offset + r * m.cols() + c] += static_cast<double>(m(r, c));
}
}  // namespace

template <typename T>
void Network<T>::add_to_named(const ModelConfig& c, std::map<std::string, std::vector<double>>& out) const {
  add_flat(embedding, out["embedding.weight"]);
  const int64_t H3 = 3 * hidden;
  for (int l = 0; l < layers; ++l) {
    const auto& in = interaction[l];
    const size_t f = c.shared_filters ? 0 : l;
    add_flat(in.filter, out["filter.weight"], f * H3 * rbf);
    add_flat(in.filter_bias, out["filter.bias"], f * H3);
    const std::string pi = "interaction." + std::to_string(l) + ".";
    add_flat(in.context1.weight, out[pi + "context1.weight"]);
    add_flat(in.context1.bias, out[pi + "context1.bias"]);
    add_flat(in.context2.weight, out[pi + "context2.weight"]);
    add_flat(in.context2.bias, out[pi + "context2.bias"]);
    const auto& mx = mixing[l];
    const std::string pm = "mixing." + std::to_string(l) + ".";
    add_flat(mx.vector_mix, out[pm + "vector_mix.weight"]);
    add_flat(mx.context1.weight, out[pm + "context1.weight"]);
    add_flat(mx.context1.bias, out[pm + "context1.bias"]);
    add_flat(mx.context2.weight, out[pm + "context2.weight"]);
    add_flat(mx.context2.bias, out[pm + "context2.bias"]);
  }
  for (size_t k = 0; k < head.size(); ++k) {
    add_flat(head[k].weight, out["head." + std::to_string(k) + ".weight"]);
    add_flat(head[k].bias, out["head." + std::to_string(k) + ".bias"]);
  }
}

template struct Network<float>;
template struct Network<double>;

}  // namespace painn
