// painn label --teacher gfn2|MODEL IN.extxyz -o OUT.extxyz [--charge Q] [--uhf N] [--threads N]
// Labels every frame with energy and forces. Frames are written in input order with their input
// index (info key label_index); rerunning the same command resumes after the last written frame.
// Frames whose calculation fails are reported, listed in OUT.failed, and never written.
// --mix-alpha A: OUT labels = A * (labels in IN) + (1 - A) * (teacher's), for progressive distillation.
#include <omp.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "args.h"
#include "extxyz.h"
#include "painn/calculator.h"
#include "painn/teacher.h"

namespace painn::cli {

int cmd_label(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {});
  if (a.positional.size() != 1) throw Error("label needs exactly one IN.extxyz");
  const std::string teacher = a.need("--teacher");
  const std::string out_path = a.need("-o");
  const double default_charge = parse_double(a.get("--charge", "0"), "--charge");
  const int default_uhf = parse_int(a.get("--uhf", "0"), "--uhf");
  int threads = parse_int(a.get("--threads", "0"), "--threads");
  // Progressive distillation: blend the labels already in IN (the big teacher's) with the new
  // teacher's: y = alpha * y_in + (1 - alpha) * y_teacher.
  const bool mix = a.has("--mix-alpha");
  const double alpha = mix ? parse_double(a.get("--mix-alpha"), "--mix-alpha") : 0.0;
  if (threads <= 0) threads = omp_get_max_threads();
  std::vector<Frame> frames = read_extxyz_file(a.positional[0]);

  // Resume: skip frames already written or already known to fail.
  std::set<long> done;
  if (std::filesystem::exists(out_path)) {
    for (const Frame& f : read_extxyz_file(out_path)) {
      auto it = f.info.find("label_index");
      if (it == f.info.end()) throw Error(out_path + " exists but was not written by painn label; remove it first");
      done.insert(std::stol(it->second));
    }
  }
  const std::string failed_path = out_path + ".failed";
  if (std::ifstream failed_in{failed_path}) {
    long k;
    while (failed_in >> k) done.insert(k);
  }
  std::vector<long> todo;
  for (long k = 0; k < static_cast<long>(frames.size()); ++k)
    if (!done.count(k)) todo.push_back(k);
  if (!done.empty()) std::cerr << "label: resuming, " << done.size() << " of " << frames.size() << " frames done\n";

  // A Calculator keeps scratch buffers, so each thread gets its own.
  std::vector<Calculator> model_teacher;
  if (teacher != "gfn2") {
    const Model m = Model::load(teacher);
    for (int t = 0; t < threads; ++t) model_teacher.emplace_back(m, Precision::fp64, 1);
  }

  std::ofstream out(out_path, std::ios::app);
  std::ofstream failed(failed_path, std::ios::app);
  long n_failed = 0, n_written = 0;
  // Blocks of frames are labelled in parallel, then written in order.
  const long block = 4L * threads;
  for (size_t b0 = 0; b0 < todo.size(); b0 += block) {
    const size_t b1 = std::min(todo.size(), b0 + block);
    std::vector<Label> labels(b1 - b0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long k = static_cast<long>(b0); k < static_cast<long>(b1); ++k) {
      const Frame& f = frames[todo[k]];
      System s;
      s.positions = f.positions;
      s.atomic_numbers = f.atomic_numbers;
      s.cell = f.cell;
      s.pbc = f.pbc;
      Label& lab = labels[k - b0];
      try {
        if (!model_teacher.empty()) {
          const Result r = model_teacher[omp_get_thread_num()].compute(s);
          lab.ok = true;
          lab.energy = r.energy;
          lab.forces = r.forces;
        } else {
          auto c = f.info.find("charge");
          auto u = f.info.find("uhf");
          lab = gfn2_singlepoint(s, c != f.info.end() ? std::stod(c->second) : default_charge,
                                 u != f.info.end() ? std::stoi(u->second) : default_uhf);
        }
      } catch (const std::exception& e) {
        lab.ok = false;
        lab.error = e.what();
      }
    }
    for (size_t k = b0; k < b1; ++k) {
      Label& lab = labels[k - b0];
      Frame f = frames[todo[k]];
      if (!lab.ok) {
        std::cerr << "label: frame " << todo[k] << " skipped: " << lab.error << "\n";
        failed << todo[k] << "\n";
        ++n_failed;
        continue;
      }
      if (mix) {
        if (!f.has_energy || f.forces.size() != f.positions.size())
          throw Error("--mix-alpha: frame " + std::to_string(todo[k]) + " of the input has no energy and forces");
        f.energy = alpha * f.energy + (1 - alpha) * lab.energy;
        for (size_t i = 0; i < f.forces.size(); ++i)
          for (int c = 0; c < 3; ++c) f.forces[i][c] = alpha * f.forces[i][c] + (1 - alpha) * lab.forces[i][c];
        f.info["mix_alpha"] = a.get("--mix-alpha");
      } else {
        f.energy = lab.energy;
        f.forces = lab.forces;
      }
      f.has_energy = true;
      f.has_stress = false;
      f.info["label_index"] = std::to_string(todo[k]);
      f.info["teacher"] = teacher == "gfn2" ? "GFN2-xTB" : teacher;
      write_extxyz(out, f);
      ++n_written;
    }
    out.flush();
    failed.flush();
    std::cerr << "\rlabel: " << (done.size() + b1) << "/" << frames.size() << " frames" << std::flush;
  }
  std::cerr << "\nlabel: wrote " << n_written << " frames to " << out_path << ", " << n_failed << " failed\n";
  return n_failed > 0 && n_written == 0 ? 1 : 0;
}

}  // namespace painn::cli
