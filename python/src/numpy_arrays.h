// Results handed to Python as NumPy arrays that own their data (no copy back into Python).
#pragma once
#include <array>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

namespace painn::python {

using NumpyArray = nanobind::ndarray<nanobind::numpy, double>;

// A float64 array of the given shape that takes over `values` (row-major, size = product of shape).
inline NumpyArray numpy_array(std::vector<double>&& values, std::initializer_list<size_t> shape) {
  auto* owned = new std::vector<double>(std::move(values));
  nanobind::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
  return NumpyArray(owned->data(), shape.size(), shape.begin(), owner);
}

// [n, K] from a vector of K-arrays (forces, per-atom virials).
template <size_t K>
NumpyArray numpy_rows(const std::vector<std::array<double, K>>& rows) {
  std::vector<double> flat;
  flat.reserve(rows.size() * K);
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return numpy_array(std::move(flat), {rows.size(), K});
}

}  // namespace painn::python
