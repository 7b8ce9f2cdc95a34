// Writes small models (every weight dtype, both bases, shared filters) to seed the
// fuzz corpora: painn_fuzz_seeds OUTDIR. Shipped potentials and example structures are added by
// scripts/fuzz.sh.
#include <fstream>
#include <iostream>
#include <string>

#include "painn/model.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: painn_fuzz_seeds OUTDIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  int n = 0;
  for (int variant = 0; variant < 3; ++variant) {
    painn::ModelConfig c;
    c.hidden = 4 + 2 * variant;
    c.layers = 1 + variant % 2;
    c.rbf = 3;
    c.cutoff = 4.0;
    c.basis = variant == 1 ? painn::RadialBasis::gaussian : painn::RadialBasis::bessel;
    c.shared_filters = variant == 2;
    c.head_hidden = {2};
    c.species = {1, 6, 8};
    c.reference_energy = {-13.6, -1029.5, -2042.6};
    painn::Model m = painn::Model::random(c, 11 + variant);
    for (auto d : {painn::WeightDtype::f64, painn::WeightDtype::f32, painn::WeightDtype::f16, painn::WeightDtype::i8}) {
      std::ofstream(dir + "/small-" + std::to_string(n++) + ".safetensors", std::ios::binary) << m.to_bytes(d);
    }
  }
  std::cout << "wrote " << n << " seed models to " << dir << "\n";
  return 0;
}
