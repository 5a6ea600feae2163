#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs every test (unit and multi-process) with ctest.
# Usage: scripts/test.sh [--sanitize] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=()
dir=build
if [[ "${1:-}" == "--sanitize" ]]; then
  sanitize=(--sanitize)
  dir=build-asan
  shift
  # Let crashing test plugins die by their own signal; report every UB finding as an error.
  export ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0:abort_on_error=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

bash scripts/setup.sh
bash scripts/build.sh "${sanitize[@]}"
cd "$dir"
ctest --output-on-failure --timeout 900 -j 2 "$@"
