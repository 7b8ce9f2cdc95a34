// painn sample IN.extxyz -o OUT.extxyz [--frames 10] [--temperature 300:800] [--interval 50]
//   [--dt 0.5] [--displace 0.03] [--seed 1]
// Langevin MD with GFN-FF (libxtb) from each input molecule; each molecule gets one temperature
// drawn uniformly from the range. Output frames carry molecule=<name or index> and temperature.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <fstream>
#include <random>

#include "args.h"
#include "extxyz.h"
#include "painn/teacher.h"

namespace painn::cli {

int cmd_sample(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {});
  if (a.positional.size() != 1) throw Error("sample needs exactly one IN.extxyz");
  SampleOptions o;
  o.frames = parse_int(a.get("--frames", "10"), "--frames");
  o.interval = parse_int(a.get("--interval", "50"), "--interval");
  o.equilibration_steps = parse_int(a.get("--equilibrate", "400"), "--equilibrate");
  o.dt_fs = parse_double(a.get("--dt", "0.5"), "--dt");
  o.displacement = parse_double(a.get("--displace", "0.03"), "--displace");
  const uint64_t seed = static_cast<uint64_t>(parse_int(a.get("--seed", "1"), "--seed"));
  std::string trange = a.get("--temperature", "300:800");
  double tmin = 0, tmax = 0;
  const auto colon = trange.find(':');
  tmin = parse_double(trange.substr(0, colon), "--temperature");
  tmax = colon == std::string::npos ? tmin : parse_double(trange.substr(colon + 1), "--temperature");
  const std::vector<Frame> mols = read_extxyz_file(a.positional[0]);
  // libxtb's GFN-FF set-up writes pages to stdout (Fortran unit 6, flushed at exit): this command
  // reports on stderr only, so stdout goes to /dev/null for its whole run.
  std::fflush(stdout);
  const int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) { dup2(devnull, 1); close(devnull); }
  std::ofstream out(a.need("-o"));
  if (!out) throw Error("cannot write " + a.need("-o"));
  long written = 0, failed = 0;
  for (size_t k = 0; k < mols.size(); ++k) {
    const Frame& m = mols[k];
    std::mt19937_64 rng(seed * 7919 + k);
    o.seed = rng();
    o.temperature = tmin + (tmax - tmin) * std::uniform_real_distribution<double>(0, 1)(rng);
    System s;
    s.positions = m.positions;
    s.atomic_numbers = m.atomic_numbers;
    auto name = m.info.find("name");
    const std::string mol_name = name != m.info.end() ? name->second : "mol" + std::to_string(k);
    try {
      for (const System& fr : sample_md_gfnff(s, o)) {
        Frame f;
        f.symbols = m.symbols;
        f.atomic_numbers = m.atomic_numbers;
        f.positions = fr.positions;
        f.info = m.info;
        f.info["molecule"] = mol_name;
        f.info["temperature"] = std::to_string(static_cast<int>(o.temperature));
        write_extxyz(out, f);
        ++written;
      }
    } catch (const std::exception& e) {
      std::cerr << "sample: molecule " << mol_name << " skipped: " << e.what() << "\n";
      ++failed;
    }
    std::cerr << "\rsample: " << k + 1 << "/" << mols.size() << " molecules" << std::flush;
  }
  std::cerr << "\nsample: wrote " << written << " frames, " << failed << " molecules failed\n";
  return 0;
}

}  // namespace painn::cli
