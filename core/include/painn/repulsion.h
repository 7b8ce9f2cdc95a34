// The optional fixed short-range pair repulsion (ZBL) that a model file may carry
// (docs/model-format.md section 8). The Calculator adds it to every result; these helpers set it
// up in a new model's config and evaluate it alone (the trainer fits reference energies and the
// energy scale to what the network itself has to learn).
#pragma once
#include "painn/calculator.h"
#include "painn/model.h"

namespace painn {

// The network inner cutoff that new ZBL models get (docs/model-format.md section 9): the network
// ignores pairs closer than 0.3 A and is switched in smoothly up to 0.6 A. Trained data sets stay
// above it (the v2 data's closest pair is 0.81 A).
constexpr double kDefaultNetworkInnerCutoff = 0.3;
constexpr double kDefaultNetworkInnerWidth = 0.3;

// Turns on ZBL for config's species with covalent radii (covalent_radius) and pair cutoffs
// cutoff_scale * (radius_i + radius_j), and the default network inner cutoff above. Throws
// painn::Error for an element without a radius.
void use_zbl_repulsion(ModelConfig& config, double cutoff_scale = 1.0);

// Energy, forces and virial of the repulsion alone (all zero for a model without one).
Result repulsion_only(const Model& model, const System& system);

}  // namespace painn
