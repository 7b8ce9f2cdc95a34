// PaiNN model: hyperparameters, parameters (kept in double after loading, whatever the stored
// dtype), and the safetensors model file (see docs/model-format.md).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace painn {

enum class RadialBasis { bessel, gaussian };
enum class WeightDtype { f64, f32, f16, i8 };
// Fixed (not trained) short-range pair repulsion added to the network's energy.
enum class Repulsion { none, zbl };

const char* to_string(RadialBasis b);
const char* to_string(WeightDtype d);
const char* to_string(Repulsion r);
WeightDtype weight_dtype_from_string(const std::string& s);  // "fp64|fp32|fp16|int8" (or f64...)
Repulsion repulsion_from_string(const std::string& s);       // "none|zbl"

struct ModelConfig {
  int hidden = 128;               // H: features per atom (scalar channel count)
  int layers = 3;                 // L: interaction + mixing blocks
  int rbf = 20;                   // R: radial basis functions
  double cutoff = 5.0;            // rc in Angstrom
  RadialBasis basis = RadialBasis::bessel;
  bool shared_filters = false;    // one R -> 3H filter for all layers instead of R -> 3HL
  std::vector<int> head_hidden;   // widths of the head's hidden layers; default {H/2}
  std::vector<int> species;       // atomic numbers, one embedding row each (order = row order)
  double energy_scale = 1.0;      // E_i = scale * y_i + shift + reference[Z_i]
  double energy_shift = 0.0;
  std::vector<double> reference_energy;  // per species, eV
  // ZBL repulsion (docs/model-format.md section 8): pair cutoff
  // r_max(i, j) = repulsion_cutoff_scale * (radius_i + radius_j) <= cutoff.
  Repulsion repulsion = Repulsion::none;
  std::vector<double> repulsion_radii;  // per species, Angstrom (used only with zbl)
  double repulsion_cutoff_scale = 1.0;
  // Network inner cutoff (docs/model-format.md section 9): every edge filter is multiplied by a
  // switch that is 0 below network_inner_cutoff and 1 above network_inner_cutoff +
  // network_inner_width, so that pairs closer than the training data ever came cannot reach the
  // network's unbounded extrapolation; the repulsion alone acts there. 0 = off (earlier files).
  double network_inner_cutoff = 0.0;
  double network_inner_width = 0.0;
  // Mixing block's vector norm n = sqrt(|V|^2 + vector_norm_epsilon) (docs/model-format.md
  // section 10). At an atom whose vector features vanish by symmetry (methane's C), a tiny epsilon
  // leaves a cone |V| in the energy (a cusp: forces jump, finite-difference Hessians diverge); a
  // larger one rounds it off. 1e-8 when the key is absent (earlier files, standard PaiNN).
  double vector_norm_epsilon = kDefaultVectorNormEpsilon;
  static constexpr double kDefaultVectorNormEpsilon = 1e-8;
};

// The closest two atoms may be for this model (graph.h): kMinPairDistanceShielded with a repulsion
// and a network inner cutoff, else kMinPairDistance.
double min_pair_distance(const ModelConfig& c);
// That bound as the error messages print it ("0.1", "0.01").
std::string min_pair_distance_text(const ModelConfig& c);

// Named sizes used across the project (all 5.0 A, Bessel basis, separate filters).
ModelConfig preset(const std::string& name, const std::vector<int>& species);
std::vector<std::string> preset_names();

// One dense tensor in row-major order, kept in double after loading.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
  int64_t size() const;
};

class Model {
 public:
  ModelConfig config;
  std::map<std::string, Tensor> params;       // canonical names, see docs/model-format.md
  WeightDtype stored_dtype = WeightDtype::f32;  // dtype of the weights in the file it came from
  std::map<std::string, std::string> provenance;  // free-form, stored in the metadata
  std::string origin;  // where it was loaded from (file path or a host's name for it), for messages

  // Model files larger than this are refused before they are read to the end.
  static constexpr uint64_t kMaxModelFileBytes = uint64_t{1} << 30;  // 1 GiB
  // A model file's bytes, refusing directories and files above kMaxModelFileBytes.
  static std::string read_file(const std::string& path);

  // Loading never crashes on bad input: it throws painn::Error naming the problem.
  static Model load(const std::string& path);
  static Model from_bytes(const std::string& bytes, const std::string& origin = "<memory>");
  void save(const std::string& path, WeightDtype dtype) const;
  std::string to_bytes(WeightDtype dtype) const;

  // Random weights (seeded) scaled so that molecules get energies and forces of ordinary size.
  static Model random(const ModelConfig& config, uint64_t seed);

  // Parameters in the file's sense (reference energies excluded); equals the formula in the spec.
  int64_t parameter_count() const;
  static int64_t parameter_count_formula(const ModelConfig& c);
  // Index of atomic number z in config.species, or -1.
  int species_index(int z) const;
  // Tensor names and shapes the config requires, in file order.
  static std::vector<std::pair<std::string, std::vector<int64_t>>> expected_tensors(const ModelConfig& c);

  // Hyperparameters, species, then (unless config_only) tensor shapes and finiteness; throws painn::Error.
  void validate(bool config_only = false) const;
};

// Element symbols <-> atomic numbers (1..118).
int atomic_number(const std::string& symbol);  // throws painn::Error on unknown symbol
const std::string& element_symbol(int z);
double standard_atomic_mass(int z);  // amu; H-Ca, Br, I (throws painn::Error otherwise)
double covalent_radius(int z);       // Angstrom, Cordero et al. 2008; H-Ca, Br, I (throws otherwise)

}  // namespace painn
