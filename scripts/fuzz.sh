#!/usr/bin/env bash
# Builds the libFuzzer targets (Debian's clang, with ASan + UBSan incl. float-cast-overflow) into
# build-fuzz/ and runs each for SECONDS (default 60), seeded from the shipped potentials, small
# generated models and example structures. Corpora grow in build-fuzz/corpus/<target>/; crashes
# go to build-fuzz/artifacts/. Exits 1 if any target finds something.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (targets: fuzz_model_loader fuzz_extxyz fuzz_compute)
#   JOBS=N (build parallelism, default 2); RUNS=N: stop each target after N executions instead
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_model_loader fuzz_extxyz fuzz_compute)
command -v clang++ > /dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang)"; exit 1; }

SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DPAINN_FUZZ=ON -DPAINN_BUILD_TESTS=OFF -DPAINN_BUILD_LAMMPS=OFF -DPAINN_BUILD_OPENMM=OFF -DPAINN_NATIVE=OFF \
  -DCMAKE_CXX_FLAGS="$SAN -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" > build-fuzz.cmake.log 2>&1 || { cat build-fuzz.cmake.log; exit 1; }
cmake --build build-fuzz -j"${JOBS:-2}" --target "${TARGETS[@]}" painn_fuzz_seeds

# Seeds (kept apart from the corpora, which the fuzzer grows).
S=build-fuzz/seeds
rm -rf "$S" && mkdir -p "$S"/{models,structures,compute} build-fuzz/artifacts
build-fuzz/bin/painn_fuzz_seeds "$S/models" > /dev/null
cp potentials/ultratiny-*.safetensors "$S/models/"
cp tests/fuzz/seeds/*.xyz examples/molecules/*.xyz "$S/structures/"
python3 - "$S" <<'PY'
import pathlib, struct, sys
s = pathlib.Path(sys.argv[1])
models = sorted((s / "models").glob("small-*.safetensors"))
structures = sorted((s / "structures").glob("*.xyz"))
for m in models:
    for x in structures:
        data = m.read_bytes()
        (s / "compute" / f"{m.stem}-{x.stem}").write_bytes(struct.pack("<I", len(data)) + data + x.read_bytes())
PY

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${TARGETS[@]}"; do
  case $t in
    fuzz_model_loader) seeds=$S/models; maxlen=16384 ;;
    fuzz_extxyz) seeds=$S/structures; maxlen=4096 ;;
    fuzz_compute) seeds=$S/compute; maxlen=8192 ;;
    *) echo "fuzz.sh: unknown target $t"; exit 2 ;;
  esac
  mkdir -p "build-fuzz/corpus/$t"
  echo "== $t: ${SECS} s"
  if ! OMP_NUM_THREADS=1 "build-fuzz/bin/$t" "build-fuzz/corpus/$t" "$seeds" -max_total_time="$SECS" ${RUNS:+-runs=$RUNS} -timeout=20 \
       -rss_limit_mb=3072 -max_len="$maxlen" -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
       > "build-fuzz/$t.log" 2>&1; then
    status=1
    echo "$t: FOUND A PROBLEM (build-fuzz/$t.log, build-fuzz/artifacts/)"
    grep -m5 -E "ERROR|runtime error|SUMMARY|Test unit written" "build-fuzz/$t.log" || true
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|stat::average_exec_per_sec" "build-fuzz/$t.log" | sed "s/^/$t: /" || true
done
exit $status
