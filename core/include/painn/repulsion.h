// The optional fixed short-range pair repulsion (ZBL) that a model file may carry
// (docs/model-format.md section 8). The Calculator adds it to every result; these helpers set it
// up in a new model's config and evaluate it alone (the trainer fits reference energies and the
// energy scale to what the network itself has to learn).
#pragma once
#include "painn/calculator.h"
#include "painn/model.h"

namespace painn {

// Turns on ZBL for config's species with covalent radii (covalent_radius) and pair cutoffs
// cutoff_scale * (radius_i + radius_j). Throws painn::Error for an element without a radius.
void use_zbl_repulsion(ModelConfig& config, double cutoff_scale = 1.0);

// Energy, forces and virial of the repulsion alone (all zero for a model without one).
Result repulsion_only(const Model& model, const System& system);

}  // namespace painn
