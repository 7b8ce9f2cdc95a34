// painn train DATA.extxyz [...] -o OUT.safetensors (--preset NAME | --init MODEL) [options]
#include <iostream>

#include "args.h"
#include "painn/trainer.h"

namespace painn::cli {

namespace {
const char* kTrainHelp =
    "usage: painn train DATA.extxyz [...] -o OUT.safetensors (--preset NAME | --init MODEL)\n"
    "  --species H,C,N,O     elements of a new model (default: those in the data)\n"
    "  --repulsion none|zbl --repulsion-scale 1   fixed ZBL pair repulsion of a new model (the\n"
    "                        network learns the rest); --init keeps the file's\n"
    "  --vector-norm-epsilon E  mixing-block norm sqrt(|V|^2 + E) (model format section 10;\n"
    "                        default: 1e-8 for a new model, the file's with --init)\n"
    "  --epochs 50 --batch 32 --lr 1e-3 --min-lr 1e-6 --weight-decay 0\n"
    "  --schedule cosine|plateau  --warmup 0.05  --plateau-factor 0.5 --plateau-patience 5\n"
    "  --energy-weight 1 --force-weight 10 --clip 10 --ema 0.99 --early-stop 20\n"
    "  --val 0.1 --split structure|group --group-key molecule --seed 1  (or --val-file VAL.extxyz)\n"
    "  --precision fp64|fp32 --threads N --resume --log OUT.csv --quiet\n"
    "Writes OUT.safetensors (best validation EMA weights), OUT.csv (one row per epoch) and\n"
    "OUT.safetensors.ckpt/ (checkpoint after every epoch; --resume continues from it).\n";
}

int cmd_train(int argc, char** argv) {
  Args a = parse(argc, argv, 2, {"--resume", "--quiet", "-h", "--help"});
  if (a.has("-h") || a.has("--help")) {
    std::cout << kTrainHelp;
    return 0;
  }
  TrainOptions o;
  o.data = a.positional;
  o.output = a.need("-o");
  o.preset = a.get("--preset");
  o.init_model = a.get("--init");
  if (a.has("--species")) o.species = parse_species(a.get("--species"));
  o.repulsion = a.get("--repulsion");
  o.repulsion_scale = parse_double(a.get("--repulsion-scale", "1"), "--repulsion-scale");
  if (a.has("--repulsion-scale") && o.repulsion != "zbl") throw Error("--repulsion-scale needs --repulsion zbl");
  if (a.has("--vector-norm-epsilon"))
    o.vector_norm_epsilon = parse_double(a.get("--vector-norm-epsilon"), "--vector-norm-epsilon");
  o.epochs = parse_int(a.get("--epochs", "50"), "--epochs");
  o.batch = parse_int(a.get("--batch", "32"), "--batch");
  o.lr = parse_double(a.get("--lr", "1e-3"), "--lr");
  o.min_lr = parse_double(a.get("--min-lr", "1e-6"), "--min-lr");
  o.weight_decay = parse_double(a.get("--weight-decay", "0"), "--weight-decay");
  o.schedule = a.get("--schedule", "cosine");
  o.warmup_fraction = parse_double(a.get("--warmup", "0.05"), "--warmup");
  o.plateau_factor = parse_double(a.get("--plateau-factor", "0.5"), "--plateau-factor");
  o.plateau_patience = parse_int(a.get("--plateau-patience", "5"), "--plateau-patience");
  o.weights.energy = parse_double(a.get("--energy-weight", "1"), "--energy-weight");
  o.weights.forces = parse_double(a.get("--force-weight", "10"), "--force-weight");
  o.clip_norm = parse_double(a.get("--clip", "10"), "--clip");
  o.ema_decay = parse_double(a.get("--ema", "0.99"), "--ema");
  o.early_stop = parse_int(a.get("--early-stop", "20"), "--early-stop");
  o.val_fraction = parse_double(a.get("--val", "0.1"), "--val");
  if (a.has("--val-file")) o.val_data = {a.get("--val-file")};
  o.split = a.get("--split", "structure");
  o.group_key = a.get("--group-key", "molecule");
  o.seed = static_cast<uint64_t>(parse_int(a.get("--seed", "1"), "--seed"));
  o.precision = a.get("--precision", "fp64");
  o.threads = parse_int(a.get("--threads", "0"), "--threads");
  o.resume = a.has("--resume");
  o.max_epochs_this_run = parse_int(a.get("--stop-after", "0"), "--stop-after");
  o.log_csv = a.get("--log");
  o.progress = !a.has("--quiet");
  const TrainSummary s = train(o);
  std::cout << "train: " << s.epochs_run << " epochs, best validation: energy MAE " << 1000 * s.val_energy_mae
            << " meV/atom, force MAE " << 1000 * s.val_force_mae << " meV/A; wrote " << o.output << "\n";
  return 0;
}

}  // namespace painn::cli
