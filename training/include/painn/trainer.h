// `painn train`: force-matching training of a PaiNN model on labelled extxyz data.
#pragma once
#include <string>
#include <vector>

#include "painn/loss.h"
#include "painn/model.h"

namespace painn {

struct TrainOptions {
  std::vector<std::string> data;       // extxyz files with energy and forces
  std::string output;                  // model file written at the end (best validation, EMA weights)
  std::string preset;                  // start from a preset (random init) ...
  std::string init_model;              // ... or fine-tune this model
  std::vector<int> species;            // for presets: elements (default: those in the data)
  std::string repulsion;               // for presets: "none" or "zbl" ("" = none); --init keeps the file's
  double repulsion_scale = 1.0;        // ZBL pair cutoff scale c: r_max = c (r_i + r_j)
  // Mixing block's vector norm epsilon (docs/model-format.md section 10); 0 = the preset's (1e-8)
  // for a new model, the file's with --init. Set, it applies to either.
  double vector_norm_epsilon = 0.0;
  uint64_t seed = 1;
  std::vector<std::string> val_data;   // explicit validation files (then no split of `data`)
  double val_fraction = 0.1;
  std::string split = "structure";     // "structure" or "group"
  std::string group_key = "molecule";  // extxyz info key naming a structure's molecule
  int epochs = 50;
  int batch = 32;
  double lr = 1e-3;
  double min_lr = 1e-6;
  double weight_decay = 0.0;           // AdamW, decoupled
  double warmup_fraction = 0.05;       // linear warm-up over this share of all steps
  std::string schedule = "cosine";     // "cosine" or "plateau"
  double plateau_factor = 0.5;
  int plateau_patience = 5;
  double clip_norm = 10.0;             // global gradient norm clip (0 = off)
  double ema_decay = 0.99;             // 0 = no EMA
  int early_stop = 20;                 // epochs without validation improvement (0 = off)
  LossWeights weights;
  std::string precision = "fp64";
  int threads = 0;                     // 0: all cores
  bool resume = false;                 // continue from OUTPUT.ckpt/ if present
  int max_epochs_this_run = 0;         // stop after this many epochs (testing interruption); 0 = off
  std::string log_csv;                 // default OUTPUT.csv
  bool progress = true;
};

struct TrainSummary {
  int epochs_run = 0;
  double best_val_loss = 0.0;
  double val_energy_mae = 0.0;  // eV/atom
  double val_force_mae = 0.0;   // eV/A
};

TrainSummary train(const TrainOptions& options);

// Reads labelled samples (energy and forces required) from extxyz files.
std::vector<Sample> read_samples(const std::string& path, const std::string& group_key);

// Least-squares per-element reference energies (minimum-norm where compositions are collinear).
std::vector<double> fit_reference_energies(const std::vector<const Sample*>& samples, const std::vector<int>& species);

}  // namespace painn
