#!/usr/bin/env python3
"""The CPU core at MD scale (issue 14): energy + forces of the five preset sizes on periodic boxes
of ~3,000 and ~30,000 atoms (tests/oracle/structures.bench_box: water- and methane-like
molecules, 0.09 atoms/A^3, ~47 neighbours within 5 A), 1 and 2 threads, fp32 unless told.

For each row: `painn_bench` median ms (neighbour list included), atom-steps/s, the speedup over
current at the same box and thread count, the fraction of the matrix-product peak the arithmetic
reaches (multiply-adds as counted by run_bench.mult_adds over painn_gemm_peak's best fp32 rate
times the threads), and the peak resident memory of the process per atom (`/usr/bin/time`,
minus nothing: the structure, model and graph are included).

With --base DIR (the build/bin of another checkout, e.g. the commit before a change), every row
is also timed with DIR's painn_bench, interleaved in the same run, and the table gives both and
their ratio: the before/after table of bench/README.md.

Usage: /usr/bin/python3 bench/scale_bench.py [--sizes current ...] [--atoms 3000 30000]
       [--threads 1 2] [--precision fp32] [--repeats 3] [--base OTHER/build/bin] [--json OUT]"""
import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import ase.io

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "oracle"))
sys.path.insert(0, str(ROOT / "bench"))
import structures  # noqa: E402
from run_bench import edge_count, mult_adds  # noqa: E402

SIZES = ["current", "compact", "efficient", "tiny", "ultratiny"]  # painn init --preset


def run_bench(bin_dir, model, structure, precision, threads, repeats):
    """(median ms, peak RSS in KB) of one painn_bench process."""
    cmd = ["/usr/bin/time", "-f", "RSS_KB %M", str(Path(bin_dir) / "painn_bench"), str(model), str(structure),
           "--precision", precision, "--threads", str(threads), "--repeats", str(repeats)]
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    rss = int(next(line.split()[1] for line in p.stderr.splitlines() if line.startswith("RSS_KB")))
    return json.loads(p.stdout)["median_ms"], rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=SIZES)
    ap.add_argument("--atoms", nargs="+", type=int, default=[3000, 30000])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--base", help="build/bin directory of the code to compare against")
    ap.add_argument("--json")
    a = ap.parse_args()
    bin_dir = ROOT / "build" / "bin"
    peak = json.loads(subprocess.run([str(bin_dir / "painn_gemm_peak")], check=True, capture_output=True,
                                     text=True).stdout)
    best = max(peak[a.precision].values())  # GFLOP/s, one core
    print(f"matrix-product peak, one core, {a.precision}: {best:.1f} GFLOP/s", file=sys.stderr)
    rows = []
    dims = {}  # size -> (hidden, layers, radial basis functions), read back from the model file
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for size in a.sizes:
            path = d / f"{size}.safetensors"
            subprocess.run([str(bin_dir / "painn"), "init", "--preset", size, "--species", "H,C,N,O", "--seed", "1",
                            "-o", str(path)], check=True, capture_output=True)
            info = json.loads(subprocess.run([str(bin_dir / "painn"), "info", str(path), "--json"], check=True,
                                             capture_output=True, text=True).stdout)
            dims[size] = (info["hidden"], info["layers"], info["rbf"])
        for n in a.atoms:
            box = structures.bench_box(n, seed=0)
            path = d / f"box{n}.extxyz"
            ase.io.write(path, box, format="extxyz")
            E = edge_count(box)
            for threads in a.threads:
                ref_ms = None
                for size in a.sizes:
                    H, L, R = dims[size]
                    model = d / f"{size}.safetensors"
                    ms, rss = run_bench(bin_dir, model, path, a.precision, threads, a.repeats)
                    row = {"preset": size, "atoms": len(box), "edges": E, "threads": threads, "ms": ms,
                           "atom_steps_per_s": len(box) / ms * 1000, "rss_kb_per_atom": rss / len(box),
                           "peak_fraction": 2 * mult_adds(H, L, R, len(box), E) / (ms * 1e6) / (best * threads)}
                    if a.base:
                        base_ms, base_rss = run_bench(a.base, model, path, a.precision, threads, a.repeats)
                        row.update(base_ms=base_ms, base_rss_kb_per_atom=base_rss / len(box), speedup=base_ms / ms)
                    if size == "current":
                        ref_ms = ms
                    row["vs_current"] = ref_ms / ms if ref_ms else None
                    rows.append(row)
                    print(row, file=sys.stderr, flush=True)
    head = "| preset | atoms | threads | ms | atom-steps/s | vs current | GEMM-peak fraction | KB/atom |"
    if a.base:
        head += " base ms | base KB/atom | speedup |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        vs = f"{r['vs_current']:.2f}x" if r["vs_current"] else "-"
        line = (f"| {r['preset']} | {r['atoms']} | {r['threads']} | {r['ms']:.1f} | {r['atom_steps_per_s']:,.0f} | "
                f"{vs} | {100 * r['peak_fraction']:.0f}% | {r['rss_kb_per_atom']:.1f} |")
        if a.base:
            line += f" {r['base_ms']:.1f} | {r['base_rss_kb_per_atom']:.1f} | {r['speedup']:.2f}x |"
        print(line)
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                            "peak_gflops": peak, "precision": a.precision, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
