// Training loop: data, split, reference energies, AdamW with warm-up + cosine or plateau
// schedule, gradient clipping, EMA weights, early stopping, per-epoch checkpoints with exact
// resume, progress bar and CSV log.
#include "painn/trainer.h"

#include <omp.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "extxyz.h"
#include "painn/error.h"
#include "painn/repulsion.h"

namespace painn {

namespace fs = std::filesystem;

std::vector<Sample> read_samples(const std::string& path, const std::string& group_key) {
  std::vector<Sample> out;
  const std::vector<Frame> frames = read_extxyz_file(path);
  for (size_t k = 0; k < frames.size(); ++k) {
    const Frame& f = frames[k];
    const std::string where = path + ", frame " + std::to_string(k) + ": ";
    if (!f.has_energy) throw Error(where + "no energy (training data needs energy= in the comment line)");
    if (f.forces.size() != f.positions.size()) throw Error(where + "no forces column");
    Sample s;
    s.system.positions = f.positions;
    s.system.atomic_numbers = f.atomic_numbers;
    s.system.cell = f.cell;
    s.system.pbc = f.pbc;
    s.energy = f.energy;
    s.forces = f.forces;
    auto g = f.info.find(group_key);
    s.group = g != f.info.end() ? g->second : path + "#" + std::to_string(k);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<double> fit_reference_energies(const std::vector<const Sample*>& samples, const std::vector<int>& species) {
  const int S = static_cast<int>(species.size()), n = static_cast<int>(samples.size());
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(n, S);
  Eigen::VectorXd energy(n);
  for (int k = 0; k < n; ++k) {
    for (int z : samples[k]->system.atomic_numbers) {
      const auto it = std::find(species.begin(), species.end(), z);
      if (it == species.end()) throw Error("training data has element " + element_symbol(z) + " not in the model's species");
      counts(k, it - species.begin()) += 1.0;
    }
    energy[k] = samples[k]->energy;
  }
  const Eigen::VectorXd ref = counts.completeOrthogonalDecomposition().solve(energy);
  return std::vector<double>(ref.data(), ref.data() + S);
}

namespace {

uint64_t fnv1a(const std::string& bytes, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : bytes) { h ^= c; h *= 1099511628211ull; }
  return h;
}

std::string hex(uint64_t x) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

// Adam moments and EMA weights have the model's tensor shapes; they are kept as Models so the
// checkpoint can store them with the model file writer.
struct OptimizerState {
  Model model, ema, m, v;
  long step = 0;
  int epoch = 0;  // epochs completed
  double best_val = INFINITY;
  int bad_epochs = 0;      // epochs since the best validation loss
  double plateau_scale = 1.0;
  int plateau_bad = 0;
  double plateau_best = INFINITY;
};

void save_checkpoint(const OptimizerState& st, const std::string& dir, const Model& best) {
  fs::create_directories(dir);
  st.model.save(dir + "/model.safetensors", WeightDtype::f64);
  st.ema.save(dir + "/ema.safetensors", WeightDtype::f64);
  st.m.save(dir + "/adam_m.safetensors", WeightDtype::f64);
  st.v.save(dir + "/adam_v.safetensors", WeightDtype::f64);
  best.save(dir + "/best.safetensors", WeightDtype::f64);
  nlohmann::json j = {{"step", st.step}, {"epoch", st.epoch}, {"best_val", st.best_val},
                      {"bad_epochs", st.bad_epochs}, {"plateau_scale", st.plateau_scale},
                      {"plateau_bad", st.plateau_bad}, {"plateau_best", st.plateau_best}};
  std::ofstream(dir + "/state.json.tmp") << j.dump(2);
  fs::rename(dir + "/state.json.tmp", dir + "/state.json");  // written last: marks a whole checkpoint
}

bool load_checkpoint(OptimizerState& st, const std::string& dir, Model& best) {
  if (!fs::exists(dir + "/state.json")) return false;
  st.model = Model::load(dir + "/model.safetensors");
  st.ema = Model::load(dir + "/ema.safetensors");
  st.m = Model::load(dir + "/adam_m.safetensors");
  st.v = Model::load(dir + "/adam_v.safetensors");
  best = Model::load(dir + "/best.safetensors");
  std::ifstream in(dir + "/state.json");
  nlohmann::json j = nlohmann::json::parse(in);
  st.step = j["step"];
  st.epoch = j["epoch"];
  st.best_val = j["best_val"].is_null() ? INFINITY : j["best_val"].get<double>();
  st.bad_epochs = j["bad_epochs"];
  st.plateau_scale = j["plateau_scale"];
  st.plateau_bad = j["plateau_bad"];
  st.plateau_best = j["plateau_best"].is_null() ? INFINITY : j["plateau_best"].get<double>();
  return true;
}

// JSON list of the data and settings of the legs before a resume, oldest first: the
// checkpoint's own list, plus the leg that wrote the checkpoint when its data or settings differ
// from this run's. Empty when nothing changed (a plain resume).
std::string earlier_legs(const std::map<std::string, std::string>& checkpoint,
                         const std::map<std::string, std::string>& now, int epochs_done) {
  auto get = [](const std::map<std::string, std::string>& p, const char* key) {
    const auto it = p.find(key);
    return it == p.end() ? std::string() : it->second;
  };
  nlohmann::json legs = nlohmann::json::array();
  if (const std::string old = get(checkpoint, "earlier_legs"); !old.empty()) legs = nlohmann::json::parse(old);
  const bool changed = get(checkpoint, "data_fnv1a64") != get(now, "data_fnv1a64") ||
                       get(checkpoint, "data_files") != get(now, "data_files") ||
                       get(checkpoint, "hyperparameters") != get(now, "hyperparameters");
  if (changed)
    legs.push_back({{"until_epoch", epochs_done},
                    {"data_files", get(checkpoint, "data_files")},
                    {"data_fnv1a64", get(checkpoint, "data_fnv1a64")},
                    {"hyperparameters", get(checkpoint, "hyperparameters")}});
  return legs.empty() ? std::string() : legs.dump();
}

std::vector<Calculator> make_calculators(const Model& m, Precision p, int n) {
  std::vector<Calculator> c;
  for (int k = 0; k < n; ++k) c.emplace_back(m, p, 1);
  return c;
}

std::string format_eta(double seconds) {
  char buf[32];
  const int s = static_cast<int>(seconds);
  std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

}  // namespace

TrainSummary train(const TrainOptions& o) {
  if (o.data.empty()) throw Error("train: no data files given");
  if (o.output.empty()) throw Error("train: no output model given (-o)");
  if (o.batch < 1 || o.epochs < 1) throw Error("train: batch and epochs must be >= 1");
  const Precision precision = precision_from_string(o.precision);
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();

  // Data and its hash (provenance).
  std::vector<Sample> samples;
  uint64_t hash = 1469598103934665603ull;
  for (const auto& path : o.data) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    hash = fnv1a(ss.str(), hash);
    auto part = read_samples(path, o.group_key);
    samples.insert(samples.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  if (samples.size() < 2) throw Error("train: need at least 2 labelled structures");

  // Split: explicit validation files, by structure, or by group (no molecule in both sets).
  std::mt19937_64 split_rng(o.seed);
  std::vector<const Sample*> train_set, val_set;
  std::vector<Sample> val_samples;
  for (const auto& path : o.val_data) {
    auto part = read_samples(path, o.group_key);
    val_samples.insert(val_samples.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  if (!o.val_data.empty()) {
    if (val_samples.empty()) throw Error("train: the validation files hold no structures");
    for (const auto& s : samples) train_set.push_back(&s);
    for (const auto& s : val_samples) val_set.push_back(&s);
  } else if (o.split == "group") {
    std::vector<std::string> groups;
    std::set<std::string> seen;
    for (const auto& s : samples)
      if (seen.insert(s.group).second) groups.push_back(s.group);
    std::shuffle(groups.begin(), groups.end(), split_rng);
    const size_t n_val = std::max<size_t>(1, static_cast<size_t>(std::round(o.val_fraction * groups.size())));
    if (groups.size() < 2) throw Error("train: --split group needs at least 2 groups (key '" + o.group_key + "')");
    std::set<std::string> val_groups(groups.begin(), groups.begin() + std::min(n_val, groups.size() - 1));
    for (const auto& s : samples) (val_groups.count(s.group) ? val_set : train_set).push_back(&s);
  } else if (o.split == "structure") {
    std::vector<size_t> idx(samples.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), split_rng);
    const size_t n_val = std::max<size_t>(1, static_cast<size_t>(std::round(o.val_fraction * idx.size())));
    for (size_t k = 0; k < idx.size(); ++k) (k < n_val ? val_set : train_set).push_back(&samples[idx[k]]);
  } else {
    throw Error("train: --split must be 'structure' or 'group'");
  }

  // Model: preset (random init, data-fitted reference energies and scale) or fine-tune.
  Model model;
  if (!o.init_model.empty()) {
    if (!o.repulsion.empty())
      throw Error("train: --repulsion applies to new models (--preset); --init keeps the repulsion of its file");
    model = Model::load(o.init_model);
  } else {
    if (o.preset.empty()) throw Error("train: give --preset or --init MODEL");
    std::vector<int> species = o.species;
    if (species.empty()) {
      std::set<int> zs;
      for (const auto& s : samples) zs.insert(s.system.atomic_numbers.begin(), s.system.atomic_numbers.end());
      species.assign(zs.begin(), zs.end());
    }
    ModelConfig config = preset(o.preset, species);
    if (!o.repulsion.empty() && repulsion_from_string(o.repulsion) == Repulsion::zbl)
      use_zbl_repulsion(config, o.repulsion_scale);
    model = Model::random(config, o.seed);
    // The network learns the data minus the fixed repulsion: fit its reference energies and
    // energy scale to that residual.
    std::vector<Sample> residual;
    std::vector<const Sample*> fit_set = train_set;
    if (model.config.repulsion != Repulsion::none) {
      residual.reserve(train_set.size());
      for (const Sample* s : train_set) {
        Sample r = *s;
        const Result rep = repulsion_only(model, s->system);
        r.energy -= rep.energy;
        for (size_t i = 0; i < r.forces.size(); ++i)
          for (int c = 0; c < 3; ++c) r.forces[i][c] -= rep.forces[i][c];
        residual.push_back(std::move(r));
      }
      for (size_t k = 0; k < residual.size(); ++k) fit_set[k] = &residual[k];
    }
    model.config.reference_energy = fit_reference_energies(fit_set, species);
    double f2 = 0;
    long nf = 0;
    for (const Sample* s : fit_set)
      for (const auto& f : s->forces) { f2 += f[0] * f[0] + f[1] * f[1] + f[2] * f[2]; nf += 3; }
    model.config.energy_scale = std::max(1e-3, std::sqrt(f2 / std::max(1L, nf)));
    model.config.energy_shift = 0.0;
  }
  if (o.vector_norm_epsilon != 0.0) {
    model.config.vector_norm_epsilon = o.vector_norm_epsilon;
    model.validate(true);  // names a value out of range before any epoch runs
  }
  model.provenance["creator"] = "painn train";
  model.provenance["data_fnv1a64"] = hex(hash);
  model.provenance["data_files"] = nlohmann::json(o.data).dump();
  model.provenance["train_structures"] = std::to_string(train_set.size());
  model.provenance["val_structures"] = std::to_string(val_set.size());
  nlohmann::json hp = {{"preset", o.preset}, {"init", o.init_model}, {"epochs", o.epochs}, {"batch", o.batch},
                       {"lr", o.lr}, {"min_lr", o.min_lr}, {"weight_decay", o.weight_decay},
                       {"warmup_fraction", o.warmup_fraction}, {"schedule", o.schedule}, {"clip_norm", o.clip_norm},
                       {"ema_decay", o.ema_decay}, {"energy_weight", o.weights.energy},
                       {"force_weight", o.weights.forces}, {"split", o.split}, {"seed", o.seed},
                       {"precision", o.precision}, {"vector_norm_epsilon", model.config.vector_norm_epsilon}};
  if (!o.repulsion.empty()) {
    hp["repulsion"] = o.repulsion;
    hp["repulsion_scale"] = o.repulsion_scale;
  }
  model.provenance["hyperparameters"] = hp.dump();

  OptimizerState st;
  st.model = model;
  st.ema = model;
  st.m = model;
  st.v = model;
  for (auto* mm : {&st.m, &st.v})
    for (auto& [name, t] : mm->params) std::fill(t.data.begin(), t.data.end(), 0.0);
  Model best = model;
  const std::string ckpt = o.output + ".ckpt";
  if (o.resume && load_checkpoint(st, ckpt, best)) {
    if (o.progress) std::fprintf(stderr, "resuming from %s after epoch %d\n", ckpt.c_str(), st.epoch);
    // The checkpoint's models carry the provenance of the run that wrote them. A resumed run may
    // use other data or settings (e.g. more data after an active-learning round): the file must
    // name what this run uses, and list what the earlier legs used.
    const std::string legs = earlier_legs(best.provenance, model.provenance, st.epoch);
    for (Model* m : {&st.model, &st.ema, &best}) {
      m->provenance = model.provenance;
      if (!legs.empty()) m->provenance["earlier_legs"] = legs;
    }
  }

  const std::string csv_path = o.log_csv.empty() ? o.output + ".csv" : o.log_csv;
  std::ofstream csv(csv_path, st.epoch > 0 ? std::ios::app : std::ios::trunc);
  if (st.epoch == 0)
    csv << "epoch,lr,train_loss,train_energy_mae_eV_per_atom,train_force_mae_eV_per_A,val_loss,"
           "val_energy_mae_eV_per_atom,val_force_mae_eV_per_A,seconds\n";

  const long steps_per_epoch = static_cast<long>((train_set.size() + o.batch - 1) / o.batch);
  const long total_steps = steps_per_epoch * o.epochs;
  const long warmup = static_cast<long>(o.warmup_fraction * total_steps);
  auto lr_at = [&](long step) {
    double lr = o.lr;
    if (o.schedule == "cosine") {
      const double t = std::min(1.0, static_cast<double>(step) / std::max(1L, total_steps));
      lr = o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + std::cos(M_PI * t));
    } else {
      lr = std::max(o.min_lr, o.lr * st.plateau_scale);
    }
    if (step < warmup) lr *= static_cast<double>(step + 1) / warmup;
    return lr;
  };
  if (o.schedule != "cosine" && o.schedule != "plateau") throw Error("train: --schedule must be cosine or plateau");

  TrainSummary summary;
  const double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  int epochs_this_run = 0;
  const bool live_bar = o.progress && isatty(fileno(stderr));  // one line per epoch in logs
  const auto t_start = std::chrono::steady_clock::now();
  while (st.epoch < o.epochs) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<const Sample*> order = train_set;
    std::mt19937_64 rng(o.seed * 1000003ull + static_cast<uint64_t>(st.epoch));  // per-epoch: exact resume
    std::shuffle(order.begin(), order.end(), rng);
    BatchStats acc;
    double lr = 0;
    for (long b = 0; b < steps_per_epoch; ++b) {
      std::vector<const Sample*> batch(order.begin() + b * o.batch,
                                       order.begin() + std::min<long>((b + 1) * o.batch, order.size()));
      std::vector<Calculator> calcs = make_calculators(st.model, precision, threads);
      Gradient grad;
      const BatchStats bs = batch_loss(calcs, batch, o.weights, &grad);
      acc.loss += bs.loss * bs.structures;
      acc.energy_abs += bs.energy_abs;
      acc.force_abs += bs.force_abs;
      acc.structures += bs.structures;
      acc.atoms += bs.atoms;
      // Clip the global gradient norm.
      double norm2 = 0;
      for (const auto& [name, g] : grad)
        for (double x : g) norm2 += x * x;
      const double norm = std::sqrt(norm2);
      if (!std::isfinite(norm)) throw Error("train: gradient is not finite at step " + std::to_string(st.step));
      const double clip = (o.clip_norm > 0 && norm > o.clip_norm) ? o.clip_norm / norm : 1.0;
      // AdamW step.
      lr = lr_at(st.step);
      ++st.step;
      const double bc1 = 1 - std::pow(beta1, static_cast<double>(st.step));
      const double bc2 = 1 - std::pow(beta2, static_cast<double>(st.step));
      for (auto& [name, t] : st.model.params) {
        const auto& g = grad.at(name);
        auto& m = st.m.params[name].data;
        auto& v = st.v.params[name].data;
        auto& e = st.ema.params[name].data;
        for (size_t k = 0; k < t.data.size(); ++k) {
          const double gk = g[k] * clip;
          m[k] = beta1 * m[k] + (1 - beta1) * gk;
          v[k] = beta2 * v[k] + (1 - beta2) * gk * gk;
          t.data[k] -= lr * (m[k] / bc1 / (std::sqrt(v[k] / bc2) + adam_eps) + o.weight_decay * t.data[k]);
          e[k] = o.ema_decay > 0 ? o.ema_decay * e[k] + (1 - o.ema_decay) * t.data[k] : t.data[k];
        }
      }
      if (live_bar) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        const long done = (st.epoch - (st.epoch - epochs_this_run)) * steps_per_epoch + b + 1;
        const long left = (o.epochs - st.epoch) * steps_per_epoch - b - 1;
        const int width = 24, fill = static_cast<int>(width * (b + 1) / steps_per_epoch);
        std::fprintf(stderr, "\repoch %d/%d [%s%s] %ld/%ld  loss %.4g  E %.2f meV/atom  F %.1f meV/A  ETA %s   ",
                     st.epoch + 1, o.epochs, std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                     b + 1, steps_per_epoch, acc.loss / acc.structures, 1000 * acc.energy_abs / acc.structures,
                     1000 * acc.force_abs / (3.0 * acc.atoms), format_eta(elapsed / done * left).c_str());
      }
    }
    // Validation with the EMA weights.
    std::vector<Calculator> vcalcs = make_calculators(st.ema, precision, threads);
    const BatchStats vs = batch_loss(vcalcs, val_set, o.weights, nullptr);
    ++st.epoch;
    ++epochs_this_run;
    const double v_e = vs.energy_abs / vs.structures, v_f = vs.force_abs / (3.0 * vs.atoms);
    if (vs.loss < st.best_val) {
      st.best_val = vs.loss;
      st.bad_epochs = 0;
      best = st.ema;
      summary.val_energy_mae = v_e;
      summary.val_force_mae = v_f;
    } else {
      ++st.bad_epochs;
    }
    if (o.schedule == "plateau") {
      if (vs.loss < st.plateau_best * (1 - 1e-4)) {
        st.plateau_best = vs.loss;
        st.plateau_bad = 0;
      } else if (++st.plateau_bad > o.plateau_patience) {
        st.plateau_scale *= o.plateau_factor;
        st.plateau_bad = 0;
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    csv << st.epoch << "," << lr << "," << acc.loss / acc.structures << "," << acc.energy_abs / acc.structures << ","
        << acc.force_abs / (3.0 * acc.atoms) << "," << vs.loss << "," << v_e << "," << v_f << "," << secs << "\n";
    csv.flush();
    if (o.progress)
      std::fprintf(stderr, "%sepoch %d/%d  train loss %.4g  val loss %.4g  val E %.2f meV/atom  val F %.1f meV/A  (%.1f s)%s\n",
                   live_bar ? "\r" : "", st.epoch, o.epochs, acc.loss / acc.structures, vs.loss, 1000 * v_e, 1000 * v_f, secs,
                   live_bar ? std::string(20, ' ').c_str() : "");
    save_checkpoint(st, ckpt, best);
    if (o.early_stop > 0 && st.bad_epochs >= o.early_stop) {
      if (o.progress) std::fprintf(stderr, "early stop: no validation improvement in %d epochs\n", o.early_stop);
      break;
    }
    if (o.max_epochs_this_run > 0 && epochs_this_run >= o.max_epochs_this_run) break;
  }
  summary.epochs_run = st.epoch;
  summary.best_val_loss = st.best_val;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", summary.val_force_mae);
  best.provenance["val_force_mae_eV_per_A"] = buf;
  std::snprintf(buf, sizeof buf, "%.6g", summary.val_energy_mae);
  best.provenance["val_energy_mae_eV_per_atom"] = buf;
  best.provenance["epochs"] = std::to_string(st.epoch);
  best.save(o.output, WeightDtype::f32);
  return summary;
}

}  // namespace painn
