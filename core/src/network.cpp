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
                      dense<T>(model, mx + ".context2")});
  }
  for (size_t k = 0; k <= c.head_hidden.size(); ++k) head.push_back(dense<T>(model, "head." + std::to_string(k)));
}

template struct Network<float>;
template struct Network<double>;

}  // namespace painn
