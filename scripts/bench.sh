#!/usr/bin/env bash
# The benchmark suite in one command: Aviary against Spark (local mode), a single-threaded C++
# word count (the per-core reference) and `tr | sort | uniq -c`; see docs/performance.md.
#
# usage: scripts/bench.sh [--sizes 100,500,2000] [--runs 3] [--seed 1] [--phases main,keys,memory,mongo]
#                         [--engines aviary,spark,reference,coreutils] [--quick] [...]
#   --quick   a smoke run: --sizes 20 --runs 1, small key sweep and memory test, no MongoDB
#   Any other flag goes to bench/run_bench.py (--help lists them all).
#
# It installs what it needs: the build dependencies (scripts/setup.sh), Java if missing, a
# Python venv with pyspark, numpy and matplotlib under ${AVIARY_BENCH_CACHE:-~/.cache/aviary-bench}
# (nothing system-wide), builds Aviary in Release in build-bench/, generates the deterministic
# Zipf corpora under build-bench/bench-data/ and writes raw results to
# build-bench/bench-results/<time>/ (JSON and CSV), the tables into docs/performance.md and the
# plots into docs/perf-*.png. Benchmarks share the machine: run them on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${AVIARY_BENCH_CACHE:-$HOME/.cache/aviary-bench}"
BUILD=build-bench
# Known-good versions; pyspark 4 needs Java 17 or later.
PIP_PACKAGES=(pyspark==4.3.0 numpy==2.4.6 matplotlib==3.11.2)

args=()
phases_given=0
while (($#)); do
  case "$1" in
    --quick) args+=(--sizes 20 --runs 1 --keys-vocab 1e3,1e5,1e6 --keys-mib 20 --memory-vocab 1e6 --memory-mib 50
                    --memory-budgets 16 --phases main,keys,memory); phases_given=1 ;;
    --phases) args+=("$1" "$2"); phases_given=1; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

bash scripts/setup.sh
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v perf >/dev/null || need+=(linux-perf)  # CPU time of whole process trees (perf stat)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if ((${#need[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" ||
    echo "bench: could not install ${need[*]}; going on without (CPU times then come from getrusage)" >&2
fi

if [ ! -x "$CACHE/venv/bin/python" ]; then
  mkdir -p "$CACHE"
  python3 -m venv "$CACHE/venv"
fi
if ! "$CACHE/venv/bin/python" -c 'import pyspark, numpy, matplotlib' 2>/dev/null; then
  "$CACHE/venv/bin/pip" install -q --upgrade pip
  "$CACHE/venv/bin/pip" install -q "${PIP_PACKAGES[@]}"
fi

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVIARY_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target aviary wordcount wc_reference collector_bench mongo_scan scan

# The MongoDB part needs the local cluster commands; without them it is skipped.
if ((phases_given == 0)); then
  if "$BUILD/bin/aviary" cluster --help >/dev/null 2>&1 && "$BUILD/bin/aviary" load --help >/dev/null 2>&1; then
    args+=(--phases main,keys,memory,mongo)
  else
    echo "bench: 'aviary cluster' / 'aviary load' not available; skipping the MongoDB phase" >&2
    args+=(--phases main,keys,memory)
  fi
fi

exec "$CACHE/venv/bin/python" bench/run_bench.py --build "$BUILD" "${args[@]}"
